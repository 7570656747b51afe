"""Property checks inside invariants: hypothesis over a fresh harness per example."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from reposix_contract import _settings as kit_settings
from reposix_contract._harness import Harness, KitHarness

__all__ = ["FIXED_EXAMPLE_NOTE", "for_all", "fresh"]

FIXED_EXAMPLE_NOTE = (
    "fixed example: one of the invariant's explicit edge cases (hypothesis found no smaller "
    "failing example within its search budget)"
)
"""The note ``for_all`` adds when an explicit example, not a generated one, fails."""

T = TypeVar("T")


@asynccontextmanager
async def fresh(h: Harness) -> AsyncIterator[Harness]:
    """A fresh harness (new fake and logs) on the same target, or ``h`` if it cannot fork."""
    if isinstance(h, KitHarness):
        async with h.fork() as sub:
            yield sub
    else:
        yield h


async def for_all(
    h: Harness,
    strategy: st.SearchStrategy[T],
    body: Callable[[Harness, T], Awaitable[None]],
    *,
    examples: Iterable[T] = (),
    max_examples: int = 12,
) -> None:
    """Check ``body(sub_harness, value)`` for explicit ``examples``, then hypothesis values.

    Each value gets a fresh harness (new fake, clock, logs) when ``h`` can fork,
    so examples do not see each other's records. Hypothesis runs in a worker thread
    and each example is awaited on this event loop; failures shrink as usual. The
    example count follows the kit's profile (``--reposix-thorough``: ten times more),
    and the search is derandomized by default and in CI.

    The explicit edge cases run first (a quick verdict). When one fails, hypothesis still
    searches, for at most ``minimize_seconds()``, so that
    the failure is reported as its shrunk, minimal example rather than as a busy edge
    case; if it finds none in time, the edge case is reported, marked
    ``FIXED_EXAMPLE_NOTE``.
    """
    loop = asyncio.get_running_loop()

    async def one(value: T) -> None:
        async with fresh(h) as sub:
            await body(sub, value)

    fixed_failure: BaseException | None = None
    for value in examples:
        try:
            await one(value)
        except Exception as exc:
            exc.add_note(FIXED_EXAMPLE_NOTE)
            fixed_failure = exc
            break
    budget = kit_settings.minimize_seconds()
    if fixed_failure is not None and budget <= 0:
        raise fixed_failure
    stop_at = time.monotonic() + budget

    async def searched(value: T) -> None:
        # Past the budget, a search started only to minimize a known failure stops
        # trying (every example passes), so hypothesis gives up quickly.
        if fixed_failure is not None and time.monotonic() > stop_at:
            return
        await one(value)

    @settings(
        max_examples=kit_settings.max_examples(max_examples),
        deadline=None,
        database=None,
        derandomize=kit_settings.deterministic(),
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def prop(value: Any) -> None:
        asyncio.run_coroutine_threadsafe(searched(value), loop).result()

    if fixed_failure is None:
        await asyncio.to_thread(prop)
        return
    try:
        await asyncio.to_thread(prop)
    except (Flaky, BaseExceptionGroup):
        raise fixed_failure from None  # the budget ran out mid-shrink, or several failures
    except Exception as found:
        if type(found) is not type(fixed_failure):
            raise fixed_failure from None  # another kind of failure: keep the edge case's
        raise
    raise fixed_failure
