"""The audit log: one append-only event per request attempt, including refused ones."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol, Self, get_args

from reposix._errors import ConfigError

__all__ = [
    "AUDIT_ENV",
    "OUTCOMES",
    "AuditEvent",
    "AuditSink",
    "MemoryAuditSink",
    "Outcome",
    "SqliteAuditSink",
    "default_audit_path",
    "default_sink",
]

log = logging.getLogger("reposix.audit")

AUDIT_ENV = "REPOSIX_AUDIT_DB"
"""Env var naming the SQLite audit database file (``:memory:`` keeps it in memory)."""

Outcome = Literal[
    "ok", "http_error", "egress_denied", "rate_limited", "retried", "transport_error", "timeout"
]
"""How one attempt ended. ``retried``: it failed and another attempt follows."""
OUTCOMES: tuple[str, ...] = get_args(Outcome)
"""Every valid :data:`Outcome`, in declaration order."""


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
    """Where audit events go. Implementations must be append-only."""

    def append(self, event: AuditEvent) -> None:
        """Record one event."""
        ...


class MemoryAuditSink:
    """An in-memory sink for tests: a list you can inspect."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> None:
        """Record one event."""
        self.events.append(event)

    def __iter__(self) -> Iterator[AuditEvent]:
        return iter(list(self.events))

    def __len__(self) -> int:
        return len(self.events)


_OUTCOME_SQL = ", ".join(f"'{o}'" for o in OUTCOMES)
_APPEND_ONLY = "RAISE(ABORT, 'audit_events is append-only')"
SCHEMA_SQL = f"""
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    connector TEXT NOT NULL,
    op TEXT NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER,
    duration_ms REAL NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ({_OUTCOME_SQL}))
);
DROP TRIGGER IF EXISTS audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT {_APPEND_ONLY}; END;
DROP TRIGGER IF EXISTS audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT {_APPEND_ONLY}; END;
DROP TRIGGER IF EXISTS audit_events_no_replace;
CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
WHEN NEW.seq IS NOT NULL AND EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq)
BEGIN SELECT {_APPEND_ONLY}; END;
COMMIT;
"""
"""The audit table and the triggers that make it append-only (re-created on every open).

``INSERT OR REPLACE`` would delete the old row without firing the DELETE
trigger, so a third trigger refuses any insert that reuses an existing ``seq``.
"""

# What our own connection may do once the schema is loaded: read and insert.
_DENIED_ACTIONS = frozenset(
    getattr(sqlite3, name)
    for name in (
        "SQLITE_UPDATE",
        "SQLITE_DELETE",
        "SQLITE_DROP_TABLE",
        "SQLITE_DROP_TRIGGER",
        "SQLITE_DROP_TEMP_TRIGGER",
        "SQLITE_CREATE_TEMP_TRIGGER",
        "SQLITE_ALTER_TABLE",
        "SQLITE_ATTACH",
        "SQLITE_DETACH",
    )
)


def _authorizer(action: int, arg1: str | None, *_: str | None) -> int:
    if action in _DENIED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in {
        "writable_schema",
        "recursive_triggers",
        "journal_mode",
    }:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


class SqliteAuditSink:
    """The default sink: a SQLite table whose triggers refuse UPDATE and DELETE.

    Defence in depth: the triggers bind every connection (tested with a second
    raw one); this sink's own connection also runs with ``SQLITE_DBCONFIG_DEFENSIVE``
    where Python exposes it (3.12+) and an authorizer that only allows reads and
    inserts. A process that can write the file can still drop the triggers: the
    log is tamper-evident against mistakes and other tools, not against root.

    Writes are best effort: a failing insert is logged at ERROR on
    ``reposix._audit`` and counted in :attr:`failures`, never raised into the
    request it describes. Failing to *open* the database is a ConfigError.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.failures = 0
        self._lock = threading.Lock()
        try:
            if self.path != ":memory:":
                file = Path(self.path)
                file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                # Created private: the log names hosts and operations.
                os.close(os.open(file, os.O_CREAT | os.O_WRONLY, 0o600))
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            setconfig = getattr(self._conn, "setconfig", None)
            if setconfig is not None:  # Python 3.12+
                setconfig(sqlite3.SQLITE_DBCONFIG_DEFENSIVE, True)  # type: ignore[attr-defined]
            self._conn.execute("PRAGMA trusted_schema = OFF")
            self._conn.executescript(SCHEMA_SQL)
            self._conn.set_authorizer(_authorizer)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the audit database {self.path!r}: {exc}",
                hint=f"point {AUDIT_ENV} at a writable file path (or ':memory:')",
            ) from None

    def __repr__(self) -> str:
        return f"SqliteAuditSink({self.path!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def append(self, event: AuditEvent) -> None:
        """Insert one row (best effort: failures are logged, not raised)."""
        row = asdict(event)
        row["ts"] = event.ts.astimezone(UTC).isoformat()
        try:
            with self._lock:
                self._conn.execute(
                    "INSERT INTO audit_events (ts, connector, op, method, url, status,"
                    " duration_ms, outcome) VALUES (:ts, :connector, :op, :method, :url,"
                    " :status, :duration_ms, :outcome)",
                    row,
                )
        except sqlite3.Error as exc:
            self.failures += 1
            log.error("audit event not recorded in %s: %s", self.path, exc)

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
    """The process-wide SQLite sink at :func:`default_audit_path` (opened once per path)."""
    global _default
    with _default_lock:
        path = default_audit_path()
        if _default is None or _default.path != path:
            _default = SqliteAuditSink(path)
        return _default
