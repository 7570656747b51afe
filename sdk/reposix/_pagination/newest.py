"""Stopping early in a change listing the server sorts newest first, without trusting it blindly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Generic, TypeVar

__all__ = ["NewestFirst"]

T = TypeVar("T")


class NewestFirst(Generic[T]):
    """Decides, page by page, whether a newest-first change listing may stop early.

    A search for "changed since ``since``" sorted newest first (Jira's ``ORDER BY updated
    DESC``, CQL's ``order by lastmodified desc``) can stop once a page ends with an item
    not newer than ``since``: every later item is older. That holds only if the server
    really sorted. So every page is checked, and across page boundaries too: after one
    item newer than its predecessor, the listing is read to the end (a correct result,
    just more requests). Callers still filter every item on ``when(item) > since``.

    ``when`` returns an item's modification time (raising a typed error if it has none).
    """

    def __init__(self, since: datetime, when: Callable[[T], datetime]) -> None:
        self.since = since
        self.when = when
        self.sorted = True
        self._last: datetime | None = None

    def done_after(self, items: Sequence[T]) -> bool:
        """Whether no page after ``items`` (the page just read) can hold a change."""
        for item in items:
            stamp = self.when(item)
            if self._last is not None and stamp > self._last:
                self.sorted = False
            self._last = stamp
        return self.sorted and self._last is not None and self._last <= self.since
