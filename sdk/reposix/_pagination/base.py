"""What every pagination style shares: limits, the page shape, truncation reporting."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict

__all__ = [
    "KeyFn",
    "Page",
    "PageInfo",
    "PageLimits",
    "Paginator",
    "StatusCheck",
    "Truncation",
    "collect",
]

T = TypeVar("T")

KeyFn = Callable[[T], Hashable]
"""Maps a record to its identity, for de-duplication and stall detection."""

StatusCheck = Callable[[httpx.Response], None]
"""A connector's error mapping for page responses (the helpers' ``check=``).

Called on every page response before its body is read, in place of
[`raise_for_status`][reposix.raise_for_status]: it raises a typed ``ReposixError`` for
an error status, so the vendor's message and hints survive inside listings,
and returns None for a 2xx.
"""

Truncation = Literal["max_items", "max_pages", "server"]
"""Why a listing ended incomplete: one of our caps, or the server (claims more, served less)."""


@dataclass(frozen=True, slots=True)
class PageLimits:
    """Caps on one listing. Hitting a cap is reported as truncation, never hidden.

    ``max_empty_pages`` bounds a run of consecutive empty pages that still claim
    more (a server handing out fresh cursors forever); beyond it is a stall.
    """

    max_items: int | None = None
    max_pages: int | None = None
    max_empty_pages: int = 5


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One validated page as a connector's ``extract`` function reports it.

    ``next`` is the style's continuation (a URL, a token or a cursor; None: the
    server gave none), ``more`` is the server's explicit claim if it makes one
    (``isLast`` negated, ``hasNextPage``), ``total`` the size of the whole
    collection if the server states it, ``start`` the offset it says it served
    (offset style only). ``items`` must be every record of the page, unfiltered:
    the helpers compare their count with ``total``.
    """

    items: Sequence[T]
    next: str | None = None
    more: bool | None = None
    total: int | None = None
    start: int | None = None

    @classmethod
    def relay(cls, items: Sequence[T], info: PageInfo) -> Page[T]:
        """A page from a GraphQL connection's ``nodes`` and ``pageInfo``."""
        return cls(
            items,
            next=info.endCursor if info.hasNextPage else None,
            more=info.hasNextPage,
        )


class PageInfo(BaseModel):
    """The Relay ``pageInfo`` fields forward pagination needs; use it inside page models."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    hasNextPage: bool
    endCursor: str | None = None


class Paginator(Generic[T]):
    """An async iterator of records across pages (``by_page()``: the same, a page at a time).

    After iteration ends, ``complete`` says whether the whole collection was
    read. False means what was yielded is a prefix (or, with ``truncated ==
    "server"``, the server said it holds more than it served); ``reason``
    explains it in words. ``pages`` and ``items`` count requests made and
    records yielded; ``total`` is the last total the server stated, if any.
    """

    def __init__(self, source: Callable[[Paginator[T]], AsyncIterator[list[T]]]) -> None:
        self._source = source
        self._reset()

    def _reset(self) -> None:
        self.complete = False
        self.pages = 0
        self.items = 0
        self.total: int | None = None
        self.truncated: Truncation | None = None
        self.reason: str | None = None

    def _truncate(self, why: Truncation, reason: str) -> None:
        self.complete = False
        self.truncated = why
        self.reason = reason

    def by_page(self) -> AsyncIterator[list[T]]:
        """The new records of each page, in order, as one list per page (empty pages skipped).

        Each list is the caller's: the paginator keeps no reference to it once the
        next page is asked for, so a caller that maps a page and drops it holds one
        page of wire models at a time.
        """
        self._reset()
        return self._source(self)

    def __aiter__(self) -> AsyncIterator[T]:
        return self._flatten()

    async def _flatten(self) -> AsyncIterator[T]:
        pages = self.by_page()
        try:
            async for page in pages:
                for item in page:
                    yield item
        finally:
            await _aclose(pages)


async def _aclose(iterator: AsyncIterator[object]) -> None:
    """Close an async generator now (not at garbage collection), so its ``finally`` runs."""
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


async def collect(pages: Paginator[T]) -> tuple[list[T], bool]:
    """Drain a paginator: ``(items, complete)``."""
    out = [item async for item in pages]
    return out, pages.complete
