"""The Jira connector against its wire fake and hand-made vendor-shaped responses."""

from __future__ import annotations

import base64
import json
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
    ProtocolError,
)
from reposix._formats.adf import to_markdown
from reposix._records import RecordDraft, RecordStatus
from reposix._runtime import Runtime
from reposix._secret import Secret
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create
from reposix_jira import build, from_env, plugin
from reposix_jira.connector import JiraConnector
from reposix_jira.fake import JiraFake

from .conftest import CANARY, EMAIL, SITE, load

SEARCH = SITE + "/rest/api/3/search/jql"


def _draft(**kw: Any) -> Any:
    return sanitize_for_create(Tainted(RecordDraft(**{"title": "t", **kw})))


def _seed(fake: JiraFake, n: int = 3) -> list[Any]:
    return fake.store.seed(
        "DEMO", [RecordDraft(title=f"issue {i}", body=f"body *{i}*") for i in range(n)]
    )


def _issue(i: int, updated: str = "2026-01-01T00:00:07.000+0000") -> dict[str, Any]:
    return {
        "expand": "",
        "id": str(i),
        "key": f"DEMO-{i}",
        "self": f"https://decoy.reposix.invalid/rest/api/3/issue/{i}",
        "fields": {
            "summary": f"issue {i}",
            "status": {"name": "To Do", "statusCategory": {"key": "new"}},
            "created": "2026-01-01T00:00:07.000+0000",
            "updated": updated,
            "labels": [],
            "project": {"id": "10000", "key": "DEMO"},
        },
    }


# -- auth ------------------------------------------------------------------------------------


async def test_auth_header_is_byte_exact(
    fake: JiraFake, connector: JiraConnector, mock: respx.MockRouter
) -> None:
    _seed(fake, 1)
    await connector.list_records("DEMO")
    sent = mock.calls.last.request.headers.raw
    expected = b"Basic " + base64.b64encode(f"{EMAIL}:{CANARY}".encode())
    assert [v for k, v in sent if k.lower() == b"authorization"] == [expected]


async def test_wrong_token_is_auth_error_naming_env_vars(fake: JiraFake, runtime: Runtime) -> None:
    wrong = JiraConnector(EMAIL, Secret("nope"), base_url=SITE, runtime=runtime)
    with pytest.raises(AuthError) as info:
        await wrong.get_record("DEMO", 1)
    text = str(info.value)
    assert "JIRA_EMAIL" in text
    assert "JIRA_API_TOKEN" in text
    assert "Client must be authenticated" in text
    await wrong.aclose()


def test_missing_credentials_lists_each_var_on_its_own_line() -> None:
    with pytest.raises(MissingCredentials) as info:
        from_env(environ={})
    lines = str(info.value).splitlines()
    for name in ("JIRA_EMAIL", "JIRA_API_TOKEN", "REPOSIX_JIRA_INSTANCE"):
        assert f"    {name}" in lines
    with pytest.raises(MissingCredentials) as info:
        from_env(base_url=SITE, environ={"JIRA_EMAIL": "a@b.c"})
    assert "JIRA_API_TOKEN" in str(info.value)
    assert "REPOSIX_JIRA_INSTANCE" not in str(info.value)


def test_build_from_instance_and_repr_has_no_secret(runtime: Runtime) -> None:
    creds = Credentials(
        {
            "JIRA_EMAIL": Secret(EMAIL),
            "JIRA_API_TOKEN": Secret(CANARY),
            "REPOSIX_JIRA_INSTANCE": Secret("acme"),
        }
    )
    connector = build(plugin.default_base_url, creds, runtime)
    assert connector.base_url == "https://acme.atlassian.net/"
    assert CANARY not in repr(connector)
    assert CANARY not in repr(connector._http)
    assert load_plugins()["jira"] is plugin


# -- read ------------------------------------------------------------------------------------


async def test_list_get_empty_and_unknown(fake: JiraFake, connector: JiraConnector) -> None:
    seeded = _seed(fake, 3)
    records = await connector.list_records("DEMO")
    assert [r.id for r in records] == [r.id for r in seeded]
    assert records[0].body == "body *0*"
    assert records[0].extensions["jira"] == {
        "key": "DEMO-1",
        "issue_type": "Task",
        "priority": "Medium",
        "status_name": "To Do",
    }
    assert await connector.get_record("DEMO", seeded[1].id) == records[1]
    assert await connector.list_records("EMPTY") == []
    with pytest.raises(NotFound, match="NOPE"):
        await connector.list_records("NOPE")
    with pytest.raises(NotFound):
        await connector.get_record("DEMO", 999)
    with pytest.raises(NotFound):
        await connector.get_record("EMPTY", seeded[0].id)  # exists, other project


