"""Pydantic models of the {{ cookiecutter.connector_title }} API's JSON.

Tolerant of every field we do not read (servers add fields), strict about the
ones we rely on: a missing ``id`` or an unknown ``state`` is a validation error,
which [`decode`][reposix.decode] turns into a ``ProtocolError`` (never a bare
``KeyError`` or ``ValidationError``). URL fields (``url``, ``web_url``, avatars)
are deliberately not modelled, so nothing downstream can follow them.

An item, as ``GET /api/projects/{project}/items/{id}`` returns it::

    {
      "id": 42,
      "title": "Crash when saving",
      "description": "Steps to reproduce...",
      "state": "active",
      "assignee": {"username": "alice", "avatar_url": "https://..."},
      "labels": ["bug", "p1"],
      "parent_id": null,
      "created_at": "2026-01-05T09:30:00.123456Z",
      "updated_at": "2026-01-06T10:00:07.000001Z",
      "version": 3,
      "url": "https://.../api/projects/demo/items/42",
      "web_url": "https://.../demo/items/42"
    }

TODO(connector author): replace these models with your API's real JSON (keep the
``extra="ignore"`` / strict-where-it-matters split).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from reposix import WireModel, WireTime, wire_adapter

__all__ = [
    "ERROR",
    "ITEM",
    "PAGE",
    "ItemState",
    "ItemWrite",
    "WireError",
    "WireItem",
    "WireUser",
]

ItemState = Literal["new", "active", "review", "resolved", "rejected"]
"""The workflow states the API knows (mapped to ``RecordStatus`` in ``connector.py``)."""

PositiveInt = Annotated[int, Field(gt=0, strict=True)]


class WireUser(WireModel):
    """A user object; only ``username`` matters to reposix."""

    username: str


class WireItem(WireModel):
    """One item of a listing page, or the body of a single-item call."""

    id: PositiveInt
    title: str
    description: str | None = None
    """The API sends ``null`` for an empty description."""
    state: ItemState
    assignee: WireUser | None = None
    labels: list[str] = Field(default_factory=list)
    parent_id: PositiveInt | None = None
    created_at: WireTime
    updated_at: WireTime
    version: Annotated[int, Field(ge=0, strict=True)]


class ItemWrite(BaseModel):
    """The body of a create (``POST``) or update (``PATCH``): user-controlled fields only.

    There is no ``id``, ``version`` or timestamp field on purpose: the server owns
    them (the version travels in ``If-Match``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    title: str
    description: str
    state: ItemState
    assignee: str | None
    labels: list[str]
    parent_id: int | None


class WireError(WireModel):
    """The API's error body: ``{"error": "not_found", "message": "..."}``."""

    error: str = ""
    message: str = ""
    current_version: int | None = None
    """Sent with 412: the version the item is at now."""

    def summary(self) -> str:
        """``error: message`` for typed errors."""
        return ": ".join(p for p in (self.error, self.message) if p)


ITEM: TypeAdapter[WireItem] = wire_adapter(WireItem)
"""Validates one item."""

PAGE: TypeAdapter[list[WireItem]] = wire_adapter(list[WireItem])
"""Validates a whole listing page in one pass."""

ERROR: TypeAdapter[WireError] = wire_adapter(WireError)
"""Validates an error body (best effort: callers fall back to the status code)."""
