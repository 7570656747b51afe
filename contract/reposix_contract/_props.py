"""Property checks inside invariants: hypothesis over a fresh harness per example."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reposix_contract import _settings as kit_settings
from reposix_contract._harness import Harness, KitHarness

__all__ = ["for_all", "fresh"]

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
    """
    loop = asyncio.get_running_loop()

    async def one(value: T) -> None:
        async with fresh(h) as sub:
            await body(sub, value)

    for value in examples:
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
        asyncio.run_coroutine_threadsafe(one(value), loop).result()

    await asyncio.to_thread(prop)
