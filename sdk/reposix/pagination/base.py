"""What every pagination style shares: limits, truncation reporting, cycle and stall checks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["PageLimits", "Paginator", "collect"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageLimits:
    """Caps on one listing. Hitting a cap is reported as truncation, never hidden."""

    max_items: int | None = None
    max_pages: int | None = None


class Paginator(Generic[T]):
    """An async iterator of items across pages.

    After iteration ends, ``complete`` says whether the whole collection was
    read (False: a cap cut it short and what was yielded is a prefix).
    """

    def __init__(self, source: Callable[[Paginator[T]], AsyncIterator[T]]) -> None:
        self._source = source
        self.complete = False
        self.pages = 0
        self.items = 0

    def __aiter__(self) -> AsyncIterator[T]:
        return self._source(self)


async def collect(pages: Paginator[T]) -> tuple[list[T], bool]:
    """Drain a paginator: ``(items, complete)``."""
    out = [item async for item in pages]
    return out, pages.complete


KeyFn = Callable[[T], Hashable]
