"""The audit log: one append-only, hash-chained event per request attempt, refused ones too.

Guarantees and their limits are stated in ``docs/trust-model.md#audit-log``; in short:

* **Nothing is lost silently.** Rows are buffered and written in batches (one SQLite
  transaction per batch, WAL journal, ``synchronous=NORMAL``). A batch is written when
  it reaches `BATCH_ROWS` rows, `FLUSH_SECONDS` after its first row (by a
  background thread), as soon as a row records a failure, before the HTTP client lets
  any error reach its caller, on `close`, before ``fork`` and at
  interpreter exit. A write that still fails after the busy timeout and
  `WRITE_ATTEMPTS` retries raises [`AuditError`][reposix.AuditError] to the
  caller whose request triggered it; the rows stay buffered for the next attempt.
* **Tampering shows.** Each row stores ``hash = sha256(previous row's hash, this row)``
  (see `row_hash`). Opening a log checks the chain head, the triggers and that the
  table still exists if the file was ever an audit log; `verify` walks the whole
  chain (``reposix audit verify``) and names the first broken link.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from reposix._audit_event import (
    OUTCOMES,
    AuditEvent,
    AuditSink,
    MemoryAuditSink,
    Outcome,
    flush_sink,
)
from reposix._env import AUDIT_DB, XDG_STATE_HOME
from reposix._errors import AuditError, AuditTampered, ConfigError

__all__ = [
    "AUDIT_ENV",
    "BATCH_ROWS",
    "FLUSH_SECONDS",
    "GENESIS",
    "OUTCOMES",
    "WRITE_ATTEMPTS",
    "AuditEvent",
    "AuditSink",
    "MemoryAuditSink",
    "Outcome",
    "SqliteAuditSink",
    "Verification",
    "default_audit_path",
    "default_sink",
    "flush_sink",
    "row_hash",
    "verify",
]

log = logging.getLogger("reposix.audit")

AUDIT_ENV = AUDIT_DB.name
"""Env var naming the SQLite audit database file (``:memory:`` keeps it in memory)."""

BATCH_ROWS = 256
"""A batch is written once it holds this many rows."""
FLUSH_SECONDS = 0.5
"""...or this many seconds after its first row was appended, whichever comes first."""
BUSY_TIMEOUT_MS = 5000
"""How long one write waits for another process's transaction (SQLite busy timeout)."""
WRITE_ATTEMPTS = 4
"""Attempts per batch when the database stays locked past the busy timeout."""
GENESIS = "0" * 64
"""The ``previous hash`` of the first row."""

_APPLICATION_ID = 0x72707831  # "rpx1" in the SQLite file header: this file is an audit log
_SCHEMA_VERSION = 2  # PRAGMA user_version: 2 = hash-chained rows

# -- schema ---------------------------------------------------------------------------------

_OUTCOME_SQL = ", ".join(f"'{o}'" for o in OUTCOMES)
_APPEND_ONLY = "RAISE(ABORT, 'audit_events is append-only')"
_TABLE_SQL = f"""CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    connector TEXT NOT NULL,
    op TEXT NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER,
    duration_ms REAL NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ({_OUTCOME_SQL})),
    hash TEXT NOT NULL CHECK (length(hash) = 64)
)"""
TRIGGERS: dict[str, str] = {
    "audit_events_no_update": (
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events\n"
        f"BEGIN SELECT {_APPEND_ONLY}; END"
    ),
    "audit_events_no_delete": (
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events\n"
        f"BEGIN SELECT {_APPEND_ONLY}; END"
    ),
    # INSERT OR REPLACE deletes the old row without firing the DELETE trigger.
    "audit_events_no_replace": (
        "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events\n"
        "WHEN NEW.seq IS NOT NULL AND EXISTS "
        "(SELECT 1 FROM audit_events WHERE seq = NEW.seq)\n"
        f"BEGIN SELECT {_APPEND_ONLY}; END"
    ),
}
"""The triggers that make the table append-only for every connection, by name."""

