"""Injectable time: real for production, virtual for deterministic tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "Stopwatch", "SystemClock", "VirtualClock"]


class Clock(Protocol):
    """Where the SDK reads time and sleeps; swap it to test waits without waiting."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for measuring waits."""
        ...

    def now(self) -> datetime:
        """The current UTC wall-clock time, for parsing reset dates."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (never negative)."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(max(0.0, seconds))


class VirtualClock:
    """A clock that only moves when slept on or advanced: tests run in virtual time.

    ``sleeps`` records every requested sleep so tests can assert on waits.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._elapsed = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self._elapsed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def advance(self, seconds: float) -> None:
        """Move time forward without sleeping."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self._elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        self._elapsed += seconds
        import asyncio

        await asyncio.sleep(0)


class Stopwatch:
    """Seconds a stretch of the event loop's thread spent waiting, not computing.

    Wall time on ``monotonic`` minus this thread's CPU time (``time.thread_time``):
    what is left is time the loop sat idle for the network or the server, which is
    what fetching pages ahead can hide. Decoding, first-use work (a validator built,
    a module imported) and the CPU of other tasks on the loop do not count.
    """

    __slots__ = ("_cpu", "_monotonic", "_wall")

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._wall = monotonic()
        self._cpu = time.thread_time()

    def idle(self, credit: float = 0.0) -> float:
        """Idle seconds since the stopwatch started (never negative).

        ``credit``: CPU seconds spent meanwhile on work that overlapped the wait
        (`HttpClient.while_waiting`), counted as waiting rather than computing.
        """
        busy = time.thread_time() - self._cpu - credit
        return max(0.0, (self._monotonic() - self._wall) - busy)
