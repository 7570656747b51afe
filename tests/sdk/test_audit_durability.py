"""Batched audit writes lose nothing: when batches are written, failures, exit, 48 processes."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import respx

from reposix._audit import AuditEvent, Outcome, SqliteAuditSink, verify
from reposix._clock import VirtualClock
from reposix._errors import AuditError, EgressDenied, TransportError
from reposix._http import Allowlist, ClientOpts, client
from reposix._runtime import Runtime
from reposix.sim._app import create_app
from reposix.sim._server import running


def event(outcome: Outcome = "ok", url: str = "http://127.0.0.1:1/x") -> AuditEvent:
    return AuditEvent(
        ts=datetime(2026, 1, 1, tzinfo=UTC),
        connector="sim",
        op="probe",
        method="GET",
        url=url,
        status=200 if outcome == "ok" else None,
        duration_ms=1.0,
        outcome=outcome,
    )


def stored(path: Path) -> list[tuple[str, str]]:
    """What another process sees on disk right now: (url, outcome) per committed row."""
    raw = sqlite3.connect(path)
    try:
        return raw.execute("SELECT url, outcome FROM audit_events ORDER BY seq").fetchall()
    finally:
        raw.close()


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another process holding the write lock for the whole block."""
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        raw.execute("ROLLBACK")
        raw.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


def test_ok_rows_are_batched_until_flush(db: Path) -> None:
    with SqliteAuditSink(db, flush_seconds=60) as sink:
        sink.append(event())
        sink.append(event())
        assert (sink.pending, stored(db)) == (2, [])
        sink.flush()
        assert (sink.pending, sink.written, len(stored(db))) == (0, 2, 2)


def test_a_full_batch_is_written_in_one_go(db: Path) -> None:
    with SqliteAuditSink(db, batch_rows=3, flush_seconds=60) as sink:
        for _ in range(2):
            sink.append(event())
        assert stored(db) == []
        sink.append(event())
        assert len(stored(db)) == 3


@pytest.mark.parametrize("outcome", ["http_error", "egress_denied", "retried", "timeout"])
def test_a_failure_row_writes_the_batch_at_once(db: Path, outcome: Outcome) -> None:
    with SqliteAuditSink(db, flush_seconds=60) as sink:
        sink.append(event())
        sink.append(event(outcome))
        assert [o for _, o in stored(db)] == ["ok", outcome]


def test_a_batch_is_written_soon_without_more_traffic(db: Path) -> None:
    with SqliteAuditSink(db, flush_seconds=0.05) as sink:
        sink.append(event())
        deadline = time.monotonic() + 10
        while not stored(db) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(stored(db)) == 1


def test_close_writes_the_batch(db: Path) -> None:
    sink = SqliteAuditSink(db, flush_seconds=60)
    sink.append(event())
    sink.close()
    assert len(stored(db)) == 1


