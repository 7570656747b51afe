"""The GitLab connector on the wire: auth headers, paths, pagination, writes, errors.

Vendor behaviour under test, with sources:
https://docs.gitlab.com/api/rest/authentication/ (PRIVATE-TOKEN, Bearer),
https://docs.gitlab.com/api/rest/#namespaced-paths (URL-encoded project paths),
https://docs.gitlab.com/api/rest/#pagination (offset headers, keyset Link),
https://docs.gitlab.com/api/issues/ (updated_after, state_event, add/remove_labels, delete).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx

from reposix import (
    AuthError,
    DeleteReason,
    InvalidRecord,
    MissingCredentials,
    NotFound,
    RateLimited,
    Record,
    RecordDraft,
    RecordStatus,
    Secret,
    ServerMetadata,
    Tainted,
    Untainted,
    sanitize,
    sanitize_for_create,
)
from reposix._credentials import Credentials
from reposix_gitlab import build as plugin_build
from reposix_gitlab.connector import GitLabConnector
from reposix_gitlab.fake import GitLabFake

from .conftest import API, CANARY, DEVELOPER, make_runtime

Build = Callable[..., GitLabConnector]
Load = Callable[[str], Any]
SEEDED = "my-group/my-project"
ISSUES = f"{API}/projects/my-group%2Fmy-project/issues"


def draft(title: str, **fields: Any) -> Untainted[RecordDraft]:
    return sanitize_for_create(Tainted(RecordDraft(title=title, **fields)))


def patch(record: Record, **changes: Any) -> Untainted[Record]:
    meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
    return sanitize(Tainted(record.replace(**changes)), meta)


def seed(fake: GitLabFake, count: int) -> list[Record]:
    statuses = list(RecordStatus)
    return fake.store.seed(
        SEEDED,
        [
            RecordDraft(
                title=f"seeded {i}",
                labels=["kit"] if i % 2 else [],
                status=statuses[i % len(statuses)],
            )
            for i in range(count)
        ],
    )


# -- auth and addressing -------------------------------------------------------------------


async def test_private_token_header_and_never_a_query_token(
    mock: respx.MockRouter, fake: GitLabFake, connector: GitLabConnector
) -> None:
    seed(fake, 1)
    await connector.list_records(SEEDED)
    await connector.get_record(SEEDED, 1)
    sent = [c.request for c in mock.calls]
    assert sent
    assert all(r.headers["private-token"] == CANARY for r in sent)
    assert all("authorization" not in r.headers for r in sent)
    assert all("private_token" not in r.url.params for r in sent)
    assert all(CANARY not in str(r.url) for r in sent)


async def test_oauth_bearer_mode(mock: respx.MockRouter, fake: GitLabFake, build: Build) -> None:
    seed(fake, 1)
    conn = build(auth="bearer")
    assert (await conn.get_record(SEEDED, 1)).id == 1
    sent = mock.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {CANARY}"
    assert "private-token" not in sent.headers


async def test_plugin_builds_either_auth_mode_and_names_what_is_missing(
    mock: respx.MockRouter, fake: GitLabFake
) -> None:
    seed(fake, 1)
    runtime = make_runtime()
    private = plugin_build(API, Credentials({"GITLAB_TOKEN": Secret(CANARY)}), runtime)
    oauth = plugin_build(API, Credentials({"GITLAB_OAUTH_TOKEN": Secret(CANARY)}), runtime)
    try:
        await private.get_record(SEEDED, 1)
        assert mock.calls.last.request.headers["private-token"] == CANARY
        await oauth.get_record(SEEDED, 1)
        assert mock.calls.last.request.headers["authorization"] == f"Bearer {CANARY}"
    finally:
        await private.aclose()
        await oauth.aclose()
    with pytest.raises(MissingCredentials, match="GITLAB_TOKEN"):
        plugin_build(API, Credentials({}), runtime)


async def test_path_prefix_and_encoded_full_path(
    mock: respx.MockRouter, fake: GitLabFake, connector: GitLabConnector
) -> None:
    seed(fake, 2)
    await connector.get_record(SEEDED, 2)
    raw = mock.calls.last.request.url.raw_path
    assert raw == b"/gitlab/api/v4/projects/my-group%2Fmy-project/issues/2"


async def test_numeric_project_id(fake: GitLabFake, connector: GitLabConnector) -> None:
    seed(fake, 2)
    pid = fake.project_id(SEEDED)
    assert [r.id for r in await connector.list_records(str(pid))] == [1, 2]


async def test_wrong_token_is_auth_error_naming_the_env_vars(
    fake: GitLabFake, build: Build
) -> None:
    with pytest.raises(AuthError, match="GITLAB_TOKEN") as info:
        await build(token="glpat-wrongwrongwrong").list_records(SEEDED)
    assert "401" in str(info.value)
    assert "wrongwrong" not in str(info.value)


async def test_unknown_project_and_issue_are_not_found(
    fake: GitLabFake, connector: GitLabConnector
) -> None:
    with pytest.raises(NotFound, match="404 Project Not Found"):
        await connector.list_records("my-group/missing")
    with pytest.raises(NotFound, match="404 Issue Not Found"):
        await connector.get_record(SEEDED, 99)


# -- listings --------------------------------------------------------------------------------


async def test_full_listing_uses_keyset_on_id(
    mock: respx.MockRouter, fake: GitLabFake, build: Build
) -> None:
    seeded = seed(fake, 5)
    conn = build(page_size=2)
    listing = await conn.list_records_complete(SEEDED)
    assert listing.is_complete
    assert [r.id for r in listing.records] == [r.id for r in seeded]
    first = mock.calls[0].request.url.params
    assert (first["pagination"], first["order_by"], first["sort"], first["per_page"]) == (
        "keyset",
        "id",
        "asc",
        "2",
    )
    assert "state" not in first  # omitted: every state
    assert all("cursor" in c.request.url.params for c in list(mock.calls)[1:])


async def test_offset_fallback_on_servers_without_keyset(
    mock: respx.MockRouter, build: Build
) -> None:
    """GitLab before 18.3 answers 405 "Keyset pagination is not yet available for this type
    of request" (lib/api/helpers/pagination_strategies.rb); offset pages still carry Link."""
    old = GitLabFake(token=CANARY, keyset=False)
    mock.route(host="gitlab.example.com").mock(side_effect=old.handle)
    seeded = old.store.seed(SEEDED, [RecordDraft(title=f"t{i}") for i in range(5)])
    conn = build(page_size=2)
    listing = await conn.list_records_complete(SEEDED)
    assert listing.is_complete
    assert sorted(r.id for r in listing.records) == [r.id for r in seeded]
    pages = [c.request.url.params for c in mock.calls]
    assert pages[0]["pagination"] == "keyset"
    assert mock.calls[0].response.status_code == 405
    assert [p.get("page", "1") for p in pages[1:]] == ["1", "2", "3"]
    assert all(p["order_by"] == "created_at" and "pagination" not in p for p in pages[1:])
    # the refusal is remembered: a second listing goes straight to offset pages
    before = len(mock.calls)
    await conn.list_records(SEEDED)
    assert "pagination" not in mock.calls[before].request.url.params