_COLUMNS = "seq, ts, connector, op, method, url, status, duration_ms, outcome, hash"
_INSERT = f"INSERT INTO audit_events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

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
        "user_version",
        "application_id",
    }:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def row_hash(prev: str, row: Sequence[Any]) -> str:
    """``sha256`` hex of the previous row's hash and this row's stored columns.

    ``row`` is ``(seq, ts, connector, op, method, url, status, duration_ms, outcome)``
    exactly as stored (``ts`` the UTC ISO-8601 text, ``duration_ms`` a float). The
    encoding is compact JSON of ``[prev, *row]`` in UTF-8, so any tool can recompute it.
    """
    payload = json.dumps([prev, *row], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def _stored(seq: int, event: AuditEvent) -> tuple[Any, ...]:
    return (
        seq,
        event.ts.astimezone(UTC).isoformat(),
        event.connector,
        event.op,
        event.method,
        event.url,
        event.status,
        float(event.duration_ms),
        event.outcome,
    )


@dataclass(frozen=True, slots=True)
class _Shape:
    """What an open database holds, read before anything is created."""

    marked: bool
    current: bool
    """Marked with this exact schema version: the open need not write the header."""
    has_table: bool
    has_hash: bool
    triggers: dict[str, str]
    has_rows: bool
    sequence: int | None


def _shape(conn: sqlite3.Connection) -> _Shape:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    triggers = dict(
        conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND tbl_name = 'audit_events'"
        )
    )
    has_table = (
        conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_events'").fetchone()
        is not None
    )
    columns = (
        {r[1] for r in conn.execute("PRAGMA table_info(audit_events)")} if has_table else set()
    )
    # EXISTS, not count(*): a count reads the whole table, every open, as the log grows.
    has_rows = has_table and bool(
        conn.execute("SELECT EXISTS (SELECT 1 FROM audit_events)").fetchone()[0]
    )
    sequence = None
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
        found = conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'"
        ).fetchone()
        sequence = None if found is None else int(found[0])
    return _Shape(
        marked=app_id == _APPLICATION_ID and version >= _SCHEMA_VERSION,
        current=app_id == _APPLICATION_ID and version == _SCHEMA_VERSION,
        has_table=has_table,
        has_hash="hash" in columns,
        triggers=triggers,
        has_rows=has_rows,
        sequence=sequence,
    )


def _trigger_problem(shape: _Shape) -> str | None:
    for name, sql in TRIGGERS.items():
        found = shape.triggers.get(name)
        if found is None:
            return f"trigger {name} is missing"
        if found != sql:
            return f"trigger {name} was replaced"
    extra = sorted(set(shape.triggers) - set(TRIGGERS))
    if extra:
        return f"unexpected trigger(s) {', '.join(extra)} on audit_events"
    return None


def _check_link(prev: str, expected_seq: int, row: Sequence[Any]) -> str | None:
    """Why ``row`` (all stored columns, hash last) does not follow ``prev``, or None."""
    seq = row[0]
    if seq != expected_seq:
        return f"row {seq} follows row {expected_seq - 1}: rows {expected_seq}..{seq - 1} removed"
    if row_hash(prev, row[:-1]) != row[-1]:
        return f"row {seq} does not match its hash: it, or the row before it, was altered"
    return None


def _head_problem(conn: sqlite3.Connection, shape: _Shape) -> str | None:
    """O(1) check of the chain's head: the last link and the AUTOINCREMENT high-water mark."""
    last = conn.execute(f"SELECT {_COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT 2").fetchall()
    if not last:
        if shape.sequence:
            return f"the log held {shape.sequence} rows and is now empty"
        return None
    head = last[0]
    if shape.sequence is not None and shape.sequence != head[0]:
        return f"rows after {head[0]} (up to {shape.sequence}) were removed"
    if len(last) == 1:
        return _check_link(GENESIS, 1, head)
    return _check_link(last[1][-1], last[1][0] + 1, head)


# -- the SQLite sink ------------------------------------------------------------------------


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


