"""One parser for every rate-limit signal in the wild."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

__all__ = ["RateSignal", "parse_signal"]


@dataclass(frozen=True, slots=True)
class RateSignal:
    """What a response says about rate limits.

    ``refused``: the request was refused for rate limiting and must be retried later.
    ``wait``: seconds from now until requests may resume (None: unknown).
    ``remaining``: requests left in the current window, when the server says.
    """

    refused: bool
    wait: float | None
    remaining: int | None = None


def parse_signal(status: int, headers: Mapping[str, str], now: datetime) -> RateSignal | None:
    """Read a response's rate-limit signal, or None when it carries none."""
    from reposix.ratelimit import _parse

    return _parse.parse(status, headers, now)
