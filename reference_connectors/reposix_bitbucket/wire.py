"""Pydantic models of Bitbucket Cloud's REST 2.0 issue JSON.

Shapes from Bitbucket's own API description (``https://api.bitbucket.org/swagger.json``,
definitions ``issue``, ``paginated_issues``, ``issue_change``, ``error``). Tolerant of every
field not read, strict about the ones relied on: a missing ``id`` or a ``state`` outside the
documented nine is a validation error, which ``reposix.decode`` turns into a
``ProtocolError``. ``links`` (every URL) is not modelled, so nothing can follow it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import Field, TypeAdapter

from reposix import WireModel, WireTime, wire_adapter

__all__ = [
    "ERROR",
    "ISSUE",
    "PAGE",
    "STATES",
    "BbAccount",
    "BbContent",
    "BbError",
    "BbIssue",
    "BbPage",
    "State",
]

State = Literal[
    "submitted", "new", "open", "resolved", "on hold", "invalid", "duplicate", "wontfix", "closed"
]
"""The ``issue.state`` enum of the swagger, all nine values."""
STATES: tuple[str, ...] = get_args(State)


class BbAccount(WireModel):
    """An ``account`` (assignee, reporter): ``account_id`` is what writes take."""

    account_id: str | None = None
    uuid: str | None = None
    display_name: str | None = None
    nickname: str | None = None

    @property
    def ref(self) -> str | None:
        """``account_id``, or the ``{uuid}`` when the account has none (an app user)."""
        return self.account_id or self.uuid


class BbContent(WireModel):
    """``content``: ``raw`` is the text as typed, in ``markup`` (markdown by default)."""

    raw: str | None = None
    markup: str | None = None


class BbIssue(WireModel):
    """An issue: ``GET …/issues/{id}``, an item of ``values``, a ``POST``/``PUT`` answer."""

    id: Annotated[int, Field(gt=0, strict=True)]
    title: str
    state: State
    kind: str | None = None
    """``bug``, ``enhancement``, ``proposal`` or ``task`` (kept as text: a new value must not
    fail a listing)."""
    priority: str | None = None
    """``trivial``, ``minor``, ``major``, ``critical`` or ``blocker``."""
    assignee: BbAccount | None = None
    content: BbContent | None = None
    created_on: WireTime
    updated_on: WireTime
    edited_on: WireTime | None = None


class BbPage(WireModel):
    """``paginated_issues``: ``{size?, page?, pagelen, next?, previous?, values}``."""

    values: list[BbIssue]
    next: str | None = None
    pagelen: int | None = None
    size: int | None = None
    page: int | None = None


class BbError(WireModel):
    """``{"type": "error", "error": {"message": …, "detail": …, "data": …}}``."""

    type: str | None = None
    error: dict[str, Any] | None = None

    def summary(self) -> str:
        """``message`` plus ``detail`` in one line."""
        if not self.error:
            return ""
        parts = [self.error.get("message"), self.error.get("detail")]
        return "; ".join(str(p) for p in parts if p)


ISSUE: TypeAdapter[BbIssue] = wire_adapter(BbIssue)
PAGE: TypeAdapter[BbPage] = wire_adapter(BbPage)
ERROR: TypeAdapter[BbError] = wire_adapter(BbError)
