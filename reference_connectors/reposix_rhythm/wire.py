"""Rhythm's wire shapes (pydantic), read leniently: unknown fields are ignored.

The blueprint (``shared/seeds``: "Rhythm Backend Blueprint") fixes the issue fields and the
enums but not the JSON envelopes; the choices below are this connector's, and the cursor
shape lives here only (`CURSOR_PARAM`, `LIMIT_PARAM`, `RhPage`), so it
can follow Rhythm if the real server settles on another.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import Field, TypeAdapter

from reposix import WireModel, WireTime, wire_adapter

__all__ = [
    "CURSOR_PARAM",
    "ERROR",
    "ISSUE",
    "LIMIT_PARAM",
    "PAGE",
    "TAG_PAGE",
    "TOKENS",
    "RhIssue",
    "RhPage",
    "RhTag",
    "RhTokens",
    "RhUser",
]

CURSOR_PARAM: Final = "cursor"
"""Query parameter naming the page to serve (absent: the first)."""
LIMIT_PARAM: Final = "limit"
"""Query parameter: page size (1..100)."""

Status = Literal["open", "in_progress", "resolved", "closed"]
Priority = Literal["critical", "major", "normal", "minor"]
IssueType = Literal["bug", "feature", "task", "improvement"]


class RhUser(WireModel):
    """An assignee: ``email`` is the identifier this connector maps to ``Record.assignee``."""

    id: str
    email: str
    display_name: str | None = None


class RhTag(WireModel):
    """A project tag (``tags`` table: ``id``, ``name``, ``color``)."""

    id: str
    name: str
    color: str | None = None


class RhIssue(WireModel):
    """An issue (the blueprint's ``issues`` table, with assignees and tags inline)."""

    number: int = Field(ge=1)
    title: str
    description: str | None = None
    status: Status
    priority: Priority = "normal"
    issue_type: IssueType = "task"
    stage_id: str | None = None
    sprint_id: str | None = None
    assignees: list[RhUser] = Field(default_factory=list)
    tags: list[RhTag] = Field(default_factory=list)
    created_at: WireTime
    updated_at: WireTime


class RhPage(WireModel):
    """One page of a list endpoint: ``{"items": [...], "next_cursor": str|null,
    "has_more": bool}``. ``has_more`` true with no cursor means the server stopped early."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None
    has_more: bool | None = None


class RhTokens(WireModel):
    """``/auth/login`` and ``/auth/refresh``: the access token lives ``expires_in`` s."""

    access_token: str = Field(min_length=1)
    refresh_token: str = Field(min_length=1)
    expires_in: float | None = None


class RhErrorBody(WireModel):
    code: str = ""
    message: str = ""


class RhError(WireModel):
    """The unified error type: ``{"error": {"code": ..., "message": ...}}``."""

    error: RhErrorBody = Field(default_factory=RhErrorBody)


ISSUE: TypeAdapter[RhIssue] = wire_adapter(RhIssue)
PAGE: TypeAdapter[RhPage] = wire_adapter(RhPage)
TAG_PAGE: TypeAdapter[RhPage] = PAGE
TOKENS: TypeAdapter[RhTokens] = wire_adapter(RhTokens)
ERROR: TypeAdapter[RhError] = wire_adapter(RhError)
