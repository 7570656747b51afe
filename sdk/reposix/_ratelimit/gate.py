"""The gate every request of one connector passes through before it is sent."""

from __future__ import annotations

from collections import deque
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Self

from reposix._clock import Clock, SystemClock
from reposix._errors import RateLimited
from reposix._ratelimit.policy import RateLimitPolicy
from reposix._ratelimit.signals import RateSignal

if TYPE_CHECKING:
    import asyncio

__all__ = ["RateGate"]

_EPSILON = 1e-9
_MAX_ESCALATION = 6
"""An escalating wait doubles at most this many times (60 s grows to 64 min at most)."""


class RateGate:
    """Shared by every request of a connector instance (and its copies).

    Two things close it: a server signal (`arm`: nothing is sent before the
    reset the server named) and the policy's proactive ``budget`` (a sliding window:
    at most ``n`` sends in any ``seconds``). `acquire` waits for both, one
    request at a time, so concurrent requests cannot slip through together.

    ``copy.copy``/``copy.deepcopy`` return the gate itself: a copied connector must
    share its original's limits, not reset them. Use the gate from one event loop at
    a time.
    """

    def __init__(self, policy: RateLimitPolicy | None = None, clock: Clock | None = None) -> None:
        self.policy = policy or RateLimitPolicy()
        self.clock: Clock = clock or SystemClock()
        self._open_at = float("-inf")
        self._streak = 0
        self._sent: deque[float] = deque(maxlen=self.policy.budget[0] if self.policy.budget else 1)
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"RateGate(open_in={self.delay():.3f}s, policy={self.policy!r})"

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    @property
    def open_at(self) -> float:
        """Monotonic time before which no request may be sent (armed by signals)."""
        return self._open_at

    def arm(self, signal: RateSignal | float) -> float:
        """Close the gate for a signal's wait (or for ``signal`` seconds).

        A signal without a wait closes it for ``policy.default_wait``, raised to the
        signal's ``floor``; an ``escalates`` signal doubles that for each consecutive
        refusal of its kind since the last accepted response (`settle`), so a
        repeated GitHub secondary limit waits 60 s, 120 s, 240 s … The gate only ever
        closes further: an earlier reset never reopens it. Returns the wait.
        """
        if isinstance(signal, RateSignal):
            if signal.wait is not None:
                wait = signal.wait
            else:
                wait = max(self.policy.default_wait, signal.floor or 0.0)
                if signal.escalates:
                    wait *= 2 ** min(self._streak, _MAX_ESCALATION)
                    self._streak += 1
        else:
            wait = float(signal)
        wait = max(0.0, wait)
        self._open_at = max(self._open_at, self.clock.monotonic() + wait)
        return wait

    def pace(self, signal: RateSignal) -> float:
        """Spread what is left of a nearly spent window over the time to its reset.

        When an accepted response reports ``remaining`` at or under a tenth of ``limit``
        (and a reset time), the gate waits ``reset_after / (remaining + 1)`` before the
        next send, so a client slows down *before* the refusal instead of after it
        (Linear asks clients to watch ``X-RateLimit-*-Remaining`` and slow down,
        https://linear.app/developers/rate-limiting). Returns the wait (0: no pacing).
        """
        remaining, limit, reset = signal.remaining, signal.limit, signal.reset_after
        if remaining is None or limit is None or reset is None or remaining <= 0 or limit <= 0:
            return 0.0
        if remaining * 10 > limit:
            return 0.0
        return self.arm(max(0.0, reset) / (remaining + 1))

    def settle(self) -> None:
        """A response went through unrefused: escalating waits start afresh."""
        self._streak = 0

    def _budget_delay(self, now: float) -> float:
        budget = self.policy.budget
        if budget is None or len(self._sent) < budget[0]:
            return 0.0
        return self._sent[0] + budget[1] - now

    def delay(self) -> float:
        """Seconds until the next request may be sent (0 when the gate is open)."""
        now = self.clock.monotonic()
        return max(0.0, self._open_at - now, self._budget_delay(now))

    def _get_lock(self) -> asyncio.Lock:
        import asyncio  # on first use: importing the SDK does not start asyncio

        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def _refuse(self, delay: float, why: str) -> RateLimited:
        until = self.clock.now() + timedelta(seconds=delay)
        return RateLimited(
            f"the rate gate stays closed for {delay:.1f}s (until {until.isoformat()}), "
            f"longer than {why}; nothing was sent",
            retry_after=delay,
            until=until,
        )

    def _check(self, delay: float, spent: float, budget: float) -> None:
        if delay > self.policy.max_wait + _EPSILON:
            raise self._refuse(delay, f"max_wait={self.policy.max_wait:g}s")
        if spent + delay > budget + _EPSILON:
            raise self._refuse(delay, f"the {budget:.1f}s of waiting this request has left")

    async def acquire(self, *, budget: float | None = None) -> float:
        """Wait until a request may be sent, then take a send slot.

        Raises [`RateLimited`][reposix.RateLimited] at once, without sleeping, when
        the wait would exceed ``policy.max_wait`` or ``budget`` (the caller's
        remaining total wait). Returns the seconds spent waiting.
        """
        limit = self.policy.max_total_wait if budget is None else budget
        started = self.clock.monotonic()
        self._check(self.delay(), 0.0, limit)  # fail fast, before queueing
        async with self._get_lock():
            while True:
                delay = self.delay()
                if delay <= 0:
                    break
                self._check(delay, self.clock.monotonic() - started, limit)
                await self.clock.sleep(delay)
            if self.policy.budget is not None:
                self._sent.append(self.clock.monotonic())
        return self.clock.monotonic() - started
