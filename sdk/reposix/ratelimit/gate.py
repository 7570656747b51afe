"""The gate every request of one connector passes through."""

from __future__ import annotations

import asyncio

from reposix.clock import Clock
from reposix.ratelimit.policy import RateLimitPolicy
from reposix.ratelimit.signals import RateSignal

__all__ = ["RateGate"]


class RateGate:
    """Shared by every request of a connector instance (and its copies).

    ``acquire`` waits until the gate allows the next request; ``arm`` closes it
    until a signal's wait has passed.
    """

    def __init__(self, policy: RateLimitPolicy, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock
        self._open_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def open_at(self) -> float:
        """Monotonic time before which no request may be sent."""
        return self._open_at

    def arm(self, signal: RateSignal) -> float:
        """Close the gate for the signal's wait; returns the wait in seconds."""
        wait = signal.wait if signal.wait is not None else self.policy.default_wait
        self._open_at = max(self._open_at, self.clock.monotonic() + wait)
        return wait

    async def acquire(self) -> None:
        """Wait until a request may be sent."""
        async with self._lock:
            delay = self._open_at - self.clock.monotonic()
            if delay > 0:
                await self.clock.sleep(delay)
