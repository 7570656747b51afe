"""The connector against vendor-shaped responses and the wire fake: the Confluence traps."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx

from reposix import load_plugins
from reposix._backend import DeleteReason
from reposix._credentials import Credentials
from reposix._errors import (
    AuthError,
    InvalidRecord,
    MissingCredentials,
    NotFound,
    NotSupported,
    VersionMismatch,
)
from reposix._records import Record, RecordDraft, RecordStatus
from reposix._secret import Secret
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create
from reposix_confluence import build as plugin_build
from reposix_confluence import from_env, plugin
from reposix_confluence.connector import ConfluenceConnector
from reposix_confluence.fake import ConfluenceFake

from .conftest import CANARY, EMAIL, SITE, Build, make_runtime

S = RecordStatus


def patch(record: Record, **changes: Any) -> Any:
    meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
    return sanitize(Tainted(record.replace(**changes)), meta)


def draft(title: str, **fields: Any) -> Any:
    return sanitize_for_create(Tainted(RecordDraft(title=title, **fields)))


def calls(mock: respx.MockRouter, method: str, fragment: str) -> list[httpx.Request]:
    return [
        c.request
        for c in mock.calls
        if c.request.method == method and fragment in c.request.url.path
    ]


# -- auth, credentials, secrets ----------------------------------------------------------------


async def test_auth_header_is_byte_exact(
    fake: ConfluenceFake, mock: respx.MockRouter, connector: ConfluenceConnector
) -> None:
    await connector.list_records("DEMO")
    expected = b"Basic " + base64.b64encode(f"{EMAIL}:{CANARY}".encode())
    for call in mock.calls:
        values = [v for k, v in call.request.headers.raw if k.lower() == b"authorization"]
        assert values == [expected]


async def test_wrong_key_is_auth_error_naming_the_env_vars(
    fake: ConfluenceFake, build: Build
) -> None:
    wrong = build(key="ATATT3xWRONGwrongWRONG0000000000000000")
    with pytest.raises(AuthError) as info:
        await wrong.list_records("DEMO")
    text = str(info.value)
    assert "ATLASSIAN_EMAIL" in text
    assert "ATLASSIAN_API_KEY" in text
    assert "401" in text
    assert "WRONG" not in text
    assert CANARY not in text


async def test_no_credential_in_reprs_or_errors(
    fake: ConfluenceFake, connector: ConfluenceConnector
) -> None:
    assert CANARY not in repr(connector)
    encoded = base64.b64encode(f"{EMAIL}:{CANARY}".encode()).decode()
    for call in (connector.get_record("DEMO", 424242), connector.list_records("NOPE")):
        with pytest.raises(NotFound) as info:
            await call
        assert CANARY not in str(info.value)
        assert encoded not in str(info.value)
    creds = Credentials({"ATLASSIAN_EMAIL": Secret(EMAIL), "ATLASSIAN_API_KEY": Secret(CANARY)})
    assert CANARY not in repr(creds)


def test_missing_credentials_lists_every_var_on_its_own_line() -> None:
    with pytest.raises(MissingCredentials) as info:
        from_env(environ={})
    lines = str(info.value).splitlines()
    for name in ("ATLASSIAN_EMAIL", "ATLASSIAN_API_KEY", "REPOSIX_CONFLUENCE_TENANT"):
        assert f"    {name}" in lines
    with pytest.raises(MissingCredentials) as info:
        from_env(SITE, environ={"ATLASSIAN_EMAIL": EMAIL})
    assert info.value.missing == ("ATLASSIAN_API_KEY",)


def test_plugin_declaration_and_tenant_build() -> None:
    # Registered under its name (pyproject's entry point); its fake reference resolves.
    assert load_plugins()["confluence"] is plugin
    assert plugin.load_fake()().projects.seeded == plugin.sample_project
    creds = Credentials(
        {
            "ATLASSIAN_EMAIL": Secret(EMAIL),
            "ATLASSIAN_API_KEY": Secret(CANARY),
            "REPOSIX_CONFLUENCE_TENANT": Secret("acme"),
        }
    )
    conn = plugin_build(plugin.default_base_url, creds, make_runtime())
    assert isinstance(conn, ConfluenceConnector)
    assert conn.site.root == "https://acme.atlassian.net"
    assert ConfluenceConnector.root_collection_name == "pages"


# -- pagination with vendor-shaped bodies ------------------------------------------------------


async def test_listing_follows_relative_next_and_ignores_base(
    mock: respx.MockRouter, connector: ConfluenceConnector, load: Callable[[str], Any]
) -> None:
    mock.get(f"{SITE}/wiki/api/v2/spaces").respond(json=load("spaces.json"))
    pages = mock.get(f"{SITE}/wiki/api/v2/spaces/196612/pages")
    pages.side_effect = lambda request: httpx.Response(
        200,
        json=load("pages-page2.json" if "cursor" in request.url.params else "pages-page1.json"),
    )
    mock.get(url__regex=rf"{SITE}/wiki/api/v2/pages/\d+/labels").respond(json=load("labels.json"))
    listing = await connector.list_records_complete("ENG")
    assert listing.is_complete
    assert [r.id for r in listing.records] == [229477, 229478, 229480]
    assert [r.parent_id for r in listing.records] == [None, 229477, None]  # homepage, page, folder
    assert all(r.status is S.IN_REVIEW and r.labels == ["release"] for r in listing.records)
    page_calls = calls(mock, "GET", "/spaces/196612/pages")
    assert len(page_calls) == 2
    first_q = page_calls[0].url.params
    assert first_q["body-format"] == "atlas_doc_format"
    assert first_q["sort"] == "id"
    assert first_q.get_list("status") == ["current", "archived"]
    assert page_calls[1].url.host == "reposix-test.atlassian.net"  # never decoy.reposix.invalid
    assert page_calls[1].url.params["cursor"] == "eyJpZCI6IjIyOTQ3OCJ9"


async def test_fake_pagination_caps_and_prefix(fake: ConfluenceFake, build: Build) -> None:
    fake.store.seed("DEMO", [RecordDraft(title=f"p{i}") for i in range(7)])
    fake.knobs.page_size = 3
    full = await build().list_records_complete("DEMO")
    assert full.is_complete
    assert len(full.records) == 7
    capped = await build(max_records=4).list_records_complete("DEMO")
    assert not capped.is_complete
    assert [r.id for r in capped.records] == [r.id for r in full.records][:4]


# -- spaces ------------------------------------------------------------------------------------


async def test_space_key_is_resolved_once_and_unknown_is_not_found(
    fake: ConfluenceFake, mock: respx.MockRouter, connector: ConfluenceConnector
) -> None:
    fake.store.seed("DEMO", [RecordDraft(title="a")])
    await connector.list_records("DEMO")
    await connector.list_records("DEMO")
    await connector.get_record("DEMO", 1)
    resolved = calls(mock, "GET", "/wiki/api/v2/spaces")
    resolved = [r for r in resolved if r.url.path.rstrip("/") == "/wiki/api/v2/spaces"]
    assert len(resolved) == 1
    assert resolved[0].url.params["keys"] == "DEMO"
    assert await connector.list_records("EMPTY") == []
    with pytest.raises(NotFound, match="space NOPE"):
        await connector.list_records("NOPE")
    with pytest.raises(NotFound):
        await connector.get_record("EMPTY", 1)  # a page of another space


# -- versions ----------------------------------------------------------------------------------


async def test_stale_expected_version_is_refused_before_any_write(
    fake: ConfluenceFake, mock: respx.MockRouter, connector: ConfluenceConnector
) -> None:
    (seeded,) = fake.store.seed("DEMO", [RecordDraft(title="v")])
    current = await connector.get_record("DEMO", seeded.id)
    updated = await connector.update_record(
        "DEMO", seeded.id, patch(current, title="v2"), current.version
    )
    assert updated.version == current.version + 1
    with pytest.raises(VersionMismatch) as info:
        await connector.update_record(
            "DEMO", seeded.id, patch(updated, title="v3"), current.version
        )
    assert (info.value.expected, info.value.actual) == (current.version, updated.version)
    assert len(calls(mock, "PUT", "/pages/")) == 1
    put = json.loads(calls(mock, "PUT", "/pages/")[0].content)
    assert put["version"] == {"number": current.version + 1}
    assert put["id"] == str(seeded.id)


async def test_server_409_is_version_mismatch(
    fake: ConfluenceFake, mock: respx.MockRouter, connector: ConfluenceConnector
) -> None:
    (seeded,) = fake.store.seed("DEMO", [RecordDraft(title="race")])
    current = await connector.get_record("DEMO", seeded.id)
    original = fake.handle

    async def racing(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":  # another editor saves between our GET and PUT
            fake.store.update("DEMO", seeded.id, {"title": "theirs"})
        return await original(request)

    mock.route(host="reposix-test.atlassian.net").mock(side_effect=racing)
    with pytest.raises(VersionMismatch) as info:
        await connector.update_record("DEMO", seeded.id, patch(current, title="mine"))
    assert info.value.actual == current.version + 1
    assert "409" in str(info.value)
    assert fake.store.get("DEMO", seeded.id).title == "theirs"  # type: ignore[union-attr]


# -- writes: round trip, hierarchy, labels, delete -----------------------------------------------


async def test_create_update_round_trip_with_status_labels(
    fake: ConfluenceFake, mock: respx.MockRouter, connector: ConfluenceConnector
) -> None:
    body = "# Plan\n\n- one\n- two\n\n```python\nprint('x')\n```"
    created = await connector.create_record(
        "DEMO",
        draft("Plan ✓", body=body, labels=["plan"], status=S.IN_PROGRESS, assignee="ignored"),
    )
    assert (created.title, created.body, created.labels, created.status) == (
        "Plan ✓",
        body,
        ["plan"],
        S.IN_PROGRESS,
    )
    assert created.version == 1
    assert created.assignee is None
    post = json.loads(calls(mock, "POST", "/wiki/api/v2/pages")[0].content)
    assert set(post) == {"spaceId", "status", "title", "body"}
    assert post["body"]["representation"] == "atlas_doc_format"
    assert json.loads(post["body"]["value"])["type"] == "doc"
    label_post = json.loads(calls(mock, "POST", f"/content/{created.id}/label")[0].content)
    assert label_post == [
        {"prefix": "global", "name": "plan"},
        {"prefix": "global", "name": "reposix-status-in-progress"},
    ]
    done = await connector.update_record(
        "DEMO", created.id, patch(created, status=S.DONE, labels=["Plan", "x"])
    )
    assert done.status is S.DONE
    assert sorted(done.labels) == ["plan", "x"]
    assert done == await connector.get_record("DEMO", created.id)
    assert done.extensions["confluence"] == {
        "space_id": "65537",
        "status": "current",
        "owner_id": "5b10ac8d82e05b22cc7d4ef5",
    }
    reopened = await connector.update_record(
        "DEMO", created.id, patch(done, status=S.OPEN, labels=[])
    )
    assert reopened.status is S.OPEN
    assert reopened.labels == []


async def test_stored_form_predicts_what_the_server_keeps(
    fake: ConfluenceFake, connector: ConfluenceConnector
) -> None:
    """What create returns, get reads and the fake stores is the declared stored form."""
    wanted = RecordDraft(title="Labels", labels=["Needs-Triage", "ops", "OPS", "área", "Área"])
    expected = connector.stored_form(wanted)
    assert expected.labels == ["needs-triage", "ops", "área"]
    assert expected.model_dump(exclude={"labels"}) == wanted.model_dump(exclude={"labels"})
    created = await connector.create_record("DEMO", sanitize_for_create(Tainted(wanted)))
    stored = fake.store.get("DEMO", created.id)
    assert stored is not None
    for record in (created, await connector.get_record("DEMO", created.id), stored):
        assert sorted(record.labels) == sorted(expected.labels)


async def test_labels_confluence_refuses_are_refused_before_any_request(
    mock: respx.MockRouter, connector: ConfluenceConnector
) -> None:
    """A create sends the page first and the labels after: a bad label must stop it early."""
    assert not connector.accepts_label("kind:test")
    assert connector.accepts_label("kind-test")
    with pytest.raises(InvalidRecord, match="cannot contain :"):
        await connector.create_record("DEMO", draft("x", labels=["ok", "kind:test"]))
    assert not mock.calls


async def test_hierarchy_create_move_and_top_level(
    fake: ConfluenceFake, mock: respx.MockRouter, connector: ConfluenceConnector
) -> None:
    parent = await connector.create_record("DEMO", draft("parent"))
    child = await connector.create_record("DEMO", draft("child", parent_id=parent.id))
    assert child.parent_id == parent.id
    assert parent.parent_id is None
    top = await connector.update_record("DEMO", child.id, patch(child, parent_id=None))
    assert top.parent_id is None
    put = json.loads(calls(mock, "PUT", f"/pages/{child.id}")[-1].content)
    assert put["parentId"] == fake.homepage_id("DEMO")  # top level = under the homepage
    with pytest.raises(InvalidRecord):
        await connector.create_record("DEMO", draft("orphan", parent_id=999_999))


async def test_archived_pages_read_done_and_are_not_edited(
    fake: ConfluenceFake, connector: ConfluenceConnector
) -> None:
    (seeded,) = fake.store.seed("DEMO", [RecordDraft(title="old", status=S.DONE)])
    record = await connector.get_record("DEMO", seeded.id)
    ext = record.extensions["confluence"]
    assert record.status is S.DONE
    assert isinstance(ext, dict)
    assert ext["status"] == "archived"
    with pytest.raises(NotSupported, match="archived"):
        await connector.update_record("DEMO", seeded.id, patch(record, title="new"))


async def test_delete_trashes_and_reads_not_found(
    fake: ConfluenceFake, connector: ConfluenceConnector
) -> None:
    created = await connector.create_record("DEMO", draft("bye"))
    await connector.delete_or_close("DEMO", created.id, DeleteReason.COMPLETED)
    assert created.id in fake.trash
    with pytest.raises(NotFound, match="trashed"):
        await connector.get_record("DEMO", created.id)
    assert created.id not in [r.id for r in await connector.list_records("DEMO")]
    with pytest.raises(NotFound):
        await connector.delete_or_close("DEMO", created.id, DeleteReason.COMPLETED)


async def test_writes_require_untainted_values(
    fake: ConfluenceFake, connector: ConfluenceConnector
) -> None:
    with pytest.raises(TypeError, match="Untainted"):
        await connector.create_record("DEMO", RecordDraft(title="raw"))  # type: ignore[arg-type]


# -- incremental -------------------------------------------------------------------------------


async def test_minute_precision_cql_is_filtered_on_exact_timestamps(
    fake: ConfluenceFake, mock: respx.MockRouter, connector: ConfluenceConnector
) -> None:
    a, b, c = fake.store.seed("DEMO", [RecordDraft(title=t) for t in "abc"])  # 7 s apart
    assert a.updated_at.replace(second=0) == c.updated_at.replace(second=0)  # one minute
    assert await connector.list_changed_since("DEMO", a.updated_at) == [c.id, b.id]
    assert await connector.list_changed_since("DEMO", b.updated_at) == [c.id]
    assert await connector.list_changed_since("DEMO", c.updated_at) == []
    assert set(await connector.list_changed_since("DEMO", a.updated_at - timedelta(days=1))) == {
        a.id,
        b.id,
        c.id,
    }
    search = calls(mock, "GET", "/wiki/rest/api/content/search")[0]
    assert search.url.params["expand"] == "version"
    assert '"2026-01-01 11:00"' in search.url.params["cql"]  # Sydney time, minute precision
    assert json.loads(search.url.params["cqlcontext"])["contentStatuses"] == ["current", "archived"]
    with pytest.raises(NotFound):
        await connector.list_changed_since("NOPE", a.updated_at)


async def test_search_next_link_is_relative_to_the_wiki_context(
    mock: respx.MockRouter, connector: ConfluenceConnector, load: Callable[[str], Any]
) -> None:
    mock.get(f"{SITE}/wiki/rest/api/user/current").respond(
        json={"accountId": "x", "timeZone": "UTC"}
    )
    mock.get(f"{SITE}/wiki/api/v2/spaces").respond(json=load("spaces.json"))
    page1 = load("search.json")
    page1["_links"]["next"] = "/rest/api/content/search?cql=x&cursor=abc"
    page2 = {
        "results": [],
        "start": 2,
        "limit": 25,
        "size": 0,
        "_links": {"base": "https://decoy.reposix.invalid/wiki"},
    }
    route = mock.get(f"{SITE}/wiki/rest/api/content/search")
    route.side_effect = [httpx.Response(200, json=page1), httpx.Response(200, json=page2)]
    from datetime import UTC, datetime

    ids = await connector.list_changed_since("ENG", datetime(2024, 5, 2, 16, 40, tzinfo=UTC))
    assert ids == [229478, 229477]
    assert route.calls[1].request.url.path == "/wiki/rest/api/content/search"
    assert route.calls[1].request.url.params["cursor"] == "abc"


async def test_409_body_is_surfaced(
    mock: respx.MockRouter, connector: ConfluenceConnector, load: Callable[[str], Any]
) -> None:
    page = load("page.json")
    mock.get(f"{SITE}/wiki/api/v2/pages/229477").respond(json=page)
    mock.get(f"{SITE}/wiki/api/v2/spaces").respond(json=load("spaces.json"))
    mock.get(f"{SITE}/wiki/api/v2/pages/229477/labels").respond(json=load("labels.json"))
    mock.put(f"{SITE}/wiki/api/v2/pages/229477").respond(409, json=load("error-409.json"))
    from reposix_confluence.mapping import record_from_page
    from reposix_confluence.wire import PAGE

    record = record_from_page(PAGE.validate_python(page), ["release"], "196613")
    with pytest.raises(VersionMismatch, match="Version must be incremented"):
        await connector.update_record("ENG", 229477, patch(record, title="x"))
