"""The audit log: append-only SQLite table, in-memory sink, path from the environment."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from reposix._audit import (
    AUDIT_ENV,
    GENESIS,
    OUTCOMES,
    AuditEvent,
    MemoryAuditSink,
    SqliteAuditSink,
    default_audit_path,
    default_sink,
)
from reposix._clock import VirtualClock
from reposix._errors import AuditError, ConfigError, EgressDenied
from reposix._http import Allowlist, ClientOpts, client
from reposix._runtime import Runtime

TRIGGERS = {"audit_events_no_update", "audit_events_no_delete", "audit_events_no_replace"}


def event(**changes: Any) -> AuditEvent:
    fields: dict[str, Any] = {
        "ts": datetime(2026, 1, 1, tzinfo=UTC),
        "connector": "sim",
        "op": "get_record",
        "method": "GET",
        "url": "http://127.0.0.1:7878/projects/demo/records/1",
        "status": 200,
        "duration_ms": 1.5,
        "outcome": "ok",
    }
    fields.update(changes)
    return AuditEvent(**fields)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "audit.db"


def test_round_trip(db: Path) -> None:
    with SqliteAuditSink(db) as sink:
        sink.append(event())
        sink.append(event(status=None, outcome="egress_denied"))
        assert sink.events() == [event(), event(status=None, outcome="egress_denied")]


def test_file_is_private(db: Path) -> None:
    SqliteAuditSink(db).close()
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_events SET url = 'forged'",
        "UPDATE audit_events SET outcome = 'ok' WHERE seq = 1",
        "DELETE FROM audit_events",
        "DELETE FROM audit_events WHERE seq = 1",
        "INSERT OR REPLACE INTO audit_events (seq, ts, connector, op, method, url, status,"
        f" duration_ms, outcome, hash) VALUES (1, 't', 'c', 'o', 'GET', 'forged', 200, 1, 'ok', '{GENESIS}')",
        "REPLACE INTO audit_events (seq, ts, connector, op, method, url, status,"
        f" duration_ms, outcome, hash) VALUES (1, 't', 'c', 'o', 'GET', 'forged', 200, 1, 'ok', '{GENESIS}')",
    ],
)
def test_second_raw_connection_cannot_rewrite_history(db: Path, sql: str) -> None:
    with SqliteAuditSink(db) as sink:
        sink.append(event())
        sink.flush()
        raw = sqlite3.connect(db, isolation_level=None)
        try:
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                raw.execute(sql)
            # Also inside an explicit transaction, and again after a rollback.
            raw.execute("BEGIN")
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                raw.execute(sql)
            raw.execute("ROLLBACK")
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                raw.execute(sql)
            assert raw.execute("SELECT count(*), min(url) FROM audit_events").fetchone() == (
                1,
                event().url,
            )
        finally:
            raw.close()
        assert sink.events() == [event()]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_events SET url = 'x'",
        "DELETE FROM audit_events",
        "DROP TRIGGER audit_events_no_update",
        "DROP TABLE audit_events",
        "PRAGMA writable_schema = ON",
        "ATTACH DATABASE ':memory:' AS other",
    ],
)
def test_sinks_own_connection_refuses_tampering(sql: str) -> None:
    sink = SqliteAuditSink(":memory:")
    sink.append(event())
    with pytest.raises(sqlite3.DatabaseError):
        sink._conn.execute(sql)
    assert sink.events() == [event()]


def test_triggers_of_an_empty_log_come_back_on_reopen(db: Path) -> None:
    SqliteAuditSink(db).close()
    raw = sqlite3.connect(db, isolation_level=None)
    names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert names == TRIGGERS
    raw.execute("DROP TRIGGER audit_events_no_delete")  # harmless while no row exists
    raw.close()
    with SqliteAuditSink(db) as sink:
        sink.append(event())
    raw = sqlite3.connect(db, isolation_level=None)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("DELETE FROM audit_events")
    finally:
        raw.close()


def test_outcome_is_constrained(db: Path) -> None:
    SqliteAuditSink(db).close()
    raw = sqlite3.connect(db, isolation_level=None)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(
                "INSERT INTO audit_events (ts, connector, op, method, url, status, duration_ms,"
                f" outcome, hash) VALUES ('t', 'c', 'o', 'GET', 'u', 200, 1, 'bogus', '{GENESIS}')"
            )
    finally:
        raw.close()


def test_event_validation() -> None:
    with pytest.raises(ValueError, match="outcome"):
        event(outcome="bogus")
    with pytest.raises(ValueError, match="timezone"):
        event(ts=datetime(2026, 1, 1))
    assert set(OUTCOMES) == {
        "ok",
        "http_error",
        "egress_denied",
        "rate_limited",
        "retried",
        "transport_error",
        "timeout",
    }


def test_append_after_close_is_a_typed_error() -> None:
    sink = SqliteAuditSink(":memory:")
    sink.close()
    with pytest.raises(AuditError, match="after :memory: was closed"):
        sink.append(event())


def test_unopenable_path_is_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError) as info:
        SqliteAuditSink(blocker / "audit.db")
    assert AUDIT_ENV in str(info.value)


def test_memory_sink() -> None:
    sink = MemoryAuditSink()
    sink.append(event())
    assert list(sink) == [event()]
    assert len(sink) == 1


def test_default_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(AUDIT_ENV, str(tmp_path / "x.db"))
    assert default_audit_path() == str(tmp_path / "x.db")
    monkeypatch.setenv(AUDIT_ENV, "  ")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_audit_path() == str(tmp_path / "state" / "reposix" / "audit.db")
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_audit_path() == str(Path.home() / ".local" / "state" / "reposix" / "audit.db")


def test_default_sink_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(AUDIT_ENV, ":memory:")
    sink = default_sink()
    assert sink.path == ":memory:"
    assert default_sink() is sink
    monkeypatch.setenv(AUDIT_ENV, str(tmp_path / "a.db"))
    assert default_sink().path == str(tmp_path / "a.db")


async def test_client_uses_default_sqlite_sink(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    monkeypatch.setenv(AUDIT_ENV, str(path))
    runtime = Runtime(clock=VirtualClock(), allowlist=Allowlist.parse(""))
    with respx.mock(assert_all_called=False) as router:
        router.get("http://127.0.0.1:1/ok").respond(200)
        async with client(ClientOpts(connector="c", runtime=runtime)) as http:
            await http.get("http://127.0.0.1:1/ok?token=abc", op="probe")
            with pytest.raises(EgressDenied):
                await http.get("https://evil.example/", op="probe")
    raw = sqlite3.connect(path)
    try:
        rows = raw.execute(
            "SELECT connector, op, url, status, outcome FROM audit_events"
        ).fetchall()
    finally:
        raw.close()
    assert rows == [
        ("c", "probe", "http://127.0.0.1:1/ok?token=***", 200, "ok"),
        ("c", "probe", "https://evil.example/", None, "egress_denied"),
    ]


async def test_every_attempt_kind_is_audited() -> None:
    audit = MemoryAuditSink()
    runtime = Runtime(clock=VirtualClock(), audit=audit, allowlist=Allowlist.parse(""))
    responses = [
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(503),
        httpx.Response(200),
    ]
    with respx.mock as router:
        router.get("http://localhost:1/x").mock(side_effect=responses)
        async with client(ClientOpts(runtime=runtime)) as http:
            await http.get("http://localhost:1/x", op="probe")
    assert [e.outcome for e in audit.events] == ["rate_limited", "retried", "ok"]