class SqliteAuditSink:
    """The default sink: a hash-chained SQLite table whose triggers refuse UPDATE and DELETE.

    ``append`` buffers; a batch is written in one transaction (see the module docstring
    for when). Defence in depth: the triggers bind every connection; this sink's own
    connection also runs with ``SQLITE_DBCONFIG_DEFENSIVE`` where Python exposes it
    (3.12+) and an authorizer that only allows reads and inserts.

    Raises [`ConfigError`][reposix.ConfigError] if the file cannot be opened or predates
    hash chaining, [`AuditTampered`][reposix.AuditTampered] if it was tampered with
    (table, triggers or chain head), and [`AuditError`][reposix.AuditError] from
    ``append``/``flush``/``close`` when rows cannot be written.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        batch_rows: int = BATCH_ROWS,
        flush_seconds: float = FLUSH_SECONDS,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        self.path = str(path)
        self.batch_rows = max(1, batch_rows)
        self.flush_seconds = flush_seconds
        self.written = 0
        """Rows this sink has committed."""
        self._pending: list[AuditEvent] = []
        self._lock = threading.Lock()  # guards _pending
        self._write_lock = threading.RLock()  # serializes use of the connection
        self._closed = False
        self._pid = os.getpid()  # a SQLite connection must not be used across fork
        try:
            if self.path != ":memory:":
                file = Path(self.path)
                file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                # Created private: the log names hosts and operations.
                os.close(os.open(file, os.O_CREAT | os.O_WRONLY, 0o600))
            self._conn = sqlite3.connect(
                self.path,
                check_same_thread=False,
                isolation_level=None,
                timeout=busy_timeout_ms / 1000,
            )
            setconfig = getattr(self._conn, "setconfig", None)
            if setconfig is not None:  # Python 3.12+
                setconfig(sqlite3.SQLITE_DBCONFIG_DEFENSIVE, True)  # type: ignore[attr-defined]
            self._conn.execute("PRAGMA trusted_schema = OFF")
            self._retrying(self._open_schema)
            self._conn.set_authorizer(_authorizer)
        except (AuditTampered, ConfigError):
            self._conn.close()
            raise
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the audit database {self.path!r}: {exc}",
                hint=f"point {AUDIT_ENV} at a writable file path (or ':memory:')",
            ) from None
        _live.add(self)

    def _open_schema(self) -> None:
        conn = self._conn
        # WAL: readers never block the writer, and a commit appends to the WAL without an
        # fsync under synchronous=NORMAL (durable across a crash of this process; the last
        # commits can be lost on power failure, the file is never corrupted).
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            shape = _shape(conn)
            if shape.has_table and not shape.has_hash:
                raise ConfigError(
                    f"the audit database {self.path!r} predates hash-chained rows",
                    hint="move the old file aside (it stays readable with sqlite3); "
                    "a new log starts in its place",
                )
            if shape.marked and not shape.has_table:
                raise AuditTampered(
                    f"{self.path}: the audit_events table vanished from a file that was "
                    "an audit log; refusing to start a fresh log over it",
                    hint="keep the file as evidence and point REPOSIX_AUDIT_DB elsewhere",
                )
            if not shape.has_table:
                conn.execute(_TABLE_SQL)
            problem = _trigger_problem(shape) if shape.has_table else "new"
            if problem is not None:
                if shape.has_rows or shape.sequence:
                    raise AuditTampered(
                        f"{self.path}: {problem} while the log held rows; "
                        "rows may have been changed without a trace",
                        hint="run `reposix audit verify` and keep the file as evidence",
                    )
                for name, sql in TRIGGERS.items():
                    conn.execute(f"DROP TRIGGER IF EXISTS {name}")
                    conn.execute(sql)
            head = _head_problem(conn, shape)
            if head is not None:
                raise AuditTampered(
                    f"{self.path}: {head}",
                    hint="run `reposix audit verify` and keep the file as evidence",
                )
            if not (shape.current and shape.has_table and problem is None):
                # Only a new or repaired log writes the header: an unchanged open stays a
                # read, so its COMMIT writes nothing (it cost a WAL write on every start).
                conn.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def __repr__(self) -> str:
        return f"SqliteAuditSink({self.path!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def pending(self) -> int:
        """Rows appended but not yet committed."""
        return len(self._pending)

    def append(self, event: AuditEvent) -> None:
        """Buffer one row; write the batch now if it is full or the row records a failure.

        Raises AuditError if the sink is closed or that write fails (the rows stay buffered).
        """
        if self._closed:
            raise AuditError(
                f"audit event for {event.method} {event.url} arrived after {self.path} was closed",
                hint="close the sink only after the clients that use it",
            )
        with self._lock:
            self._pending.append(event)
            first = len(self._pending) == 1
            full = len(self._pending) >= self.batch_rows
        if full or event.outcome != "ok":
            self.flush()
        elif first:
            _flusher.schedule(self)

    def flush(self) -> None:
        """Commit every buffered row in one transaction; AuditError if that fails."""
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            if os.getpid() != self._pid:
                with self._lock:
                    self._pending[:0] = batch
                raise AuditError(
                    f"{len(batch)} audit row(s) appended in a forked child to the sink its "
                    f"parent opened on {self.path}; SQLite connections do not survive fork",
                    hint="open a new SqliteAuditSink in the child (default_sink() does)",
                )
            try:
                self._retrying(lambda: self._write(batch))
            except (sqlite3.Error, ValueError) as exc:
                with self._lock:
                    self._pending[:0] = batch
                log.error("%d audit rows not written to %s: %s", len(batch), self.path, exc)
                raise AuditError(
                    f"{len(batch)} audit row(s) could not be written to {self.path}: {exc}; "
                    "the requests they describe were sent",
                    hint="free the disk or lock that blocks the audit database "
                    f"(or point {AUDIT_ENV} elsewhere); the rows stay buffered and the "
                    "next write retries them",
                ) from None
            self.written += len(batch)

    def _write(self, batch: list[AuditEvent]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            last = conn.execute(
                "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, prev = last if last is not None else (0, GENESIS)
            rows = []
            for event in batch:
                seq += 1
                stored = _stored(seq, event)
                prev = row_hash(prev, stored)
                rows.append((*stored, prev))
            conn.executemany(_INSERT, rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _retrying(self, action: Any) -> None:
        """Run ``action``; retry it when another process holds the lock past the timeout."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                action()
                return
            except sqlite3.Error as exc:
                if not _is_busy(exc) or attempt == WRITE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)

    def events(self) -> list[AuditEvent]:
        """Every event, oldest first (buffered rows are written first)."""
        self.flush()
        with self._write_lock:
            rows = self._conn.execute(
                "SELECT ts, connector, op, method, url, status, duration_ms, outcome"
                " FROM audit_events ORDER BY seq"
            ).fetchall()
        return [
            AuditEvent(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7])
            for r in rows
        ]

    def close(self) -> None:
        """Write buffered rows, then close the connection (AuditError if rows were lost)."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            _live.discard(self)
            with self._write_lock:
                self._conn.close()


# -- verification ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of `verify`: ``ok``, rows checked, the head hash, the first problem."""

    path: str
    ok: bool
    rows: int
    head: str | None
    problem: str | None = None
    broken_at: int | None = None
    """``seq`` of the first row whose link is broken, when the problem is in the chain."""


