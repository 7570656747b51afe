"""``SimBackend`` against the in-process simulator (ASGI transport, virtual clock)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from reposix import load_plugins
from reposix._audit import MemoryAuditSink
from reposix._backend import DeleteReason
from reposix._clock import VirtualClock
from reposix._credentials import Credentials
from reposix._errors import (
    AuthError,
    ConfigError,
    InvalidRecord,
    NotFound,
    ProtocolError,
    VersionMismatch,
)
from reposix._records import SERVER_FIELDS, Record, RecordDraft, RecordStatus
from reposix._runtime import Runtime
from reposix._secret import Secret
from reposix._taint import ServerMetadata, Tainted, Untainted, sanitize, sanitize_for_create
from reposix.sim._app import SimApp, create_app
from reposix.sim._backend import SimBackend
from reposix.sim._plugin import plugin

BASE = "http://127.0.0.1:7878"


class Recording(httpx.AsyncBaseTransport):
    """Mounts the app in-process and keeps every request (bodies read)."""

    def __init__(self, app: SimApp) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def app(clock: VirtualClock) -> SimApp:
    return create_app(clock=clock)


@pytest.fixture
def wire(app: SimApp) -> Recording:
    return Recording(app)


@pytest.fixture
def audit() -> MemoryAuditSink:
    return MemoryAuditSink()


def make(wire: Recording, clock: VirtualClock, audit: MemoryAuditSink, **kw: Any) -> SimBackend:
    token = kw.pop("token", None)
    runtime = Runtime(clock=clock, audit=audit, transport=wire, **kw)
    return SimBackend(BASE, token=token, runtime=runtime)


@pytest.fixture
def sim(wire: Recording, clock: VirtualClock, audit: MemoryAuditSink) -> SimBackend:
    return make(wire, clock, audit)


def for_create(draft: RecordDraft) -> Untainted[RecordDraft]:
    return sanitize_for_create(Tainted(draft))


def for_update(record: Record, **changes: Any) -> Untainted[Record]:
    meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
    return sanitize(Tainted(record.replace(**changes)), meta)


def test_a_base_url_without_scheme_is_refused() -> None:
    with pytest.raises(ConfigError, match="must start with http:// or https://"):
        SimBackend("127.0.0.1:7878")


async def test_list_equals_store_and_reports_progress(
    sim: SimBackend, app: SimApp, wire: Recording
) -> None:
    progress: list[int] = []
    sim.add_progress_hook(progress.append)
    listing = await sim.list_records_complete("demo")
    assert listing.is_complete
    assert listing.records == app.store.list("demo")
    assert sum(progress) == len(listing.records)
    assert len(wire.requests) == 1, "one page at the default page size"
    assert await sim.list_records("empty") == []
    with pytest.raises(NotFound):
        await sim.list_records("nope")


@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 8, 9])
async def test_page_size_is_honoured(
    wire: Recording, clock: VirtualClock, audit: MemoryAuditSink, app: SimApp, page_size: int
) -> None:
    sim = make(wire, clock, audit, page_size=page_size)
    records = await sim.list_records("demo")
    assert [r.id for r in records] == [r.id for r in app.store.list("demo")]
    assert wire.requests[0].url.params["per_page"] == str(page_size)
    assert len(wire.requests) == -(-8 // page_size), "no extra request after a full last page"


async def test_max_records_truncates_with_a_prefix(
    wire: Recording, clock: VirtualClock, audit: MemoryAuditSink, app: SimApp
) -> None:
    sim = make(wire, clock, audit, page_size=2, max_records=5)
    listing = await sim.list_records_complete("demo")
    assert not listing.is_complete
    assert listing.records == app.store.list("demo")[:5]
    exact = make(wire, clock, audit, page_size=2, max_records=8)
    assert (await exact.list_records_complete("demo")).is_complete


async def test_server_truncation_is_reported(sim: SimBackend, app: SimApp) -> None:
    app.faults.truncate_at = 5
    listing = await sim.list_records_complete("demo")
    assert [r.id for r in listing.records] == [1, 2, 3, 4, 5]
    assert not listing.is_complete


async def test_list_changed_since_is_native_and_strict(
    sim: SimBackend, app: SimApp, wire: Recording
) -> None:
    records = app.store.list("demo")
    pivot = records[5].updated_at
    assert await sim.list_changed_since("demo", pivot) == [r.id for r in records[6:]]
    assert "since" in wire.requests[-1].url.params
    updated = app.store.update("demo", 2, {"title": "moved"})
    assert await sim.list_changed_since("demo", pivot) == [2, *(r.id for r in records[6:])]
    assert await sim.list_changed_since("demo", updated.updated_at) == []
    with pytest.raises(ConfigError, match="timezone"):
        await sim.list_changed_since("demo", pivot.replace(tzinfo=None))


async def test_get_record(sim: SimBackend, app: SimApp) -> None:
    assert await sim.get_record("demo", 7) == app.store.get("demo", 7)
    with pytest.raises(NotFound, match="record 999 does not exist"):
        await sim.get_record("demo", 999)
    with pytest.raises(NotFound):
        await sim.get_record("nope", 1)
    with pytest.raises(NotFound):
        await sim.get_record("demo", 0)


async def test_decoy_urls_are_ignored_and_never_fetched(
    sim: SimBackend, app: SimApp, wire: Recording
) -> None:
    app.faults.decoys = True
    records = await sim.list_records("demo")
    assert all(r.extensions == {} for r in records)
    await sim.get_record("demo", 1)
    assert {r.url.host for r in wire.requests} == {"127.0.0.1"}


async def test_create_sends_no_server_fields_and_an_idempotency_key(
    sim: SimBackend, app: SimApp, wire: Recording
) -> None:
    existing = app.store.get("demo", 4)
    assert existing is not None
    # even a Record carrying server values is stripped by sanitize_for_create
    created = await sim.create_record(
        "demo", sanitize_for_create(Tainted(existing.replace(title="copy ✨", id=999, version=42)))
    )
    assert created.id == 9
    assert created.version == 1
    assert created.title == "copy ✨"
    assert created.parent_id is None
    assert created.labels == existing.labels
    assert await sim.get_record("demo", created.id) == created
    post = wire.requests[-2]
    assert post.method == "POST"
    assert post.headers["idempotency-key"]
    assert not SERVER_FIELDS & set(json.loads(post.content))


async def test_write_methods_refuse_untrusted_values(sim: SimBackend, wire: Recording) -> None:
    draft = RecordDraft(title="x")
    with pytest.raises(TypeError, match="Untainted"):
        await sim.create_record("demo", draft)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Untainted"):
        await sim.create_record("demo", Tainted(draft))  # type: ignore[arg-type]
    record = await sim.get_record("demo", 1)
    with pytest.raises(TypeError):
        await sim.update_record("demo", 1, record)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await sim.update_record("demo", 1, for_create(draft))  # type: ignore[arg-type]
    assert [r.method for r in wire.requests] == ["GET"], "nothing was sent"


async def test_update_with_versions(sim: SimBackend, app: SimApp, wire: Recording) -> None:
    record = await sim.get_record("demo", 3)
    updated = await sim.update_record(
        "demo", 3, for_update(record, title="new", status=RecordStatus.DONE), expected_version=1
    )
    assert (updated.title, updated.status, updated.version) == ("new", RecordStatus.DONE, 2)
    patch = wire.requests[-1]
    assert patch.headers["if-match"] == '"1"'
    assert not SERVER_FIELDS & set(json.loads(patch.content))
    with pytest.raises(VersionMismatch) as info:
        await sim.update_record("demo", 3, for_update(record, title="stale"), expected_version=1)
    assert (info.value.expected, info.value.actual) == (1, 2)
    assert (await sim.get_record("demo", 3)).title == "new", "a refused write changes nothing"
    blind = await sim.update_record("demo", 3, for_update(updated, body="no version"))
    assert blind.version == 3
    assert "if-match" not in wire.requests[-1].headers
    with pytest.raises(NotFound):
        await sim.update_record("demo", 999, for_update(record))


async def test_update_refused_by_the_server_is_invalid_record(sim: SimBackend) -> None:
    record = await sim.get_record("demo", 1)
    with pytest.raises(InvalidRecord, match="parent"):
        await sim.update_record("demo", 1, for_update(record, parent_id=1))


async def test_delete(sim: SimBackend, app: SimApp) -> None:
    await sim.delete_or_close("demo", 8, DeleteReason.COMPLETED)
    with pytest.raises(NotFound):
        await sim.get_record("demo", 8)
    with pytest.raises(NotFound):
        await sim.delete_or_close("demo", 8, DeleteReason.COMPLETED)
    assert app.store.mutations == 1


async def test_close_record_extension(sim: SimBackend) -> None:
    closed = await sim.close_record("demo", 1, DeleteReason.NOT_PLANNED)
    assert closed.status is RecordStatus.WONT_FIX


async def test_rate_limit_is_waited_out_in_virtual_time(
    sim: SimBackend, app: SimApp, clock: VirtualClock, wire: Recording
) -> None:
    app.faults.schedule = ["429"]
    app.faults.retry_after = 20
    start = clock.monotonic()
    assert (await sim.get_record("demo", 1)).id == 1
    assert clock.monotonic() - start >= 20
    assert len(wire.requests) == 2


async def test_lost_create_response_is_retried_safely(
    sim: SimBackend, app: SimApp, audit: MemoryAuditSink
) -> None:
    app.faults.schedule = ["503-after"]
    created = await sim.create_record("demo", for_create(RecordDraft(title="exactly once")))
    assert app.store.mutations == 1, "the retry replayed the first result"
    assert [r.title for r in app.store.list("demo")].count("exactly once") == 1
    assert created == app.store.get("demo", created.id)
    assert [e.outcome for e in audit.events][-2:] == ["retried", "ok"]


async def test_malformed_responses_are_protocol_errors(sim: SimBackend, app: SimApp) -> None:
    app.faults.schedule = ["malformed"]
    with pytest.raises(ProtocolError):
        await sim.list_records("demo")
    app.faults.schedule = ["truncated"]
    with pytest.raises(ProtocolError):
        await sim.get_record("demo", 1)


async def test_bearer_token(clock: VirtualClock, audit: MemoryAuditSink) -> None:
    app = create_app(clock=clock, token="t0ken-canary")
    wire = Recording(app)
    good = make(wire, clock, audit, token=Secret("t0ken-canary"))
    assert len(await good.list_records("demo")) == 8
    for bad in (None, Secret("wrong")):
        with pytest.raises(AuthError, match="REPOSIX_SIM_TOKEN") as info:
            await make(wire, clock, audit, token=bad).get_record("demo", 1)
        assert "t0ken-canary" not in str(info.value)
    assert all("t0ken-canary" not in e.url for e in audit.events)


async def test_plugin_builds_the_backend(wire: Recording, clock: VirtualClock) -> None:
    assert load_plugins()["sim"] is plugin
    runtime = Runtime(clock=clock, audit=MemoryAuditSink(), transport=wire)
    connector = plugin.build(BASE, Credentials(), runtime)
    assert isinstance(connector, SimBackend)
    async with connector:
        assert len(await connector.list_records("demo")) == 8
    with_token = plugin.build(BASE, Credentials({"REPOSIX_SIM_TOKEN": Secret("x")}), runtime)
    assert isinstance(with_token, SimBackend)
    await with_token.aclose()
