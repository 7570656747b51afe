"""The retry loop's decisions, kept out of ``HttpClient.request`` so they can be tested alone.

One `RetryState` lives for one logical request. The client calls
`before_attempt` before each send, then either
`after_response` or `after_transport_error`,
audits the returned `Step`'s outcome, and does what the step says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, NoReturn

import httpx

from reposix._audit_event import Outcome
from reposix._errors import RateLimited, ReposixError, TransportError
from reposix._ratelimit.gate import RateGate
from reposix._ratelimit.policy import RetryPolicy
from reposix._ratelimit.signals import RateSignal, parse_signal

__all__ = ["RetryState", "Step"]

# Failures that will fail the same way every time: retrying them only wastes time.
_PERMANENT_TRANSPORT_ERRORS = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
_BODY_PREFIX = 4096


@dataclass(frozen=True, slots=True)
class Step:
    """What to do after one attempt.

    ``action``: ``"return"`` the response, ``"retry"`` after sleeping ``delay``
    (rate-limit waits happen in the gate, so their ``delay`` is 0), or ``"raise"``
    ``error``. ``outcome`` is the attempt's audit outcome (None: the client decides,
    e.g. ``ok``/``http_error`` or a redirect).
    """

    action: Literal["return", "retry", "raise"]
    outcome: Outcome | None = None
    delay: float = 0.0
    error: ReposixError | None = None
    signal: RateSignal | None = None

    def throw(self) -> NoReturn:
        """Raise this step's error (without chaining the transport exception)."""
        if self.error is None:
            raise RuntimeError(f"a {self.action!r} step has no error to raise")
        raise self.error from None


class RetryState:
    """Attempt counting, waiting and the retry decisions for one logical request.

    ``retryable``: the request may be sent again (an idempotent method, or a caller
    idempotency key). A refused rate limit allows another attempt while fewer than
    ``gate.policy.max_attempts`` were made; a 5xx or transport error while fewer than
    ``retry.max_attempts``. All sleeping counts toward ``gate.policy.max_total_wait``.
    """

    def __init__(
        self, *, gate: RateGate, retry: RetryPolicy, retryable: bool, label: str = "request"
    ) -> None:
        self.gate = gate
        self.retry = retry
        self.retryable = retryable
        self.label = label
        """What to call the request in errors (must already be redacted)."""
        self.attempt = 0
        self.waited = 0.0

    @property
    def max_attempts(self) -> int:
        """The most sends this request can make, whatever the failures."""
        return max(self.gate.policy.max_attempts, self.retry.max_attempts)

    def restart(self) -> None:
        """Count attempts afresh (a followed redirect is a new request); waits still add up."""
        self.attempt = 0

    async def before_attempt(self) -> None:
        """Wait at the gate, then count the attempt. Raises RateLimited without sending."""
        self.waited += await self.gate.acquire(
            budget=max(0.0, self.gate.policy.max_total_wait - self.waited)
        )
        self.attempt += 1

    def spend(self, delay: float) -> float:
        """Count ``delay`` seconds of backoff toward ``max_total_wait``; returns it."""
        self.waited += max(0.0, delay)
        return delay

    async def pause(self, step: Step) -> None:
        """Sleep the backoff a ``retry`` step asks for, on the gate's clock."""
        if step.delay > 0:
            await self.gate.clock.sleep(self.spend(step.delay))

    def _backoff(self, server_wait: float | None) -> float | None:
        """The delay before the next 5xx/transport retry, or None when retrying is over."""
        if not self.retryable or self.attempt >= self.retry.max_attempts:
            return None
        delay = self.retry.backoff(self.attempt)
        if server_wait is not None:
            delay = max(delay, server_wait)
        # The retry also waits at the gate (armed, or the budget): if that wait cannot
        # fit, hand back the failure we have rather than a RateLimited later.
        total = max(delay, self.gate.delay())
        limits = self.gate.policy
        if total > limits.max_wait or self.waited + total > limits.max_total_wait:
            return None
        return delay

    def _rate_limited(self, signal: RateSignal, wait: float, status: int) -> Step:
        limits = self.gate.policy
        until = self.gate.clock.now() + timedelta(seconds=wait)
        why: str | None = None
        if not self.retryable:
            why = "not retried: only idempotent methods or requests with an idempotency key are"
        elif wait > limits.max_wait:
            why = f"the wait exceeds max_wait={limits.max_wait:g}s"
        elif self.attempt >= limits.max_attempts:
            why = f"gave up after {self.attempt} attempts (max_attempts={limits.max_attempts})"
        elif self.waited + wait > limits.max_total_wait:
            why = f"waiting would exceed max_total_wait={limits.max_total_wait:g}s"
        if why is None:
            return Step("retry", "rate_limited", signal=signal)
        reason = f" [{signal.reason}]" if signal.reason else ""
        error = RateLimited(
            f"{self.label} was refused for rate limiting ({status}{reason}); retry after "
            f"{wait:.1f}s (until {until.isoformat()}): {why}",
            retry_after=wait,
            until=until,
        )
        return Step("raise", "rate_limited", error=error, signal=signal)

    def after_response(self, response: httpx.Response) -> Step:
        """Read the response's rate-limit signal, arm the gate, decide what follows."""
        status = response.status_code
        gate = self.gate
        # 403/429 bodies may be GitHub's secondary-limit error object, 200/400 bodies a
        # GraphQL "ratelimited" error (Linear answers 400; see signals).
        body = response.content[:_BODY_PREFIX] if status in (200, 400, 403, 429) else None
        signal = parse_signal(status, response.headers, gate.clock.now(), body=body)
        if signal is not None and signal.refused:
            return self._rate_limited(signal, gate.arm(signal), status)
        gate.settle()
        if signal is not None and signal.exhausted and signal.wait is not None:
            gate.arm(signal)  # this one went through; the next one must wait for the reset
        elif signal is not None:
            gate.pace(signal)  # nearly spent: slow down ahead of a refusal
        if status in self.retry.retry_statuses:
            delay = self._backoff(signal.wait if signal is not None else None)
            if delay is not None:
                return Step("retry", "retried", delay=delay, signal=signal)
        return Step("return", signal=signal)

    def after_transport_error(self, exc: httpx.TransportError) -> Step:
        """Retry an idempotent request after a jittered backoff, or give up."""
        permanent = isinstance(exc, _PERMANENT_TRANSPORT_ERRORS)
        delay = None if permanent else self._backoff(None)
        if delay is not None:
            return Step("retry", "retried", delay=delay)
        timed_out = isinstance(exc, httpx.TimeoutException)
        outcome: Outcome = "timeout" if timed_out else "transport_error"
        plural = "s" if self.attempt != 1 else ""
        error = TransportError(
            f"{self.label}: {type(exc).__name__} after {self.attempt} attempt{plural}",
            hint=None if self.retryable else "a POST/PATCH is retried only with an idempotency key",
        )
        return Step("raise", outcome, error=error)