def test_interpreter_exit_writes_the_batch(db: Path) -> None:
    code = textwrap.dedent(
        f"""
        from datetime import UTC, datetime
        from reposix._audit import AuditEvent, SqliteAuditSink
        sink = SqliteAuditSink({str(db)!r}, flush_seconds=3600)
        for i in range(3):
            sink.append(AuditEvent(datetime.now(UTC), "c", "op", "GET", f"http://h/{{i}}",
                                   200, 1.0, "ok"))
        assert sink.pending == 3
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert [u for u, _ in stored(db)] == ["http://h/0", "http://h/1", "http://h/2"]
    assert verify(db).ok


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_neither_duplicates_nor_shares_the_connection(db: Path) -> None:
    code = textwrap.dedent(
        """
        import os
        from datetime import UTC, datetime
        from reposix._audit import AuditEvent, default_sink
        from reposix._errors import AuditError
        def ev(url):
            return AuditEvent(datetime.now(UTC), "c", "op", "GET", url, 200, 1.0, "ok")
        parent = default_sink()
        parent.append(ev("http://h/parent-1"))
        parent.append(ev("http://h/parent-2"))
        pid = os.fork()  # the pending rows are written before the fork, once
        if pid == 0:
            child = default_sink()
            assert child is not parent
            child.append(ev("http://h/child"))
            child.close()
            parent.append(ev("http://h/wrong"))
            try:
                parent.flush()
            except AuditError:
                os._exit(0)
            os._exit(3)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        parent.close()
        """
    )
    env = {**os.environ, "REPOSIX_AUDIT_DB": str(db)}
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env=env)
    assert sorted(u for u, _ in stored(db)) == [
        "http://h/child",
        "http://h/parent-1",
        "http://h/parent-2",
    ]
    assert verify(db).ok


def test_a_locked_log_raises_and_keeps_the_rows(db: Path) -> None:
    sink = SqliteAuditSink(db, flush_seconds=60, busy_timeout_ms=20)
    sink.append(event())
    with locked(db), pytest.raises(AuditError, match="2 audit row") as info:
        sink.append(event("http_error"))
    assert "the requests they describe were sent" in str(info.value)
    assert sink.pending == 2  # nothing dropped: the next write retries them
    sink.close()
    assert [o for _, o in stored(db)] == ["ok", "http_error"]
    assert verify(db).ok


def _runtime(sink: SqliteAuditSink) -> Runtime:
    return Runtime(clock=VirtualClock(), audit=sink, allowlist=Allowlist.parse(""))


async def test_the_caller_gets_a_typed_error_when_its_row_cannot_be_written(db: Path) -> None:
    sink = SqliteAuditSink(db, flush_seconds=60, busy_timeout_ms=20)
    with respx.mock(assert_all_called=False) as router:
        router.get("http://127.0.0.1:1/gone").respond(404)
        async with client(ClientOpts(runtime=_runtime(sink))) as http:
            with locked(db), pytest.raises(AuditError):
                await http.get("http://127.0.0.1:1/gone", op="probe")
    assert [o for _, o in stored(db)] == ["http_error"]  # written by close, once unlocked
    sink.close()


async def test_client_close_raises_if_its_rows_cannot_be_written(db: Path) -> None:
    sink = SqliteAuditSink(db, flush_seconds=60, busy_timeout_ms=20)
    with respx.mock(assert_all_called=False) as router:
        router.get("http://127.0.0.1:1/ok").respond(200)
        http = client(ClientOpts(runtime=_runtime(sink)))
        await http.get("http://127.0.0.1:1/ok", op="probe")
        with locked(db), pytest.raises(AuditError):
            await http.aclose()
    sink.close()
    assert len(stored(db)) == 1


async def test_rows_are_on_disk_before_an_error_reaches_the_caller(db: Path) -> None:
    sink = SqliteAuditSink(db, flush_seconds=60)
    opts = ClientOpts(runtime=_runtime(sink), follow_redirects=True, max_redirects=0)
    with respx.mock(assert_all_called=False) as router:
        router.get("http://127.0.0.1:1/ok").respond(200)
        router.get("http://127.0.0.1:1/moved").respond(302, headers={"Location": "/ok"})
        async with client(opts) as http:
            await http.get("http://127.0.0.1:1/ok", op="probe")
            assert stored(db) == []  # batched
            # The redirect's row is "ok"; the error comes after it: still on disk first.
            with pytest.raises(TransportError, match="redirects"):
                await http.get("http://127.0.0.1:1/moved", op="probe")
            assert [o for _, o in stored(db)] == ["ok", "ok"]
            with pytest.raises(EgressDenied):
                await http.get("https://evil.example/", op="probe")
            assert stored(db)[-1] == ("https://evil.example/", "egress_denied")
    sink.close()


async def test_params_passed_apart_from_the_url_are_audited_redacted(db: Path) -> None:
    sink = SqliteAuditSink(db)
    with respx.mock(assert_all_called=False) as router:
        route = router.get(url__startswith="http://127.0.0.1:1/ok").respond(200)
        async with client(ClientOpts(runtime=_runtime(sink))) as http:
            await http.get(
                "http://127.0.0.1:1/ok?state=open",
                op="probe",
                params={"q": "a b", "access_token": "abc", "page": 2},
            )
    sent = str(route.calls.last.request.url)
    assert sent == "http://127.0.0.1:1/ok?state=open&q=a+b&access_token=abc&page=2"
    assert [u for u, _ in stored(db)] == [
        "http://127.0.0.1:1/ok?state=open&q=a+b&access_token=***&page=2"
    ]
    sink.close()


# -- many processes at once -----------------------------------------------------------------

WORKERS = 48
LISTINGS = 1
_COORDINATOR = textwrap.dedent(
    """
    import asyncio, json, multiprocessing as mp, sys
    from reposix._runtime import Runtime
    from reposix.sim._plugin import plugin

    def work(url, go, out):
        go.wait()
        async def main():
            seen = 0
            for _ in range(LISTINGS):
                connector = plugin.from_env(url, Runtime(page_size=2))
                async with connector:
                    seen += len((await connector.list_records_complete("demo")).records)
            return seen
        out.put(asyncio.run(main()))

    url, workers = sys.argv[1], int(sys.argv[2])
    # Warm up in the parent so forked workers pay only for their own requests; this
    # connector logs to memory, so no audit connection is inherited across fork.
    from reposix._audit import MemoryAuditSink
    async def warm():
        async with plugin.from_env(url, Runtime(audit=MemoryAuditSink())) as connector:
            await connector.list_records_complete("empty")
    asyncio.run(warm())
    ctx = mp.get_context("fork")  # workers share imports, not the audit connection
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=work, args=(url, go, out)) for _ in range(workers)]
    for p in procs:
        p.start()
    go.set()  # all at once
    seen = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    print(json.dumps({"codes": [p.exitcode for p in procs], "seen": seen}))
    """
).replace("LISTINGS", str(LISTINGS))


@pytest.mark.skipif(sys.platform == "win32", reason="uses fork")
def test_48_processes_listing_at_once_lose_no_row(db: Path) -> None:
    """Was: rows lost to "database is locked" at 32-48 processes, only logged."""
    app = create_app()
    app.requests = type(app.requests)(maxlen=100_000)
    demo = app.store.count("demo")
    env = {"REPOSIX_AUDIT_DB": str(db), "PATH": "/usr/bin:/bin"}
    with running(app) as url:
        done = subprocess.run(
            [sys.executable, "-c", _COORDINATOR, url, str(WORKERS)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["codes"] == [0] * WORKERS, done.stderr
    assert report["seen"] == [demo * LISTINGS] * WORKERS
    served = [r for r in app.requests if r.path.startswith("/projects/demo")]
    assert len(served) >= WORKERS * LISTINGS * demo // 2  # two records per page
    rows = stored(db)
    assert len(rows) == len(served)  # every request the server saw is in the log
    assert {o for _, o in rows} == {"ok"}
    result = verify(db)
    assert result.ok, result.problem
    assert result.rows == len(served)


async def test_cancellation_still_propagates_when_the_log_is_locked(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink = SqliteAuditSink(db, flush_seconds=60, busy_timeout_ms=20)
    started = asyncio.Event()

    async def hang(request: object) -> None:
        started.set()
        await asyncio.sleep(3600)

    with respx.mock(assert_all_called=False) as router:
        router.get("http://127.0.0.1:1/slow").mock(side_effect=hang)
        router.get("http://127.0.0.1:1/ok").respond(200)
        http = client(ClientOpts(runtime=_runtime(sink)))
        await http.get("http://127.0.0.1:1/ok", op="probe")  # one buffered row
        task = asyncio.create_task(http.get("http://127.0.0.1:1/slow", op="probe"))
        await started.wait()
        with locked(db):
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert "audit rows not written while CancelledError propagated" in caplog.text
        await http.aclose()  # unlocked now: the buffered row is written
    sink.close()
    assert [u for u, _ in stored(db)] == ["http://127.0.0.1:1/ok"]


def _header(path: Path) -> tuple[int, int, int]:
    raw = sqlite3.connect(path)
    try:
        return (
            raw.execute("PRAGMA application_id").fetchone()[0],
            raw.execute("PRAGMA user_version").fetchone()[0],
            raw.execute("PRAGMA schema_version").fetchone()[0],
        )
    finally:
        raw.close()


def test_reopening_an_intact_log_writes_nothing(db: Path) -> None:
    with SqliteAuditSink(db) as first:
        first.append(event())
    header = _header(db)
    statements: list[str] = []
    real_connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = real_connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sqlite3, "connect", traced)
        SqliteAuditSink(db).close()
    assert "BEGIN IMMEDIATE" in statements
    assert not [
        s for s in statements if s.startswith(("PRAGMA application_id =", "PRAGMA user_version ="))
    ]
    assert _header(db) == header
    assert stored(db) == [("http://127.0.0.1:1/x", "ok")]


def test_a_new_log_is_marked(db: Path) -> None:
    SqliteAuditSink(db).close()
    application_id, user_version, _ = _header(db)
    assert application_id != 0
    assert user_version != 0