async def test_offset_total_smaller_than_served_is_reported(
    mock: respx.MockRouter, build: Build
) -> None:
    """With ``x-total`` stated (offset pages), a server that stops short is incomplete."""
    page = [
        {
            "id": 100,
            "iid": 1,
            "project_id": 4,
            "title": "t",
            "state": "opened",
            "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-01T00:00:00.000Z",
        }
    ]
    mock.get(url__startswith=ISSUES, params={"pagination": "keyset"}).respond(
        405, json={"error": "Keyset pagination is not yet available for this type of request"}
    )
    mock.get(url__startswith=ISSUES).respond(200, json=page, headers={"x-total": "3"})
    listing = await build().list_records_complete(SEEDED)
    assert [r.id for r in listing.records] == [1]
    assert listing.is_complete is False


async def test_incremental_asks_updated_after_and_filters_exactly(
    mock: respx.MockRouter, fake: GitLabFake, connector: GitLabConnector
) -> None:
    seeded = seed(fake, 4)
    since = seeded[1].updated_at
    got = await connector.list_changed_since(SEEDED, since)
    assert got == [seeded[2].id, seeded[3].id]  # updated_after is inclusive: seeded[1] dropped
    q = mock.calls.last.request.url.params
    assert (q["order_by"], q["sort"], q["pagination"]) == ("updated_at", "asc", "keyset")
    assert q["updated_after"].endswith("Z")
    assert "+" not in q["updated_after"]