async def test_search_sends_only_mapped_fields(
    fake: JiraFake, connector: JiraConnector, mock: respx.MockRouter
) -> None:
    _seed(fake, 1)
    await connector.list_records("DEMO")
    body = json.loads(mock.calls.last.request.content)
    assert body["jql"] == 'project = "DEMO" ORDER BY key ASC'
    assert "summary" in body["fields"]
    assert "*all" not in body["fields"]
    assert body["maxResults"] == 100


async def test_vendor_search_envelope_pages_by_token(
    connector: JiraConnector, mock: respx.MockRouter
) -> None:
    first = {**load("search-jql-post-200.json"), "isLast": False, "nextPageToken": "tok-2"}
    first["issues"] = [_issue(1), _issue(2)]
    second = {"isLast": True, "issues": [_issue(3)]}
    route = mock.post(SEARCH).mock(
        side_effect=[httpx.Response(200, json=first), httpx.Response(200, json=second)]
    )
    listing = await connector.list_records_complete("DEMO")
    assert [r.id for r in listing.records] == [1, 2, 3]
    assert listing.is_complete
    assert json.loads(route.calls[1].request.content)["nextPageToken"] == "tok-2"
    assert "nextPageToken" not in json.loads(route.calls[0].request.content)


async def test_search_errors_get_jiras_mapping_on_every_page(
    connector: JiraConnector, mock: respx.MockRouter
) -> None:
    """The search's error statuses go through the connector's check (page 2 included)."""
    first = {"isLast": False, "nextPageToken": "t2", "issues": [_issue(1)]}
    refused = {"errorMessages": ["Client must be authenticated to access this resource."]}
    mock.post(SEARCH).mock(
        side_effect=[httpx.Response(200, json=first), httpx.Response(401, json=refused)]
    )
    with pytest.raises(AuthError, match="Client must be authenticated") as info:
        await connector.list_records("DEMO")
    assert "JIRA_API_TOKEN" in (info.value.hint or "")


async def test_search_400_other_than_a_missing_project_stays_a_protocol_error(
    connector: JiraConnector, mock: respx.MockRouter
) -> None:
    bad = {"errorMessages": ["Error in the JQL Query: Expecting ')' before the end."]}
    mock.post(SEARCH).respond(400, json=bad)
    with pytest.raises(ProtocolError, match=r"refused the search .*Error in the JQL Query"):
        await connector.list_records("DEMO")


@pytest.mark.parametrize(
    ("last_page", "complete"),
    [
        ({"isLast": True}, True),
        ({}, True),  # no token, no isLast: the end
        ({"isLast": False}, False),  # claims more but gives no token: incomplete
        ({"isLast": True, "nextPageToken": "more"}, False),  # contradiction: incomplete
    ],
)
async def test_is_last_and_token_contradictions(
    connector: JiraConnector, mock: respx.MockRouter, last_page: dict[str, Any], complete: bool
) -> None:
    mock.post(SEARCH).mock(
        side_effect=[
            httpx.Response(
                200, json={"isLast": False, "nextPageToken": "t2", "issues": [_issue(1)]}
            ),
            httpx.Response(200, json={"issues": [_issue(2)], **last_page}),
        ]
    )
    listing = await connector.list_records_complete("DEMO")
    assert [r.id for r in listing.records] == [1, 2]
    assert listing.is_complete is complete


async def test_minute_precision_jql_is_filtered_exactly(
    fake: JiraFake, connector: JiraConnector, mock: respx.MockRouter
) -> None:
    seeded = _seed(fake, 5)  # 7 s apart: all in one minute
    since = seeded[2].updated_at
    changed = await connector.list_changed_since("DEMO", since)
    assert sorted(changed) == [seeded[3].id, seeded[4].id]
    body = json.loads(mock.calls.last.request.content)
    # The fake's user lives in Sydney (UTC+11 in January): JQL is read in that zone.
    local = since.astimezone(fake_zone(fake)).strftime("%Y-%m-%d %H:%M")
    assert f'updated >= "{local}"' in body["jql"]
    assert await connector.list_changed_since("DEMO", seeded[-1].updated_at) == []
    early = seeded[0].updated_at - timedelta(milliseconds=1)
    assert sorted(await connector.list_changed_since("DEMO", early)) == [r.id for r in seeded]


def fake_zone(fake: JiraFake) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(fake.time_zone)


# -- write -----------------------------------------------------------------------------------


