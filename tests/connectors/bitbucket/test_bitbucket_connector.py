"""The Bitbucket connector on the wire: auth, the envelope and its ``next`` link, BBQL,
writes through PUT and ``/changes``, the disabled tracker, rate limits.

Sources: https://api.bitbucket.org/swagger.json (fixtures/issue-operations.json),
https://developer.atlassian.com/cloud/bitbucket/rest/intro/ (pagination, filtering, auth),
https://support.atlassian.com/bitbucket-cloud/docs/api-request-limits/ (rolling hour).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
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
from reposix_bitbucket import build as plugin_build
from reposix_bitbucket.connector import BitbucketConnector
from reposix_bitbucket.fake import BitbucketFake

from .conftest import API, CANARY, EMAIL, OAUTH, make_runtime

Build = Callable[..., BitbucketConnector]
Load = Callable[[str], Any]
SEEDED = "acme/widgets"
ISSUES = f"{API}/repositories/acme/widgets/issues"


def draft(title: str, **fields: Any) -> Untainted[RecordDraft]:
    return sanitize_for_create(Tainted(RecordDraft(title=title, **fields)))


def patch(record: Record, **changes: Any) -> Untainted[Record]:
    meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
    return sanitize(Tainted(record.replace(**changes)), meta)


def seed(fake: BitbucketFake, count: int) -> list[Record]:
    return fake.store.seed(SEEDED, [RecordDraft(title=f"t{i}") for i in range(count)])


def issue(n: int, updated: str = "2026-01-01T00:00:00.000000+00:00") -> dict[str, Any]:
    return {
        "type": "issue",
        "id": n,
        "title": f"t{n}",
        "state": "new",
        "created_on": "2026-01-01T00:00:00.000000+00:00",
        "updated_on": updated,
    }


# -- auth ----------------------------------------------------------------------------------


async def test_basic_auth_is_email_and_api_token(
    mock: respx.MockRouter, fake: BitbucketFake, connector: BitbucketConnector
) -> None:
    seed(fake, 1)
    await connector.get_record(SEEDED, 1)
    sent = mock.calls.last.request
    expected = base64.b64encode(f"{EMAIL}:{CANARY}".encode()).decode()
    assert sent.headers["authorization"] == f"Basic {expected}"
    assert CANARY not in str(sent.url)


async def test_oauth_bearer(mock: respx.MockRouter, fake: BitbucketFake, build: Build) -> None:
    seed(fake, 1)
    await build(bearer=OAUTH).get_record(SEEDED, 1)
    assert mock.calls.last.request.headers["authorization"] == f"Bearer {OAUTH}"


async def test_plugin_tries_api_token_then_app_password_then_oauth(
    mock: respx.MockRouter, fake: BitbucketFake
) -> None:
    seed(fake, 1)
    runtime = make_runtime()

    def basic(user: str, secret: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()

    pairs = [
        ({"BITBUCKET_EMAIL": EMAIL, "BITBUCKET_API_TOKEN": CANARY}, basic(EMAIL, CANARY)),
        (
            {
                "BITBUCKET_USERNAME": "me",
                "BITBUCKET_APP_PASSWORD": "app-pass-1234",
                "BITBUCKET_OAUTH_TOKEN": OAUTH,
            },
            basic("me", "app-pass-1234"),
        ),
        ({"BITBUCKET_OAUTH_TOKEN": OAUTH}, f"Bearer {OAUTH}"),
    ]
    for env, header in pairs:
        conn = plugin_build(API, Credentials({k: Secret(v) for k, v in env.items()}), runtime)
        try:
            with contextlib.suppress(AuthError):  # the fake knows only the first pair
                await conn.get_record(SEEDED, 1)
            assert mock.calls.last.request.headers["authorization"] == header
        finally:
            await conn.aclose()
    with pytest.raises(MissingCredentials, match="BITBUCKET_API_TOKEN"):
        plugin_build(API, Credentials({"BITBUCKET_EMAIL": Secret(EMAIL)}), runtime)


async def test_wrong_token_is_auth_error(fake: BitbucketFake, build: Build) -> None:
    with pytest.raises(AuthError, match="BITBUCKET_API_TOKEN") as info:
        await build(token="ATATT-wrong-wrong-wrong").list_records(SEEDED)
    assert "wrong-wrong" not in str(info.value)


# -- not found and the disabled tracker --------------------------------------------------------


async def test_disabled_tracker_says_so(fake: BitbucketFake, connector: BitbucketConnector) -> None:
    for call in (
        connector.list_records("acme/no-tracker"),
        connector.get_record("acme/no-tracker", 1),
        connector.create_record("acme/no-tracker", draft("x")),
    ):
        with pytest.raises(NotFound, match=r"acme/no-tracker.*issue tracker is disabled"):
            await call


async def test_missing_repository_and_issue(
    fake: BitbucketFake, connector: BitbucketConnector
) -> None:
    with pytest.raises(NotFound, match="repository acme/missing not found"):
        await connector.list_records("acme/missing")
    with pytest.raises(NotFound, match="issue acme/widgets#9 not found"):
        await connector.get_record(SEEDED, 9)


async def test_410_is_not_found(mock: respx.MockRouter, build: Build) -> None:
    mock.get(f"{ISSUES}/3").respond(410, json={"type": "error", "error": {"message": "Gone"}})
    with pytest.raises(NotFound, match="unavailable"):
        await build().get_record(SEEDED, 3)


# -- listings --------------------------------------------------------------------------------


async def test_next_is_followed_exactly_as_given(mock: respx.MockRouter, build: Build) -> None:
    odd = f"{API}/repositories/acme/widgets/issues?sort=id&pagelen=100&page=2&ctx=AbC%2Fz"
    second = mock.get(url=odd).respond(
        200, json={"pagelen": 100, "size": 2, "page": 2, "values": [issue(2)]}
    )
    first = mock.get(url__startswith=ISSUES).respond(
        200, json={"pagelen": 100, "size": 2, "page": 1, "values": [issue(1)], "next": odd}
    )
    listing = await build().list_records_complete(SEEDED)
    assert [r.id for r in listing.records] == [1, 2]
    assert listing.is_complete
    assert first.called
    assert second.called
    assert str(second.calls.last.request.url) == odd
    q = first.calls.last.request.url.params
    assert (q["sort"], q["pagelen"]) == ("id", "100")


async def test_iter_records_streams_page_by_page_and_drops_repeats(
    mock: respx.MockRouter, build: Build
) -> None:
    """Each page is handed on as it arrives; an issue served again on a later page (rows
    shifted down between numbered pages) is yielded once; ``max_records`` caps distinct
    issues and ends the listing incomplete."""
    two = f"{ISSUES}?sort=id&pagelen=100&page=2"
    mock.get(url=two).respond(
        200, json={"pagelen": 100, "size": 3, "page": 2, "values": [issue(2), issue(3)]}
    )
    mock.get(url__startswith=ISSUES).respond(
        200,
        json={"pagelen": 100, "size": 3, "page": 1, "values": [issue(1), issue(2)], "next": two},
    )
    stream = build().iter_records(SEEDED)
    seen: list[tuple[int, list[int]]] = []
    async for page in stream.pages():
        seen.append((len(mock.calls), [int(r.id) for r in page]))
    assert seen == [(1, [1, 2]), (2, [3])]
    assert stream.is_complete
    capped = await build(max_records=2).iter_records(SEEDED).collect()
    assert [r.id for r in capped.records] == [1, 2]
    assert capped.is_complete is False


async def test_size_larger_than_served_is_incomplete(mock: respx.MockRouter, build: Build) -> None:
    mock.get(url__startswith=ISSUES).respond(
        200, json={"pagelen": 100, "size": 5, "values": [issue(1), issue(2)]}
    )
    listing = await build().list_records_complete(SEEDED)
    assert [r.id for r in listing.records] == [1, 2]
    assert listing.is_complete is False


async def test_pagelen_is_clamped_to_100(
    mock: respx.MockRouter, fake: BitbucketFake, build: Build
) -> None:
    seed(fake, 1)
    await build(page_size=500).list_records(SEEDED)
    assert mock.calls.last.request.url.params["pagelen"] == "100"


async def test_incremental_sends_quoted_bbql_newest_first(
    mock: respx.MockRouter, fake: BitbucketFake, connector: BitbucketConnector
) -> None:
    seeded = seed(fake, 4)
    got = await connector.list_changed_since(SEEDED, seeded[1].updated_at)
    assert got == [seeded[2].id, seeded[3].id]
    first = mock.calls[0].request.url.params
    stamp = seeded[1].updated_at.isoformat(timespec="microseconds")
    assert first["q"] == f'updated_on > "{stamp}"'
    assert first["sort"] == "-updated_on"
    # then one catch-up query from the newest updated_on seen, which comes back empty
    last = mock.calls.last.request.url.params
    assert last["q"] == f'updated_on > "{seeded[3].updated_at.isoformat(timespec="microseconds")}"'
    assert len(mock.calls) == 2


async def test_an_edit_between_pages_is_caught_up(
    mock: respx.MockRouter, fake: BitbucketFake, build: Build
) -> None:
    """Numbered pages shift when an issue is edited mid-listing; newest-first order plus the
    catch-up query return every issue changed since ``since``, the edited one included."""
    seeded = seed(fake, 7)
    since = seeded[0].created_at - timedelta(seconds=1)
    done: list[int] = []

    def edit(bb: BitbucketFake, project: str) -> None:
        if not done:
            bb.store.update(project, seeded[0].id, {"title": "edited"})  # oldest: last page
            done.append(seeded[0].id)

    fake.between_pages = edit
    got = await build(page_size=2).list_changed_since(SEEDED, since)
    assert got == sorted(r.id for r in seeded)
    assert done


async def test_near_limit_header_is_logged_once(
    fake: BitbucketFake, connector: BitbucketConnector, caplog: pytest.LogCaptureFixture
) -> None:
    seed(fake, 1)
    fake.near_limit = True
    with caplog.at_level(logging.WARNING, logger="reposix.bitbucket"):
        await connector.get_record(SEEDED, 1)
        await connector.get_record(SEEDED, 1)
    warned = [r for r in caplog.records if "near the hourly rate limit" in r.getMessage()]
    assert len(warned) == 1
    assert "1000" in warned[0].getMessage()


async def test_persistent_429_is_rate_limited(mock: respx.MockRouter, build: Build) -> None:
    body = {"type": "error", "error": {"message": "Rate limit for this resource has been exceeded"}}
    route = mock.get(url__startswith=ISSUES).mock(return_value=httpx.Response(429, json=body))
    with pytest.raises(RateLimited):
        await build().list_records(SEEDED)
    assert route.call_count >= 2


# -- writes ----------------------------------------------------------------------------------


async def test_create_sends_content_raw_then_changes_state(
    mock: respx.MockRouter, fake: BitbucketFake, connector: BitbucketConnector
) -> None:
    created = await connector.create_record(
        SEEDED,
        draft(
            "Crash",
            body="# Steps",
            assignee="557058:abc",
            status=RecordStatus.IN_REVIEW,
            extensions={"bitbucket": {"kind": "task", "priority": "blocker"}},
        ),
    )
    calls = [c.request for c in mock.calls]
    assert [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in calls] == [
        ("POST", "issues"),
        ("POST", "changes"),
        ("GET", str(created.id)),
    ]
    assert json.loads(calls[0].content) == {
        "title": "Crash",
        "content": {"raw": "# Steps", "markup": "markdown"},
        "kind": "task",
        "priority": "blocker",
        "assignee": {"account_id": "557058:abc"},
    }
    assert json.loads(calls[1].content) == {"changes": {"state": {"new": "submitted"}}}
    assert created.status is RecordStatus.IN_REVIEW
    assert created.assignee == "557058:abc"
    assert created.extensions["bitbucket"] == {
        "state": "submitted",
        "kind": "task",
        "priority": "blocker",
    }


async def test_update_changes_state_then_puts_partial_fields(
    mock: respx.MockRouter, fake: BitbucketFake, connector: BitbucketConnector
) -> None:
    created = await connector.create_record(SEEDED, draft("x", assignee="557058:abc"))
    before = len(mock.calls)
    updated = await connector.update_record(
        SEEDED, created.id, patch(created, status=RecordStatus.DONE, assignee=None, body="")
    )
    calls = [c.request for c in list(mock.calls)[before:]]
    assert [c.method for c in calls] == ["GET", "POST", "PUT"]
    assert json.loads(calls[1].content) == {"changes": {"state": {"new": "resolved"}}}
    put = json.loads(calls[2].content)
    assert put["assignee"] is None
    assert put["content"] == {"raw": ""}
    assert "state" not in put
    assert (updated.status, updated.assignee) == (RecordStatus.DONE, None)


async def test_exact_states_survive_round_trips(
    mock: respx.MockRouter, fake: BitbucketFake, connector: BitbucketConnector
) -> None:
    created = await connector.create_record(
        SEEDED, draft("x", status=RecordStatus.DONE, extensions={"bitbucket": {"state": "closed"}})
    )
    assert created.extensions["bitbucket"] == {
        "state": "closed",
        "kind": "bug",
        "priority": "major",
    }
    retitled = await connector.update_record(SEEDED, created.id, patch(created, title="y"))
    assert retitled.extensions == created.extensions
    assert not any(c.request.url.path.endswith("/changes") for c in list(mock.calls)[-2:])


async def test_bad_extensions_are_refused_before_any_request(
    mock: respx.MockRouter, fake: BitbucketFake, connector: BitbucketConnector
) -> None:
    with pytest.raises(InvalidRecord):
        await connector.create_record(
            SEEDED, draft("x", extensions={"bitbucket": {"kind": "epic"}})
        )
    with pytest.raises(InvalidRecord):
        await connector.create_record(SEEDED, draft("x", assignee="not an id"))
    assert not mock.calls


async def test_delete(
    mock: respx.MockRouter, fake: BitbucketFake, connector: BitbucketConnector
) -> None:
    seed(fake, 1)
    await connector.delete_or_close(SEEDED, 1, DeleteReason.NOT_PLANNED)
    assert mock.calls.last.request.method == "DELETE"
    assert not mock.calls.last.request.content
    with pytest.raises(NotFound):
        await connector.get_record(SEEDED, 1)