@pytest.mark.parametrize("keyset", [True, False])
async def test_an_edit_between_pages_loses_nothing(
    mock: respx.MockRouter, build: Build, keyset: bool
) -> None:
    """Page shift: a record edited while an incremental listing is read moves in the order.
    Keyset cursors (last row's key) and, on old servers, newest-first offset pages keep every
    record that changed before the listing began."""
    gl = GitLabFake(token=CANARY, keyset=keyset)
    mock.route(host="gitlab.example.com").mock(side_effect=gl.handle)
    seeded = gl.store.seed(SEEDED, [RecordDraft(title=f"t{i}") for i in range(6)])
    since = seeded[0].created_at - timedelta(seconds=1)
    edited: list[int] = []

    def edit(fake: GitLabFake, project: str) -> None:
        if not edited:
            target = seeded[0] if keyset else seeded[-1]
            fake.store.update(project, target.id, {"title": "edited mid-listing"})
            edited.append(target.id)

    gl.between_pages = edit
    got = await build(page_size=2).list_changed_since(SEEDED, since)
    assert sorted(got) == [r.id for r in seeded]
    assert len(got) == len(set(got))
    assert edited


# -- writes ----------------------------------------------------------------------------------


async def test_create_sends_comma_labels_and_assignee_ids_then_closes(
    mock: respx.MockRouter, fake: GitLabFake, connector: GitLabConnector
) -> None:
    created = await connector.create_record(
        SEEDED,
        draft(
            "New",
            body="b",
            labels=["bug", "docs"],
            assignee="agent-alpha",
            status=RecordStatus.WONT_FIX,
        ),
    )
    assert (created.status, sorted(created.labels), created.assignee) == (
        RecordStatus.WONT_FIX,
        ["bug", "docs"],
        "agent-alpha",
    )
    calls = [c.request for c in mock.calls]
    assert [r.method for r in calls] == ["GET", "POST", "PUT"]
    assert calls[0].url.params["username"] == "agent-alpha"
    import json

    post = json.loads(calls[1].content)
    assert post["labels"] == "bug,docs,status::wont-fix"
    assert post["assignee_ids"] == [fake.user_id("agent-alpha")]
    assert json.loads(calls[2].content) == {"state_event": "close"}


async def test_update_uses_add_and_remove_labels_and_state_event(
    mock: respx.MockRouter, fake: GitLabFake, connector: GitLabConnector
) -> None:
    created = await connector.create_record(SEEDED, draft("x", labels=["keep", "drop"]))
    # someone else adds a label meanwhile: an add/remove update must not clobber it
    fake.extra(SEEDED, created.id).other_scoped.append("status::blocked")
    fake.store.update(SEEDED, created.id, {"labels": ["keep", "drop", "theirs"]})
    updated = await connector.update_record(
        SEEDED, created.id, patch(created, labels=["keep", "new"], status=RecordStatus.DONE)
    )
    import json

    put = json.loads(mock.calls.last.request.content)
    assert put["add_labels"] == "new"
    assert put["remove_labels"] == "drop,theirs"
    assert put["state_event"] == "close"
    assert "labels" not in put
    assert updated.status is RecordStatus.DONE
    assert sorted(updated.labels) == ["keep", "new"]
    assert "status::blocked" in fake.wire_labels(SEEDED, fake.store.get(SEEDED, created.id))  # type: ignore[arg-type]
    reopened = await connector.update_record(
        SEEDED, created.id, patch(updated, status=RecordStatus.IN_PROGRESS)
    )
    assert json.loads(mock.calls.last.request.content)["state_event"] == "reopen"
    assert reopened.status is RecordStatus.IN_PROGRESS


