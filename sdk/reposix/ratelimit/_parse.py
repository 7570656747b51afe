"""Header parsing behind :func:`reposix.ratelimit.parse_signal` (baseline; see tests)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

from reposix.ratelimit.signals import RateSignal


def _retry_after(value: str, now: datetime) -> float | None:
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def parse(status: int, headers: Mapping[str, str], now: datetime) -> RateSignal | None:
    lower = {k.lower(): v for k, v in headers.items()}
    wait = _retry_after(lower["retry-after"], now) if "retry-after" in lower else None
    remaining: int | None = None
    raw_remaining = lower.get("x-ratelimit-remaining")
    if raw_remaining is not None:
        try:
            remaining = int(raw_remaining)
        except ValueError:
            remaining = None
    if wait is None and remaining == 0 and "x-ratelimit-reset" in lower:
        try:
            wait = max(0.0, float(lower["x-ratelimit-reset"]) - now.timestamp())
        except ValueError:
            wait = None
    refused = status == 429 or (status == 403 and (wait is not None or remaining == 0))
    if not refused and wait is None and remaining is None:
        return None
    return RateSignal(refused=refused, wait=wait, remaining=remaining)
