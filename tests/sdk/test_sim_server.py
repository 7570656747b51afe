"""The simulator over real sockets: ``reposix sim`` in a subprocess, and ``running()`` in a thread."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from reposix._audit import MemoryAuditSink
from reposix._backend import DeleteReason
from reposix._errors import NotFound, VersionMismatch
from reposix._records import RecordDraft
from reposix._runtime import Runtime
from reposix._secret import Secret
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create
from reposix.sim._app import create_app
from reposix.sim._backend import SimBackend
from reposix.sim._server import running
from reposix.sim._store import SimStore


def start_sim(*args: str) -> tuple[subprocess.Popen[str], str]:
    """``reposix sim --port 0 …`` in a subprocess; returns it and the URL from its banner."""
    env = {**os.environ, "REPOSIX_AUDIT_DB": ":memory:"}
    env.pop("REPOSIX_SIM_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reposix._cli", "sim", "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            return proc, found.group(1)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"reposix sim did not start: {proc.stderr.read()}")


@pytest.fixture
def served() -> Iterator[str]:
    proc, url = start_sim()
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


async def test_reposix_sim_over_real_sockets(served: str) -> None:
    sim = SimBackend(served, runtime=Runtime(audit=MemoryAuditSink(), page_size=3))
    async with sim:
        listed = await sim.list_records("demo")
        assert [r.id for r in listed] == list(range(1, 9))
        got = await sim.get_record("demo", 5)
        assert got == listed[4]
        assert got.parent_id == 4

        created = await sim.create_record(
            "demo", sanitize_for_create(Tainted(RecordDraft(title="over the wire ✓")))
        )
        assert created.id == 9
        assert created.version == 1

        meta = ServerMetadata(created.id, created.created_at, created.updated_at, created.version)
        updated = await sim.update_record(
            "demo", created.id, sanitize(Tainted(created.replace(body="v2")), meta), 1
        )
        assert updated.version == 2
        assert updated.body == "v2"
        with pytest.raises(VersionMismatch) as conflict:
            await sim.update_record(
                "demo", created.id, sanitize(Tainted(created.replace(body="stale")), meta), 1
            )
        assert (conflict.value.expected, conflict.value.actual) == (1, 2)
        assert await sim.list_changed_since("demo", listed[-1].updated_at) == [created.id]

        await sim.delete_or_close("demo", created.id, DeleteReason.COMPLETED)
        with pytest.raises(NotFound):
            await sim.get_record("demo", created.id)


async def test_running_in_a_thread_with_sqlite_and_a_token(tmp_path: Path) -> None:
    db = tmp_path / "sim.db"
    with running(create_app(SimStore(db), token="tok")) as url:
        sim = SimBackend(url, token=Secret("tok"), runtime=Runtime(audit=MemoryAuditSink()))
        async with sim:
            await sim.create_record("demo", sanitize_for_create(Tainted(RecordDraft(title="kept"))))
    # a new app over the same file sees the record and does not re-seed
    with running(create_app(SimStore(db), token="tok")) as url:
        sim = SimBackend(url, token=Secret("tok"), runtime=Runtime(audit=MemoryAuditSink()))
        async with sim:
            titles = [r.title for r in await sim.list_records("demo")]
    assert titles.count("kept") == 1
    assert len(titles) == 9


def _admin_status(url: str, method: str, headers: dict[str, str]) -> int:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request(method, "/_admin/faults", body=b'{"latency": 0}', headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_reposix_sim_admin_is_off_by_default(served: str) -> None:
    assert _admin_status(served, "PATCH", {}) == 404


def test_reposix_sim_fault_injection_prints_a_generated_admin_token() -> None:
    proc, url = start_sim("--fault-injection")
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"X-Reposix-Admin-Token: (\S+)", line)
        assert found, line
        token = found.group(1)
        assert len(token) >= 24
        assert _admin_status(url, "PATCH", {}) == 401
        assert _admin_status(url, "PATCH", {"X-Reposix-Admin-Token": "wrong"}) == 401
        assert _admin_status(url, "PATCH", {"X-Reposix-Admin-Token": token}) == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_reposix_sim_admin_token_given_is_not_printed() -> None:
    proc, url = start_sim("--admin-token", "given-admin-t0ken")
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "fault injection on" in line
        assert "given-admin-t0ken" not in line
        assert _admin_status(url, "GET", {"X-Reposix-Admin-Token": "given-admin-t0ken"}) == 200
    finally:
        proc.terminate()
        proc.wait(10)