def verify(path: str | Path) -> Verification:
    """Walk the whole chain of the audit log at ``path`` (opened read-only).

    Checks the file is an audit log, the table and triggers are intact, every row's
    ``seq`` follows the previous one and its hash matches, and no rows were cut off the
    end. Stops at the first problem. Raises ConfigError if the file cannot be read.
    """
    path = str(path)
    if not Path(path).is_file():
        raise ConfigError(
            f"no audit database at {path!r}",
            hint=f"check the path (the SDK's log is at ${AUDIT_ENV}, else {default_audit_path()})",
        )
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot read the audit database {path!r}: {exc}") from None
    try:
        return _verify(conn, path)
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot read the audit database {path!r}: {exc}") from None
    finally:
        conn.close()


def _verify(conn: sqlite3.Connection, path: str) -> Verification:
    shape = _shape(conn)

    def broken(problem: str, rows: int = 0, at: int | None = None) -> Verification:
        return Verification(path, False, rows, None, problem, at)

    if not shape.has_table:
        return broken("the audit_events table is missing" if shape.marked else "not an audit log")
    if not shape.has_hash:
        return broken("the log predates hash-chained rows: nothing to verify")
    prev, expected, count = GENESIS, 1, 0
    for row in conn.execute(f"SELECT {_COLUMNS} FROM audit_events ORDER BY seq"):
        problem = _check_link(prev, expected, row)
        if problem is not None:
            return broken(problem, count, row[0])
        prev, expected, count = row[-1], row[0] + 1, count + 1
    if shape.sequence is not None and shape.sequence != expected - 1:
        return broken(
            f"rows {expected}..{shape.sequence} were removed from the end", count, expected
        )
    trigger = _trigger_problem(shape)
    if trigger is not None:
        return broken(f"{trigger}: rows could be changed without a trace", count)
    return Verification(path, True, count, prev if count else None)


