"""Tamper evidence: the hash chain, checks at open, ``reposix audit verify``."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from reposix._audit import (
    GENESIS,
    TRIGGERS,
    AuditEvent,
    SqliteAuditSink,
    row_hash,
    verify,
)
from reposix._cli import cli
from reposix._errors import AuditTampered, ConfigError


def event(i: int) -> AuditEvent:
    return AuditEvent(
        ts=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
        connector="sim",
        op="list_records",
        method="GET",
        url=f"http://127.0.0.1:7878/projects/demo/records?page={i}",
        status=200,
        duration_ms=1.25 * i,
        outcome="ok",
    )


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """A closed log holding five rows."""
    path = tmp_path / "audit.db"
    with SqliteAuditSink(path) as sink:
        for i in range(1, 6):
            sink.append(event(i))
    return path


def tamper(path: Path, *sql: str) -> None:
    """What another process with write access can do: drop the guards and edit rows."""
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in sql:
            raw.execute(statement)
    finally:
        raw.close()


DROP_GUARDS = tuple(f"DROP TRIGGER {name}" for name in TRIGGERS)
RESTORE_GUARDS = tuple(TRIGGERS.values())


def test_rows_are_chained_and_verify(log: Path) -> None:
    raw = sqlite3.connect(log)
    rows = raw.execute(
        "SELECT seq, ts, connector, op, method, url, status, duration_ms, outcome, hash"
        " FROM audit_events ORDER BY seq"
    ).fetchall()
    raw.close()
    prev = GENESIS
    for row in rows:
        assert row[-1] == row_hash(prev, row[:-1])
        prev = row[-1]
    result = verify(log)
    assert (result.ok, result.rows, result.head, result.problem) == (True, 5, prev, None)


def test_chain_continues_across_sinks_and_reopen(log: Path) -> None:
    with SqliteAuditSink(log) as a, SqliteAuditSink(log) as b:
        a.append(event(6))
        b.append(event(7))
        a.flush()
        b.flush()
        a.append(event(8))
    assert verify(log).ok
    assert verify(log).rows == 8


@pytest.mark.parametrize(
    ("edit", "broken_at", "problem"),
    [
        ("UPDATE audit_events SET url = 'http://forged/' WHERE seq = 3", 3, "does not match"),
        ("UPDATE audit_events SET status = 404 WHERE seq = 1", 1, "does not match"),
        ("DELETE FROM audit_events WHERE seq = 2", 3, "rows 2..2 removed"),
        ("DELETE FROM audit_events WHERE seq IN (2, 3)", 4, "rows 2..3 removed"),
        ("DELETE FROM audit_events WHERE seq = 1", 2, "rows 1..1 removed"),
        ("DELETE FROM audit_events WHERE seq >= 4", 4, "removed from the end"),
        (
            "INSERT INTO audit_events VALUES (6, '2026-01-02T00:00:00+00:00', 'sim', 'x',"
            f" 'GET', 'http://forged/', 200, 1.0, 'ok', '{GENESIS}')",
            6,
            "does not match",
        ),
    ],
)
def test_verify_names_the_first_broken_link(
    log: Path, edit: str, broken_at: int, problem: str
) -> None:
    tamper(log, *DROP_GUARDS, edit, *RESTORE_GUARDS)
    result = verify(log)
    assert not result.ok
    assert result.broken_at == broken_at
    assert problem in (result.problem or "")


def test_verify_reports_missing_triggers(log: Path) -> None:
    tamper(log, "DROP TRIGGER audit_events_no_update")
    result = verify(log)
    assert not result.ok
    assert "audit_events_no_update is missing" in (result.problem or "")


def test_verify_reports_replaced_or_extra_triggers(log: Path) -> None:
    tamper(
        log,
        "DROP TRIGGER audit_events_no_delete",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT 1; END",
    )
    assert "was replaced" in (verify(log).problem or "")


def test_verify_of_a_non_log_and_a_missing_file(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    tamper(other, "CREATE TABLE t (x)")
    assert verify(other).problem == "not an audit log"
    with pytest.raises(ConfigError, match="no audit database"):
        verify(tmp_path / "absent.db")


def test_a_dropped_table_is_an_error_not_a_fresh_log(log: Path) -> None:
    tamper(log, "DROP TABLE audit_events")
    with pytest.raises(AuditTampered, match="table vanished"):
        SqliteAuditSink(log)
    assert verify(log).problem == "the audit_events table is missing"


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_vanished_trigger_on_a_log_with_rows_is_an_error(log: Path, name: str) -> None:
    tamper(log, f"DROP TRIGGER {name}")
    with pytest.raises(AuditTampered, match=f"{name} is missing while the log held rows"):
        SqliteAuditSink(log)


def test_head_is_checked_at_open(log: Path) -> None:
    tamper(
        log,
        *DROP_GUARDS,
        "UPDATE audit_events SET outcome = 'ok', status = 200 WHERE seq = 5",
        "UPDATE audit_events SET url = 'http://forged/' WHERE seq = 5",
        *RESTORE_GUARDS,
    )
    with pytest.raises(AuditTampered, match="row 5 does not match its hash"):
        SqliteAuditSink(log)


def test_tail_truncation_is_caught_at_open(log: Path) -> None:
    tamper(log, *DROP_GUARDS, "DELETE FROM audit_events WHERE seq >= 4", *RESTORE_GUARDS)
    with pytest.raises(AuditTampered, match="rows after 3"):
        SqliteAuditSink(log)


def test_emptied_log_is_caught_at_open(log: Path) -> None:
    tamper(log, *DROP_GUARDS, "DELETE FROM audit_events", *RESTORE_GUARDS)
    with pytest.raises(AuditTampered, match="held 5 rows and is now empty"):
        SqliteAuditSink(log)


def test_documented_limit_a_full_rewrite_with_recomputed_hashes_passes(log: Path) -> None:
    """Someone who can rewrite the file and recompute hashes is not detected (trust-model)."""
    forged = event(9)
    row = (
        6,
        forged.ts.isoformat(),
        forged.connector,
        forged.op,
        forged.method,
        "http://forged/",
        200,
        1.0,
        "ok",
    )
    raw = sqlite3.connect(log, isolation_level=None)
    head = raw.execute("SELECT hash FROM audit_events WHERE seq = 5").fetchone()[0]
    raw.execute(
        "INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*row, row_hash(head, row)),
    )
    raw.close()
    assert verify(log).ok


def test_legacy_unchained_log_is_refused_with_a_fix(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    tamper(
        path,
        "CREATE TABLE audit_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT, connector"
        " TEXT, op TEXT, method TEXT, url TEXT, status INTEGER, duration_ms REAL, outcome TEXT)",
    )
    with pytest.raises(ConfigError, match="predates hash-chained rows") as info:
        SqliteAuditSink(path)
    assert "move the old file aside" in str(info.value)


def test_cli_audit_verify(log: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify", "--db", str(log)])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("ok: 5 rows, chain intact")
    tamper(log, *DROP_GUARDS, "UPDATE audit_events SET url = 'x' WHERE seq = 4", *RESTORE_GUARDS)
    bad = runner.invoke(cli, ["audit", "verify", "--db", str(log)])
    assert bad.exit_code == 1
    assert "audit log broken at row 4: row 4 does not match its hash" in bad.output
    assert "3 rows before it verified" in bad.output


def test_cli_audit_verify_uses_the_env_path(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPOSIX_AUDIT_DB", str(log))
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0
    assert str(log) in result.output
