"""Fault injection: what a misbehaving tracker does, switchable per app instance.

The shared misbehaviours (pagination, payload, per request) are
`PageFaults`, the conformance kit's vocabulary too. Set them from
tests (``app.faults``), over HTTP (``PUT``/``PATCH /_admin/faults``) or from ``reposix sim`` flags.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from reposix._faults import DECOY_ORIGIN, FOREIGN_ORIGIN, PageFaults

__all__ = [
    "DECOY_ORIGIN",
    "FOREIGN_ORIGIN",
    "SCHEDULE_ENTRIES",
    "Faults",
    "FixedWindowLimiter",
]

SCHEDULE_ENTRIES: frozenset[str] = frozenset(
    {
        "ok",
        "429",  # 429 + Retry-After in seconds
        "429-date",  # 429 + Retry-After as an HTTP date
        "429-remaining0",  # 429 with only X-RateLimit-Remaining: 0 and X-RateLimit-Reset
        "remaining0",  # served normally, but X-RateLimit-Remaining: 0 + reset: pace the next
        "403-ratelimit",  # GitHub-style primary limit: 403 + X-RateLimit-Remaining: 0
        "500",
        "502",
        "503",
        "504",
        "500-after",  # the write commits, then the response is lost as a 500
        "503-after",
        "malformed",  # the handler runs; the body is replaced by invalid JSON (status kept)
        "truncated",  # the handler runs; the body is cut in half
    }
)
"""What a `schedule` entry may say. Transport errors (a reset connection)
are not expressible inside an ASGI app: the kit injects those at its own layer."""


@dataclass
class Faults(PageFaults):
    """Faults one simulator app injects. The defaults inject nothing.

    The pagination, payload and per-request fields come from
    `PageFaults`, shared with the conformance kit's ``Knobs``
    (see docs/simulator.md#pagination); the simulator adds its retry and rate-limit knobs.
    """

    retry_after: float = 1.0
    """Seconds a scheduled rate-limit fault asks the client to wait."""
    rate_limit: int | None = None
    """A real fixed-window limiter: at most this many requests per `rate_window`."""
    rate_window: float = 60.0
    retry_after_format: Literal["seconds", "http-date"] = "seconds"
    """How the limiter's 429 writes ``Retry-After``."""

    def __post_init__(self) -> None:
        bad = [entry for entry in self.schedule if entry not in SCHEDULE_ENTRIES]
        if bad:
            raise ValueError(
                f"unknown schedule entries {bad}; known: {', '.join(sorted(SCHEDULE_ENTRIES))}"
            )
        for name in ("page_size", "truncate_at", "rate_limit"):
            value = getattr(self, name)
            if value is not None and value < (0 if name == "truncate_at" else 1):
                raise ValueError(f"{name} must be positive, got {value}")
        if self.latency < 0 or self.retry_after < 0 or self.rate_window <= 0:
            raise ValueError("latency and retry_after must be >= 0 and rate_window > 0")

    def to_json(self) -> dict[str, Any]:
        """The faults as a JSON object (what ``GET /_admin/faults`` returns)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any, *, base: Faults | None = None) -> Faults:
        """Faults from a JSON object; fields not given keep ``base``'s values (or defaults).

        Raises ``ValueError`` with a readable message for unknown fields or bad values.
        """
        if not isinstance(data, dict):
            raise ValueError("faults must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s) {', '.join(unknown)}")
        merged = {**(base.to_json() if base is not None else {}), **data}
        try:
            return _ADAPTER.validate_python(merged)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "<root>"
            raise ValueError(f"{loc}: {first['msg']}") from None


_ADAPTER: TypeAdapter[Faults] = TypeAdapter(Faults)


class FixedWindowLimiter:
    """The state behind `rate_limit`: one fixed window per client key.

    Windows that have ended are dropped on every call, so the map stays bounded by
    the number of clients active within one window (an unbounded map grows forever).
    """

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, now: float, limit: int, window: float) -> tuple[bool, int, float]:
        """Count one request: ``(allowed, remaining, seconds_until_reset)``."""
        for stale in [k for k, (start, _) in self._windows.items() if now >= start + window]:
            del self._windows[stale]
        start, used = self._windows.get(key, (now, 0))
        reset_in = max(0.0, start + window - now)
        if used >= limit:
            return False, 0, reset_in
        used += 1
        self._windows[key] = (start, used)
        return True, limit - used, reset_in

    def reset(self) -> None:
        """Forget every window."""
        self._windows.clear()