# -- lifetime: background flushes, fork and interpreter exit -----------------------------------

_live: weakref.WeakSet[SqliteAuditSink] = weakref.WeakSet()
_default: SqliteAuditSink | None = None


class _Flusher:
    """One daemon thread that writes a sink's batch ``flush_seconds`` after its first row."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: dict[SqliteAuditSink, float] = {}
        self._thread: threading.Thread | None = None

    def schedule(self, sink: SqliteAuditSink) -> None:
        with self._cond:
            self._due.setdefault(sink, time.monotonic() + sink.flush_seconds)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="reposix-audit-flush", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._due:
                    self._cond.wait()
                sink, at = min(self._due.items(), key=lambda item: item[1])
                wait = at - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                del self._due[sink]
            _flush_quietly(sink, "scheduled")

    def reset(self) -> None:
        """In a forked child: the parent's thread and schedule do not exist here."""
        self._cond = threading.Condition()
        self._due = {}
        self._thread = None


_flusher = _Flusher()


def _flush_quietly(sink: SqliteAuditSink, when: str) -> None:
    """Flush where nobody can receive an error: log it (the rows stay buffered)."""
    if sink._closed:
        return
    try:
        sink.flush()
    except AuditError as exc:
        log.error("%s audit flush failed: %s", when, exc.message)
        if when == "exit":
            print(f"reposix: {exc}", file=sys.stderr)
        elif when == "scheduled":
            _flusher.schedule(sink)  # try again later; the next append or close raises


def _flush_all(when: str) -> None:
    for sink in list(_live):
        _flush_quietly(sink, when)


def _after_fork_in_child() -> None:
    """The child starts with no flusher, no live sinks and no default sink of its own."""
    global _default, _default_lock
    _flusher.reset()
    _live.clear()
    _default, _default_lock = None, threading.Lock()


atexit.register(_flush_all, "exit")
if hasattr(os, "register_at_fork"):
    # Write buffered rows before fork so the child cannot inherit (and write) them twice.
    os.register_at_fork(before=lambda: _flush_all("pre-fork"), after_in_child=_after_fork_in_child)


# -- the process-wide default ---------------------------------------------------------------


def default_audit_path() -> str:
    """``$REPOSIX_AUDIT_DB``, else ``$XDG_STATE_HOME/reposix/audit.db`` (``~/.local/state``)."""
    configured = AUDIT_DB.get()
    if configured:
        return configured
    state = XDG_STATE_HOME.get() or str(Path.home() / ".local" / "state")
    return str(Path(state) / "reposix" / "audit.db")


_default_lock = threading.Lock()


def default_sink() -> SqliteAuditSink:
    """The process-wide SQLite sink at `default_audit_path` (opened once per path)."""
    global _default
    with _default_lock:
        path = default_audit_path()
        if _default is None or _default.path != path:
            _default = SqliteAuditSink(path)
        return _default
