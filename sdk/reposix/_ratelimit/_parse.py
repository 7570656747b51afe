"""Reading single header values: times (five spellings) and counts. Never raises.

The time rule, applied to every reset-like value (``Retry-After``, ``*-Reset``,
the IETF ``t=`` parameter):

1. Plain non-negative number (digits, optional fraction):
   ``>= 1e12`` is epoch **milliseconds** (1e12 ms is 2001-09-09; Linear, octokit
   fixtures); ``>= 1e9`` is epoch **seconds** (1e9 s is 2001-09-09 as a date, and
   31.7 years as a delta, which no server means; GitHub, GitLab); anything smaller is
   a **delta** in seconds (``Retry-After``, the IETF fields, Atlassian).
2. Otherwise an **HTTP date** (RFC 9110 IMF-fixdate and the obsolete forms, read by
   ``email.utils``; GitLab's ``RateLimit-ResetTime``, ``Retry-After``).
3. Otherwise an **ISO-8601** timestamp (``datetime.fromisoformat``; Jira's
   ``X-RateLimit-Reset: 2024-01-01T10:15Z``). Naive dates are taken as UTC.

Anything else (negative, ``inf``, ``1e3``, garbage, absurdly long) is ignored.
Absolute times in the past give 0.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["EPOCH_MS_MIN", "EPOCH_S_MIN", "http_date", "parse_count", "seconds_until"]

EPOCH_MS_MIN = 1e12
"""Numbers at least this large are epoch milliseconds."""
EPOCH_S_MIN = 1e9
"""Numbers at least this large (and below `EPOCH_MS_MIN`) are epoch seconds."""

_NUMBER = re.compile(r"\d{1,16}(?:\.\d{1,9})?")
_COUNT = re.compile(r"\d{1,18}")
_MAX_LEN = 64


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def http_date(value: str) -> datetime | None:
    """An HTTP date (any RFC 9110 form) as an aware UTC datetime, or None."""
    if not any(c.isalpha() for c in value):
        return None
    try:
        return _utc(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _iso_date(value: str) -> datetime | None:
    try:
        return _utc(datetime.fromisoformat(value))
    except (TypeError, ValueError, OverflowError):
        return None


def seconds_until(value: object, reference: datetime) -> float | None:
    """Seconds from ``reference`` until ``value`` (see the module rule); never negative."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > _MAX_LEN:
        return None
    try:
        if _NUMBER.fullmatch(text):
            number = float(text)
            if not math.isfinite(number):
                return None
            if number >= EPOCH_MS_MIN:
                return max(0.0, number / 1000.0 - reference.timestamp())
            if number >= EPOCH_S_MIN:
                return max(0.0, number - reference.timestamp())
            return number
        when = http_date(text) or _iso_date(text)
        if when is None:
            return None
        return max(0.0, (when - _utc(reference)).total_seconds())
    except (OverflowError, ValueError):
        return None


def parse_count(value: object) -> int | None:
    """A non-negative request count; for a repeated header (``"5, 3"``) the smallest."""
    if value is None:
        return None
    counts = [
        int(part.strip())
        for part in str(value)[:_MAX_LEN].split(",")
        if _COUNT.fullmatch(part.strip())
    ]
    return min(counts) if counts else None