async def test_labels_with_commas_are_refused_before_any_request(
    mock: respx.MockRouter, fake: GitLabFake, connector: GitLabConnector
) -> None:
    with pytest.raises(InvalidRecord, match="','"):
        await connector.create_record(SEEDED, draft("x", labels=["a,b"]))
    assert not mock.calls


async def test_an_atlassian_account_id_is_refused_before_any_request(
    mock: respx.MockRouter, fake: GitLabFake, connector: GitLabConnector
) -> None:
    handle = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"
    assert not connector.accepts_assignee(handle)
    with pytest.raises(InvalidRecord, match="not a gitlab username"):
        await connector.create_record(SEEDED, draft("x", assignee=handle))
    assert not mock.calls


async def test_unknown_assignee_is_invalid_record(
    mock: respx.MockRouter, fake: GitLabFake, connector: GitLabConnector
) -> None:
    with pytest.raises(InvalidRecord, match="no user named 'nobody-here'"):
        await connector.create_record(SEEDED, draft("x", assignee="nobody-here"))
    assert [c.request.method for c in mock.calls] == ["GET"]


async def test_delete_is_real_and_owner_only(
    mock: respx.MockRouter, fake: GitLabFake, build: Build
) -> None:
    seed(fake, 2)
    with pytest.raises(AuthError, match="Owners") as info:
        await build(token=DEVELOPER).delete_or_close(SEEDED, 1, DeleteReason.COMPLETED)
    assert "403" in str(info.value)
    assert fake.store.get(SEEDED, 1) is not None
    owner = build()
    await owner.delete_or_close(SEEDED, 1, DeleteReason.COMPLETED)
    assert mock.calls.last.request.method == "DELETE"
    with pytest.raises(NotFound):
        await owner.get_record(SEEDED, 1)


# -- rate limits and error bodies --------------------------------------------------------------


async def test_persistent_429_with_the_captured_headers_is_rate_limited(
    mock: respx.MockRouter, build: Build, load: Load
) -> None:
    captured = load("ratelimit-429-example.json")
    headers = {k: v for k, v in captured["headers"].items() if k.lower().startswith("ratelimit")}
    headers["Retry-After"] = "1"
    route = mock.get(url__startswith=ISSUES).mock(
        return_value=httpx.Response(429, json=captured["body"], headers=headers)
    )
    with pytest.raises(RateLimited):
        await build().list_records(SEEDED)
    assert route.call_count >= 2  # waited out and retried, then gave up


async def test_429_without_headers_is_still_rate_limited(
    mock: respx.MockRouter, build: Build, load: Load
) -> None:
    """Several reports say GitLab sometimes omits the headers on 429 (gitlab-org/gitlab#199738)."""
    body = load("ratelimit-429-example.json")["body"]
    route = mock.get(url__startswith=ISSUES).mock(return_value=httpx.Response(429, json=body))
    with pytest.raises(RateLimited):
        await build().get_record(SEEDED, 1)
    assert route.call_count >= 2  # the SDK backs off on its own and retries


async def test_validation_error_body_becomes_invalid_record(
    mock: respx.MockRouter, build: Build
) -> None:
    mock.post(ISSUES).respond(400, json={"message": {"title": ["can't be blank"]}})
    with pytest.raises(InvalidRecord, match="title can't be blank"):
        await build().create_record(SEEDED, draft("x"))
