"""Pydantic models of GitHub's REST v3 issue JSON (API version 2022-11-28).

Tolerant of every field we do not read (GitHub adds fields often), strict about
the ones we rely on: a missing ``number`` or an unknown ``state`` is a validation
error, which [`decode`][reposix.decode] turns into a ``ProtocolError``.
URL fields (``url``, ``html_url``, avatars …) are deliberately not modelled, so
nothing downstream can follow them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from reposix import MAX_ID, WireModel, WireTime, wire_adapter

__all__ = [
    "ERROR",
    "ISSUE",
    "PAGE",
    "GhError",
    "GhIssue",
    "GhLabel",
    "GhUser",
]


class GhUser(WireModel):
    """A user object; only ``login`` matters to reposix."""

    login: str


class GhLabel(WireModel):
    """A label object; only ``name`` matters to reposix."""

    name: str


class GhIssue(WireModel):
    """An item of ``GET /repos/{o}/{r}/issues`` or the body of a single-issue call.

    Pull requests come through the same endpoints; they carry a ``pull_request``
    key (see `is_pull_request`).
    """

    number: Annotated[int, Field(gt=0, le=MAX_ID, strict=True)]
    title: str
    body: str | None = None
    state: Literal["open", "closed"]
    state_reason: str | None = None
    """Kept as a plain string: an unknown future reason must not fail a listing."""
    labels: list[GhLabel | str] = Field(default_factory=list)
    assignee: GhUser | None = None
    assignees: list[GhUser] | None = None
    created_at: WireTime
    updated_at: WireTime
    node_id: str | None = None
    pull_request: dict[str, Any] | None = None

    @property
    def is_pull_request(self) -> bool:
        """Whether this item is a pull request (the key is present, whatever its value)."""
        return "pull_request" in self.model_fields_set

    @property
    def label_names(self) -> list[str]:
        """Label names in server order (labels may be objects or bare strings)."""
        return [lab if isinstance(lab, str) else lab.name for lab in self.labels]

    @property
    def assignee_logins(self) -> list[str]:
        """Every assignee login, ``assignees`` first, falling back to ``assignee``."""
        if self.assignees:
            return [u.login for u in self.assignees]
        return [self.assignee.login] if self.assignee is not None else []


class GhError(WireModel):
    """GitHub's error body: ``basic-error`` or ``validation-error``."""

    message: str = ""
    errors: list[dict[str, Any] | str] = Field(default_factory=list)
    documentation_url: str | None = None

    def summary(self) -> str:
        """``message`` plus each validation error in one line, for typed errors."""
        parts: list[str] = []
        for err in self.errors:
            if isinstance(err, str):
                parts.append(err)
                continue
            text = err.get("message") or " ".join(
                str(err[k]) for k in ("resource", "field", "code") if err.get(k)
            )
            parts.append(str(text))
        detail = "; ".join(p for p in parts if p)
        return f"{self.message} ({detail})" if detail else self.message


ISSUE: TypeAdapter[GhIssue] = wire_adapter(GhIssue)
"""Validates one issue body."""

PAGE: TypeAdapter[list[GhIssue]] = wire_adapter(list[GhIssue])
"""Validates a whole listing page in one pass."""

ERROR: TypeAdapter[GhError] = wire_adapter(GhError)
"""Validates an error body (best effort: callers fall back to the raw excerpt)."""