async def test_create_update_close_round_trip(
    fake: JiraFake, connector: JiraConnector, mock: respx.MockRouter
) -> None:
    body = "# Plan\n\n- step *one*\n- step two\n\n```python\nprint(1)\n```"
    created = await connector.create_record(
        "DEMO",
        _draft(
            title="Ship it",
            body=body,
            labels=["kind:test"],
            assignee="acc-1",
            status=RecordStatus.IN_REVIEW,
        ),
    )
    assert (created.title, created.body, created.labels, created.assignee, created.status) == (
        "Ship it",
        body,
        ["kind:test"],
        "acc-1",
        RecordStatus.IN_REVIEW,
    )
    posted = [c.request for c in mock.calls if c.request.url.path == "/rest/api/3/issue"]
    sent = json.loads(posted[0].content)["fields"]
    assert sent["issuetype"] == {"id": "10001"}  # "Task" preferred over the first type (Bug)
    assert sent["description"]["content"][0]["type"] == "heading"
    assert not {"id", "created", "updated", "version", "status"} & set(sent)

    meta = ServerMetadata(created.id, created.created_at, created.updated_at, created.version)
    patch = sanitize(Tainted(created.replace(title="Shipped", status=RecordStatus.DONE)), meta)
    updated = await connector.update_record("DEMO", created.id, patch)
    assert updated.title == "Shipped"
    assert updated.status is RecordStatus.DONE
    put = [c.request for c in mock.calls if c.request.method == "PUT"][-1]
    assert json.loads(put.content) == {"fields": {"summary": "Shipped"}}  # changed fields only

    await connector.delete_or_close("DEMO", created.id, DeleteReason.DUPLICATE)
    closed = await connector.get_record("DEMO", created.id)
    assert closed.status is RecordStatus.WONT_FIX
    jira = closed.extensions["jira"]
    assert isinstance(jira, dict)
    assert jira["status_name"] == "Won't Do"


async def test_status_without_transition_is_not_supported(
    fake: JiraFake, connector: JiraConnector
) -> None:
    record = _seed(fake, 1)[0]
    fake.workflow.discard(RecordStatus.IN_REVIEW)
    meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
    patch = sanitize(Tainted(record.replace(status=RecordStatus.IN_REVIEW)), meta)
    with pytest.raises(NotSupported) as info:
        await connector.update_record("DEMO", record.id, patch)
    text = str(info.value)
    assert "workflow of DEMO" in text
    assert "'To Do'" in text
    assert "in_review" in text


async def test_wont_fix_falls_back_to_a_done_transition_with_resolution(
    fake: JiraFake, connector: JiraConnector, mock: respx.MockRouter
) -> None:
    record = _seed(fake, 1)[0]
    fake.workflow.discard(RecordStatus.WONT_FIX)
    await connector.delete_or_close("DEMO", record.id, DeleteReason.NOT_PLANNED)
    posts = [c.request for c in mock.calls if c.request.url.path.endswith("/transitions")]
    sent = json.loads(posts[-1].content)
    assert sent == {"transition": {"id": "41"}, "fields": {"resolution": {"name": "Won't Do"}}}
    closed = await connector.get_record("DEMO", record.id)
    assert closed.status is RecordStatus.WONT_FIX


async def test_placeholders_round_trip_and_damaged_ones_are_refused(
    fake: JiraFake, connector: JiraConnector, mock: respx.MockRouter
) -> None:
    record = _seed(fake, 1)[0]
    panel = {
        "type": "panel",
        "attrs": {"panelType": "info"},
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Careful"}]}],
    }
    text = to_markdown({"type": "doc", "version": 1, "content": [panel]})
    fake.store.update("DEMO", record.id, {"body": "intro\n\n" + text})
    current = await connector.get_record("DEMO", record.id)
    assert "reposix-adf" in current.body
    meta = ServerMetadata(current.id, current.created_at, current.updated_at, current.version)

    edited = sanitize(Tainted(current.replace(body=current.body.replace("intro", "Intro"))), meta)
    await connector.update_record("DEMO", record.id, edited)
    put = json.loads([c.request for c in mock.calls if c.request.method == "PUT"][-1].content)
    assert put["fields"]["description"]["content"][1] == panel  # the node itself, not text

    before = len(mock.calls)
    damaged = current.body.replace('"panelType"', "panelType")
    patch = sanitize(Tainted(current.replace(body=damaged)), meta)
    with pytest.raises(InvalidRecord, match="placeholder"):
        await connector.update_record("DEMO", record.id, patch)
    assert not [c for c in mock.calls[before:] if c.request.method == "PUT"]


async def test_rejected_label_surfaces_jira_error(fake: JiraFake, connector: JiraConnector) -> None:
    with pytest.raises(InvalidRecord) as info:
        await connector.create_record("DEMO", _draft(labels=["has space"]))
    assert "contains spaces" in str(info.value)
    assert CANARY not in str(info.value)


async def test_write_refuses_tainted_values(connector: JiraConnector) -> None:
    with pytest.raises(TypeError, match="Untainted"):
        await connector.create_record("DEMO", RecordDraft(title="x"))  # type: ignore[arg-type]
