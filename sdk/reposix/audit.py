"""The audit log: one append-only event per request attempt, including refused ones."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

__all__ = [
    "AUDIT_ENV",
    "AuditEvent",
    "AuditSink",
    "MemoryAuditSink",
    "Outcome",
    "SqliteAuditSink",
    "default_audit_path",
    "default_sink",
]

AUDIT_ENV = "REPOSIX_AUDIT_DB"
"""Env var naming the SQLite audit database file (``:memory:`` keeps it in memory)."""

Outcome = Literal[
    "ok", "http_error", "egress_denied", "rate_limited", "retried", "transport_error", "timeout"
]


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


class AuditSink(Protocol):
    """Where audit events go. Implementations must be append-only."""

    def append(self, event: AuditEvent) -> None:
        """Record one event."""
        ...


class MemoryAuditSink:
    """An in-memory sink for tests: a list you can inspect."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> None:
        self.events.append(event)

    def __iter__(self) -> Iterator[AuditEvent]:
        return iter(list(self.events))


_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    connector TEXT NOT NULL,
    op TEXT NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER,
    duration_ms REAL NOT NULL,
    outcome TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
"""


class SqliteAuditSink:
    """The default sink: a SQLite table whose triggers refuse UPDATE and DELETE."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.executescript(_SCHEMA)

    def append(self, event: AuditEvent) -> None:
        row = asdict(event)
        row["ts"] = event.ts.astimezone(UTC).isoformat()
        with self._lock:
            self._conn.execute(
                "INSERT INTO audit_events (ts, connector, op, method, url, status, duration_ms,"
                " outcome) VALUES (:ts, :connector, :op, :method, :url, :status, :duration_ms,"
                " :outcome)",
                row,
            )

    def events(self) -> list[AuditEvent]:
        """Every event, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT ts, connector, op, method, url, status, duration_ms, outcome"
                " FROM audit_events ORDER BY seq"
            ).fetchall()
        return [
            AuditEvent(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7])
            for r in rows
        ]

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()


def default_audit_path() -> str:
    """``$REPOSIX_AUDIT_DB``, else ``$XDG_STATE_HOME/reposix/audit.db`` (``~/.local/state``)."""
    configured = os.environ.get(AUDIT_ENV, "").strip()
    if configured:
        return configured
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return str(Path(state) / "reposix" / "audit.db")


_default: SqliteAuditSink | None = None
_default_lock = threading.Lock()


def default_sink() -> SqliteAuditSink:
    """The process-wide SQLite sink at :func:`default_audit_path` (opened once)."""
    global _default
    with _default_lock:
        path = default_audit_path()
        if _default is None or _default.path != path:
            _default = SqliteAuditSink(path)
        return _default
