"""The Rhythm connector on its wire fake: statuses, labels ↔ tags, several assignees, search,
token renewal and rotation, RBAC refusals as typed errors, credentials."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from reposix import (
    Allowlist,
    AuthError,
    DeleteReason,
    FileTokenStore,
    MissingCredentials,
    NotFound,
    RecordDraft,
    RecordStatus,
    Secret,
    ServerMetadata,
    Tainted,
    Untainted,
    sanitize,
    sanitize_for_create,
)
from reposix._audit import MemoryAuditSink
from reposix._credentials import Credentials
from reposix._runtime import Runtime
from reposix_rhythm import build as plugin_build
from reposix_rhythm.connector import RhythmConnector
from reposix_rhythm.fake import ACCESS_TTL, RhythmFake, _Issue

from .conftest import BASE, EMAIL, PASSWORD, Build

P = "acme/tracker"


def _draft(**kw: Any) -> Untainted[RecordDraft]:
    return sanitize_for_create(Tainted(RecordDraft(**kw)))


@pytest.mark.parametrize("status", list(RecordStatus))
async def test_every_status_round_trips(
    build: Build, fake: RhythmFake, status: RecordStatus
) -> None:
    conn = build()
    created = await conn.create_record(P, _draft(title="s", status=status, labels=["ui"]))
    got = await conn.get_record(P, created.id)
    assert got.status is status
    assert got.labels == ["ui"]
    wire = {
        "open": "open",
        "in_progress": "in_progress",
        "in_review": "in_progress",
        "done": "resolved",
        "wont_fix": "closed",
    }[status.value]
    assert fake._issue_json(P, fake.store.get(P, created.id))["status"] == wire  # type: ignore[arg-type]


async def test_missing_tags_are_created_and_co_assignees_are_kept(
    build: Build, fake: RhythmFake
) -> None:
    conn = build()
    (seeded,) = fake.store.seed(P, [RecordDraft(title="x", assignee="a@x.io")])
    fake.extras[(P, seeded.id)] = _Issue(co_assignees=["b@x.io"])
    record = await conn.get_record(P, seeded.id)
    assert record.assignee == "a@x.io"
    meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
    patch = sanitize(Tainted(record.replace(assignee="c@x.io", labels=["new-tag"])), meta)
    updated = await conn.update_record(P, record.id, patch)
    assert updated.assignee == "c@x.io"
    assert updated.labels == ["new-tag"]
    emails = [a["email"] for a in fake._issue_json(P, fake.store.get(P, record.id))["assignees"]]  # type: ignore[arg-type]
    assert emails == ["c@x.io", "a@x.io", "b@x.io"]  # the first changed, the others kept
    assert "new-tag" in fake.tags[P]


async def test_search_through_q(build: Build, fake: RhythmFake) -> None:
    fake.store.seed(P, [RecordDraft(title="Crash when saving"), RecordDraft(title="Other")])
    hits = await build().search_records(P, "saved crashes")
    assert [r.title for r in hits] == ["Crash when saving"]


@pytest.mark.parametrize(("cap", "complete"), [(10_000, True), (3, False)])
async def test_iter_records_streams_page_by_page(
    fake: RhythmFake, cap: int, complete: bool
) -> None:
    """Each cursor page is handed on as it arrives (one ``list`` request per page so far),
    not after the whole listing; ``max_records`` ends it incomplete."""
    fake.store.seed(P, [RecordDraft(title=f"t{i}") for i in range(5)])
    audit = MemoryAuditSink()
    runtime = Runtime(
        clock=fake.store.clock,
        audit=audit,
        allowlist=Allowlist.parse(BASE),
        transport=httpx.MockTransport(fake.handle),
        page_size=2,
        max_records=cap,
    )
    async with RhythmConnector(
        base_url=BASE, runtime=runtime, email=EMAIL, password=Secret(PASSWORD)
    ) as conn:
        stream = conn.iter_records(P)
        seen: list[tuple[int, int]] = []
        async for page in stream.pages():
            seen.append((sum(e.op == "list" for e in audit.events), len(page)))
    assert [n for n, _ in seen] == list(range(1, len(seen) + 1))
    assert sum(k for _, k in seen) == min(cap, 5)
    assert stream.is_complete is complete


async def test_token_expiry_mid_listing_renews_once(build: Build, fake: RhythmFake) -> None:
    fake.store.seed(P, [RecordDraft(title=f"t{i}") for i in range(3)])
    conn = build()
    await conn.list_records(P)
    fake.store.clock.advance(ACCESS_TTL + 1)
    assert len(await conn.list_records(P)) == 3
    assert conn._auth.refreshes == 2  # the login, then one refresh
    assert len(fake.revoked) == 1  # the first refresh token was rotated away


async def test_a_401_triggers_one_refresh_shared_by_concurrent_requests(
    build: Build, fake: RhythmFake
) -> None:
    (seeded,) = fake.store.seed(P, [RecordDraft(title="t")])
    conn = build()
    await conn.get_record(P, seeded.id)
    fake.access.clear()  # the server forgets every access token: each request gets a 401
    results = await asyncio.gather(*(conn.get_record(P, seeded.id) for _ in range(5)))
    assert all(r.id == seeded.id for r in results)
    assert conn._auth.refreshes == 2


async def test_refused_refresh_token_is_auth_error_telling_to_log_in_again(
    build: Build, fake: RhythmFake
) -> None:
    conn = build(refresh_token=Secret("rhr_never_issued"))
    with pytest.raises(AuthError) as info:
        await conn.list_records(P)
    assert "log in again" in str(info.value)
    assert "rhr_never_issued" not in str(info.value)


async def test_rotated_refresh_token_is_saved_with_0600(
    build: Build, fake: RhythmFake, tmp_path: Path
) -> None:
    store = FileTokenStore(tmp_path / "rhythm.token")
    conn = build(token_store=store)
    await conn.list_records(P)
    saved = store.load()
    assert saved is not None
    assert saved.reveal() in fake.refresh
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    # A later run starts from the stored token alone, and rotates it again.
    later = build(refresh_token=saved, token_store=store)
    await later.list_records(P)
    newer = store.load()
    assert newer is not None
    assert newer.reveal() != saved.reveal()
    assert later._auth.refreshes == 1
    assert saved.reveal() in fake.revoked


async def test_tokens_and_password_never_reach_the_audit_log(
    build: Build, fake: RhythmFake, runtime: Runtime
) -> None:
    conn = build()
    await conn.list_records(P)
    fake.store.clock.advance(ACCESS_TTL + 1)
    await conn.list_records(P)
    audit = runtime.audit
    assert isinstance(audit, MemoryAuditSink)
    rows = " ".join(f"{e.op} {e.method} {e.url}" for e in audit.events)
    assert "auth.refresh POST" in rows
    assert "auth.login POST" in rows
    secrets = [PASSWORD, *fake.refresh, *fake.revoked, *fake.access]
    assert not any(s in rows for s in secrets)
    assert not any(s in repr(conn) + repr(conn._auth) for s in secrets)


async def test_rbac_refusals_are_typed(build: Build, fake: RhythmFake) -> None:
    (seeded,) = fake.store.seed(P, [RecordDraft(title="t")])
    fake.add_user("rep@x.io", "password1")
    fake.add_user("out@x.io", "password3", org_role="")
    reporter = build(email="rep@x.io", password=Secret("password1"))
    outsider = build(email="out@x.io", password=Secret("password3"))
    created = await reporter.create_record(P, _draft(title="open is fine"))
    assert created.status is RecordStatus.OPEN
    with pytest.raises(AuthError, match="role"):
        await reporter.create_record(P, _draft(title="x", status=RecordStatus.DONE))
    record = await reporter.get_record(P, seeded.id)
    meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
    with pytest.raises(AuthError, match="developer"):
        await reporter.update_record(
            P, record.id, sanitize(Tainted(record.replace(status=RecordStatus.DONE)), meta)
        )
    with pytest.raises(AuthError, match="admins delete"):
        await reporter.delete_or_close(P, record.id, DeleteReason.COMPLETED)
    with pytest.raises(NotFound, match="not a member"):
        await outsider.list_records(P)


def test_missing_credentials_names_every_variable() -> None:
    with pytest.raises(MissingCredentials) as info:
        plugin_build(BASE, Credentials({}), Runtime())
    text = str(info.value)
    assert "RHYTHM_EMAIL" in text
    assert "RHYTHM_PASSWORD" in text
    assert "RHYTHM_REFRESH_TOKEN" in text


async def test_rhythm_url_names_the_server() -> None:
    creds = Credentials(
        {
            "RHYTHM_URL": Secret("https://tracker.acme.test"),
            "RHYTHM_REFRESH_TOKEN": Secret("r" * 20),
        }
    )
    conn = plugin_build("http://localhost:8080", creds, Runtime())
    assert conn.base_url == "https://tracker.acme.test/"
    await conn.aclose()


async def test_rhythm_token_file_carries_the_rotated_token_between_runs(
    fake: RhythmFake, runtime: Runtime, tmp_path: Path
) -> None:
    path = tmp_path / "rhythm.token"
    login = Credentials(
        {
            "RHYTHM_EMAIL": Secret("kit@rhythm.example"),
            "RHYTHM_PASSWORD": Secret(PASSWORD),
            "RHYTHM_TOKEN_FILE": Secret(str(path)),
        }
    )
    first = plugin_build(BASE, login, runtime)
    await first.list_records(P)
    await first.aclose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # The next run has only the file: no password, no RHYTHM_REFRESH_TOKEN.
    second = plugin_build(BASE, Credentials({"RHYTHM_TOKEN_FILE": Secret(str(path))}), runtime)
    assert await second.list_records(P) == []
    await second.aclose()
    assert path.read_text(encoding="utf-8") in fake.refresh
