"""Bounds on waiting and retrying, chosen per connector instance."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from reposix._errors import ConfigError

__all__ = ["RateLimitPolicy", "RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """How long the gate may wait for a rate limit, and how fast requests may go.

    ``max_attempts``: sends of one request when the server keeps refusing (429/403).
    ``max_wait``: the longest single wait; a longer one raises ``RateLimited`` at once
    (never clamped: retrying early would only be refused again).
    ``max_total_wait``: all sleeping one request may do (rate-limit waits and backoff).
    ``default_wait``: the wait for a refusal that names no time (a bare 429).
    ``budget``: an optional proactive pace, at most ``budget[0]`` requests in any
    ``budget[1]`` seconds, so the server never has to refuse.
    """

    max_attempts: int = 5
    max_wait: float = 60.0
    max_total_wait: float = 300.0
    default_wait: float = 60.0
    budget: tuple[int, float] | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError(f"RateLimitPolicy.max_attempts={self.max_attempts} must be >= 1")
        for name in ("max_wait", "max_total_wait", "default_wait"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"RateLimitPolicy.{name}={value!r} must be a finite number >= 0")
        if self.budget is not None:
            count, seconds = self.budget
            if count < 1 or not (math.isfinite(seconds) and seconds > 0):
                raise ConfigError(
                    f"RateLimitPolicy.budget={self.budget!r} must be (requests >= 1, seconds > 0)",
                    hint="for 5,000 requests an hour write budget=(5000, 3600)",
                )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of idempotent requests on 5xx and transport errors, with jittered backoff.

    ``max_attempts`` counts every send of one request (1 means never retry).
    ``rng`` draws the jitter: seeded from the OS by default so that many clients do
    not retry in lockstep; pass ``random.Random(seed)`` for reproducible tests.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    retry_statuses: frozenset[int] = frozenset({500, 502, 503, 504})
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError(f"RetryPolicy.max_attempts={self.max_attempts} must be >= 1")
        if not (0 <= self.base_delay <= self.max_delay and math.isfinite(self.max_delay)):
            raise ConfigError(
                f"RetryPolicy delays base={self.base_delay!r} max={self.max_delay!r} "
                "must satisfy 0 <= base_delay <= max_delay"
            )

    def backoff(self, attempt: int) -> float:
        """Delay after failed attempt number ``attempt`` (1-based).

        Exponential (``base_delay * 2**(attempt-1)``, capped at ``max_delay``) with
        "equal jitter": uniform in ``[ceiling/2, ceiling]``, so delays still grow while
        concurrent clients spread out.
        """
        exponent = min(max(attempt - 1, 0), 62)
        ceiling = min(self.max_delay, self.base_delay * float(2**exponent))
        return self.rng.uniform(ceiling / 2, ceiling)
