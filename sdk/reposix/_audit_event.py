"""The audit vocabulary every client uses: one event per request attempt, the sink protocol.

Kept apart from the SQLite log (``reposix._audit``) so that importing a connector, or
running it with its own sink (`MemoryAuditSink` in tests and the kit), loads neither
``sqlite3`` nor the log's schema: those load when the default sink is first opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, get_args

__all__ = ["OUTCOMES", "AuditEvent", "AuditSink", "MemoryAuditSink", "Outcome", "flush_sink"]

Outcome = Literal[
    "ok", "http_error", "egress_denied", "rate_limited", "retried", "transport_error", "timeout"
]
"""How one attempt ended. ``retried``: it failed and another attempt follows."""
OUTCOMES: tuple[str, ...] = get_args(Outcome)
"""Every valid [`Outcome`][reposix_contract.Outcome], in declaration order."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One request attempt. ``url`` is always redacted before it gets here."""

    ts: datetime
    connector: str
    op: str
    method: str
    url: str
    status: int | None
    duration_ms: float
    outcome: Outcome

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown audit outcome {self.outcome!r}")
        if self.ts.tzinfo is None:
            raise ValueError("audit timestamps must be timezone-aware")


class AuditSink(Protocol):
    """Where audit events go. Implementations must be append-only.

    A sink that buffers also defines ``flush()`` (make every appended event durable,
    raise AuditError if that fails); the client calls it through `flush_sink`
    before an error reaches its caller and when it closes.
    """

    def append(self, event: AuditEvent) -> None:
        """Record one event (may buffer it; raise AuditError if it cannot be kept)."""
        ...


def flush_sink(sink: AuditSink) -> None:
    """Call ``sink.flush()`` if the sink buffers (has one); a no-op otherwise."""
    flush = getattr(sink, "flush", None)
    if callable(flush):
        flush()


class MemoryAuditSink:
    """An in-memory sink for tests: a list you can inspect."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> None:
        """Record one event."""
        self.events.append(event)

    def flush(self) -> None:
        """Nothing to do: the list is the log."""

    def __iter__(self) -> Iterator[AuditEvent]:
        return iter(list(self.events))

    def __len__(self) -> int:
        return len(self.events)
