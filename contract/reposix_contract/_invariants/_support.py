"""Small helpers shared by the read and error invariants."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any, TypeVar

from reposix._records import Record
from reposix_contract._harness import Exchange, Harness

T = TypeVar("T")

MISSING_ID = 987_654_321
"""An id no fake or simulator hands out during a check."""


def ids(records: Iterable[Record]) -> list[int]:
    """The ids of ``records``, in order."""
    return [r.id for r in records]


def duplicates(values: Iterable[int]) -> list[int]:
    """Values that occur more than once."""
    return sorted(v for v, n in Counter(values).items() if n > 1)


def set_diff(expected: Iterable[int], got: Iterable[int]) -> str:
    """``missing [...]; unexpected [...]`` (empty when the sets are equal)."""
    exp, act = set(expected), set(got)
    parts = []
    if exp - act:
        parts.append(f"missing {sorted(exp - act)}")
    if act - exp:
        parts.append(f"unexpected {sorted(act - exp)}")
    return "; ".join(parts)


async def outcome_of(call: Awaitable[T]) -> T | Exception:
    """Await ``call``; return its exception instead of raising it."""
    try:
        return await call
    except Exception as exc:
        return exc


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else repr(exc)


async def expect_error(kind: type[Exception], call: Awaitable[Any], what: str, fix: str) -> None:
    """Insist that ``call`` raises ``kind`` — not another error, not a value."""
    result = await outcome_of(call)
    if isinstance(result, kind):
        return
    if isinstance(result, Exception):
        raise AssertionError(
            f"{what} raised {type(result).__name__} ({first_line(result)}) instead of "
            f"{kind.__name__}; {fix}"
        )
    shown = repr(result)
    shown = shown if len(shown) < 160 else shown[:157] + "..."
    raise AssertionError(f"{what} returned {shown} instead of raising {kind.__name__}; {fix}")


def exchanges(h: Harness, start: int = 0) -> list[Exchange]:
    """The harness's exchange log after ``start`` (empty for harnesses without one)."""
    log: Sequence[Exchange] = getattr(h, "exchanges", ())
    return list(log)[start:]


def mark(h: Harness) -> int:
    """The current length of the exchange log."""
    return len(exchanges(h))
