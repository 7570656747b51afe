"""Bounds on waiting and retrying."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["RateLimitPolicy", "RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """How long the gate may wait for a rate limit, and how fast requests may go.

    ``budget`` is an optional proactive pace: at most ``budget[0]`` requests per
    ``budget[1]`` seconds, so the server never has to refuse.
    """

    max_attempts: int = 5
    max_wait: float = 60.0
    max_total_wait: float = 300.0
    default_wait: float = 60.0
    budget: tuple[int, float] | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of idempotent requests on 5xx and transport errors, with jittered backoff."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    retry_statuses: frozenset[int] = frozenset({500, 502, 503, 504})
    rng: random.Random = field(default_factory=lambda: random.Random(0), compare=False)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based): full jitter, capped."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return self.rng.uniform(ceiling / 2, ceiling)
