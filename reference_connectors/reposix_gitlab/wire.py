"""Pydantic models of GitLab's REST v4 issue JSON.

Shapes from GitLab's Issues API docs (https://docs.gitlab.com/api/issues/) and the JSON
Schema GitLab's own API specs validate issue responses with
(``spec/fixtures/api/schemas/public_api/v4/issue.json`` in gitlab-org/gitlab). Tolerant
of every field not read, strict about the ones relied on: a missing ``iid`` or an
unknown ``state`` is a validation error, which ``reposix.decode`` turns into a
``ProtocolError``. URL fields (``web_url``, ``_links``, avatars) are not modelled, so
nothing downstream can follow them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from reposix import WireModel, WireTime, wire_adapter

__all__ = ["ERROR", "ISSUE", "PAGE", "USERS", "GlError", "GlIssue", "GlUser"]


class GlUser(WireModel):
    """A user object (``author``, ``assignees[]``, ``closed_by``): ``id`` and ``username``."""

    id: Annotated[int, Field(gt=0, strict=True)]
    username: str


class GlIssue(WireModel):
    """An item of ``GET /projects/:id/issues`` or a single-issue body.

    ``iid`` is the project-scoped number users see (``#14``) and the record id; ``id`` is
    GitLab's instance-wide id, which only admins can address (``GET /issues/:id``).
    ``labels`` are plain names unless ``with_labels_details=true`` is asked (never).
    """

    id: Annotated[int, Field(gt=0, strict=True)]
    iid: Annotated[int, Field(gt=0, strict=True)]
    project_id: int
    title: str
    description: str | None = None
    state: Literal["opened", "closed"]
    labels: list[str] = Field(default_factory=list)
    assignees: list[GlUser] = Field(default_factory=list)
    assignee: GlUser | None = None
    """Deprecated by GitLab in favour of ``assignees``; read only as a fallback."""
    created_at: WireTime
    updated_at: WireTime
    closed_at: WireTime | None = None
    closed_by: GlUser | None = None
    issue_type: str | None = None
    type: str | None = None

    @property
    def usernames(self) -> list[str]:
        """Every assignee's username, ``assignees`` first, falling back to ``assignee``."""
        if self.assignees:
            return [u.username for u in self.assignees]
        return [self.assignee.username] if self.assignee is not None else []


class GlError(WireModel):
    """GitLab's error body: ``{"message": "..."}``, ``{"message": {"error": "..."}}`` (429),
    ``{"message": {"title": ["can't be blank"]}}`` (400 validation) or ``{"error": "..."}``
    (Grape parameter errors, OAuth)."""

    message: str | dict[str, Any] | list[Any] | None = None
    error: str | None = None
    error_description: str | None = None

    def summary(self) -> str:
        """One line for a typed error."""
        parts: list[str] = []
        if isinstance(self.message, str):
            parts.append(self.message)
        elif isinstance(self.message, dict):
            for key, value in self.message.items():
                text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
                parts.append(text if key == "error" else f"{key} {text}")
        elif isinstance(self.message, list):
            parts.extend(map(str, self.message))
        if self.error:
            parts.append(self.error)
        if self.error_description:
            parts.append(self.error_description)
        return "; ".join(p for p in parts if p)


ISSUE: TypeAdapter[GlIssue] = wire_adapter(GlIssue)
"""Validates one issue body."""

PAGE: TypeAdapter[list[GlIssue]] = wire_adapter(list[GlIssue])
"""Validates a whole listing page in one pass."""

USERS: TypeAdapter[list[GlUser]] = wire_adapter(list[GlUser])
"""Validates ``GET /users?username=`` (a list of zero or one user)."""

ERROR: TypeAdapter[GlError] = wire_adapter(GlError)
"""Validates an error body (best effort: callers fall back to the raw excerpt)."""
