"""The connector against its wire fake: round trips, listings with PRs, knobs, decoys."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
import respx

from reposix._backend import DeleteReason
from reposix._errors import AuthError, EgressDenied, NotFound, ProtocolError
from reposix._records import Record, RecordDraft, RecordStatus
from reposix._taint import ServerMetadata, Tainted, Untainted, sanitize, sanitize_for_create
from reposix_contract._fakes import DECOY_ORIGIN
from reposix_github.connector import GitHubConnector
from reposix_github.fake import GitHubFake

Build = Callable[..., GitHubConnector]
SEEDED = "octo-org/hello-world"


def draft(title: str, **fields: object) -> Untainted[RecordDraft]:
    return sanitize_for_create(Tainted(RecordDraft(title=title, **fields)))


def patch(record: Record, **changes: object) -> Untainted[Record]:
    meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
    return sanitize(Tainted(record.replace(**changes)), meta)


def seed(fake: GitHubFake, count: int) -> list[Record]:
    statuses = list(RecordStatus)
    return fake.store.seed(
        SEEDED,
        [
            RecordDraft(
                title=f"seeded {i}",
                body="" if i % 3 == 0 else f"body {i}",
                labels=["kit"] if i % 2 else [],
                assignee="hubot" if i % 2 else None,
                status=statuses[i % len(statuses)],
            )
            for i in range(count)
        ],
    )


def user_view(record: Record) -> tuple[object, ...]:
    return (record.title, record.body, sorted(record.labels), record.assignee, record.status)


async def test_listing_matches_the_store_with_prs_interleaved(
    fake: GitHubFake, connector: GitHubConnector
) -> None:
    seeded = seed(fake, 7)
    listing = await connector.list_records_complete(SEEDED)
    assert listing.is_complete
    assert [r.id for r in listing.records] == [r.id for r in seeded]
    for got, want in zip(listing.records, seeded, strict=True):
        assert user_view(got) == user_view(want)
        assert (got.created_at, got.updated_at) == (want.created_at, want.updated_at)
        assert got == await connector.get_record(SEEDED, got.id)


async def test_empty_and_unknown_projects(fake: GitHubFake, connector: GitHubConnector) -> None:
    assert await connector.list_records(fake.projects.empty) == []
    with pytest.raises(NotFound):
        await connector.list_records(fake.projects.unknown)


async def test_pull_request_number_via_the_fake(
    fake: GitHubFake, connector: GitHubConnector
) -> None:
    seed(fake, 3)
    with pytest.raises(NotFound, match="pull request"):
        await connector.get_record(SEEDED, 900_001)


@pytest.mark.parametrize("page_size", [1, 2, 3, 100])
async def test_small_pages_and_caps(fake: GitHubFake, build: Build, page_size: int) -> None:
    seeded = seed(fake, 5)
    listing = await build(page_size=page_size).list_records_complete(SEEDED)
    assert [r.id for r in listing.records] == [r.id for r in seeded]
    assert listing.is_complete
    capped = await build(page_size=page_size, max_records=3).list_records_complete(SEEDED)
    assert [r.id for r in capped.records] == [r.id for r in seeded[:3]]
    assert not capped.is_complete


@pytest.mark.parametrize("knob", ["short_page", "empty_middle_page", "next_on_last_page"])
async def test_documented_misbehaviours_lose_nothing(
    fake: GitHubFake, build: Build, knob: str
) -> None:
    seeded = seed(fake, 6)
    setattr(fake.knobs, knob, True)
    listing = await build(page_size=2).list_records_complete(SEEDED)
    assert [r.id for r in listing.records] == [r.id for r in seeded]


@pytest.mark.parametrize("cycle", ["self", "ab"])
async def test_repeating_next_link_is_a_protocol_error(
    fake: GitHubFake, build: Build, cycle: str
) -> None:
    seed(fake, 6)
    fake.knobs.cycle = cycle  # type: ignore[assignment]
    with pytest.raises(ProtocolError, match="pagination"):
        await build(page_size=2).list_records(SEEDED)


async def test_foreign_next_link_is_refused(
    fake: GitHubFake, build: Build, mock: respx.MockRouter
) -> None:
    seed(fake, 4)
    fake.knobs.foreign_next = True
    with pytest.raises(EgressDenied):
        await build(page_size=2).list_records(SEEDED)
    assert all(c.request.url.host == "api.github.com" for c in mock.calls)


async def test_decoy_url_fields_are_never_requested(
    fake: GitHubFake, build: Build, mock: respx.MockRouter
) -> None:
    seed(fake, 4)
    assert fake.knobs.decoys
    conn = build(page_size=2)
    for record in await conn.list_records(SEEDED):
        await conn.get_record(SEEDED, record.id)
        assert not any("decoy" in str(v) for v in record.extensions.values())
    decoy_host = DECOY_ORIGIN.split("//")[1]
    assert mock.calls
    assert all(c.request.url.host != decoy_host for c in mock.calls)


async def test_changed_since_is_strict_across_pages(
    fake: GitHubFake, build: Build, mock: respx.MockRouter
) -> None:
    seeded = seed(fake, 6)
    conn = build(page_size=2)
    pivot = seeded[2].updated_at
    assert await conn.list_changed_since(SEEDED, pivot) == [r.id for r in seeded[3:]]
    assert await conn.list_changed_since(SEEDED, pivot - timedelta(milliseconds=1)) == [
        r.id for r in seeded[2:]
    ]
    assert await conn.list_changed_since(SEEDED, seeded[-1].updated_at) == []
    assert "since" in mock.calls.last.request.url.params


async def test_wrong_token_gets_githubs_401(fake: GitHubFake, build: Build) -> None:
    (record,) = seed(fake, 1)
    wrong = build(token="ghp_wrong")
    with pytest.raises(AuthError, match="Bad credentials") as info:
        await wrong.get_record(SEEDED, record.id)
    assert "GITHUB_TOKEN" in str(info.value)
    with pytest.raises(AuthError, match="GITHUB_TOKEN"):
        await wrong.list_records(SEEDED)


ROUND_TRIP = [
    (RecordStatus.OPEN, RecordStatus.IN_PROGRESS),
    (RecordStatus.IN_PROGRESS, RecordStatus.IN_REVIEW),
    (RecordStatus.IN_REVIEW, RecordStatus.DONE),
    (RecordStatus.DONE, RecordStatus.WONT_FIX),
    (RecordStatus.WONT_FIX, RecordStatus.DONE),
    (RecordStatus.WONT_FIX, RecordStatus.OPEN),
    (RecordStatus.OPEN, RecordStatus.WONT_FIX),
]


@pytest.mark.parametrize(("first", "second"), ROUND_TRIP)
async def test_create_update_round_trip(
    fake: GitHubFake, connector: GitHubConnector, first: RecordStatus, second: RecordStatus
) -> None:
    created = await connector.create_record(
        SEEDED,
        draft("Ünïcode 🐛 title", body="line\n---\n\n- item", labels=["b", "a"], status=first),
    )
    assert created.status is first
    assert created.body.startswith("line")
    stored = fake.store.get(SEEDED, created.id)
    assert stored is not None
    assert user_view(stored) == user_view(created)
    assert await connector.get_record(SEEDED, created.id) == created

    updated = await connector.update_record(
        SEEDED,
        created.id,
        patch(created, title="t2", body="", labels=["c"], assignee="octocat", status=second),
        expected_version=created.version,
    )
    assert user_view(updated) == ("t2", "", ["c"], "octocat", second)
    assert updated.version > created.version
    assert await connector.get_record(SEEDED, created.id) == updated
    stored = fake.store.get(SEEDED, created.id)
    assert stored is not None
    assert user_view(stored) == user_view(updated)


async def test_stale_expected_version_is_ignored_as_declared(
    fake: GitHubFake, connector: GitHubConnector
) -> None:
    (record,) = seed(fake, 1)
    result = await connector.update_record(
        SEEDED, record.id, patch(record, title="new"), expected_version=record.version - 5
    )
    assert result.title == "new"


async def test_update_keeps_co_assignees_and_other_status_labels(
    fake: GitHubFake, connector: GitHubConnector
) -> None:
    (record,) = seed(fake, 1)
    extra = fake.extra(SEEDED, record.id)
    fake.store.update(SEEDED, record.id, {"assignee": "octocat"})
    extra.co_assignees = ["hubot"]
    extra.other_status_labels = ["status/blocked"]
    current = await connector.get_record(SEEDED, record.id)
    assert current.labels == []
    assert current.assignee == "octocat"
    await connector.update_record(
        SEEDED, record.id, patch(current, title="edited", status=RecordStatus.IN_PROGRESS)
    )
    assert extra.co_assignees == ["hubot"]
    assert extra.other_status_labels == ["status/blocked"]
    stored = fake.store.get(SEEDED, record.id)
    assert stored is not None
    assert stored.status is RecordStatus.IN_PROGRESS


@pytest.mark.parametrize("reason", list(DeleteReason))
@pytest.mark.parametrize(
    "start", [RecordStatus.IN_REVIEW, RecordStatus.DONE, RecordStatus.WONT_FIX]
)
async def test_delete_or_close(
    fake: GitHubFake, connector: GitHubConnector, reason: DeleteReason, start: RecordStatus
) -> None:
    (record,) = fake.store.seed(SEEDED, [RecordDraft(title="x", status=start, labels=["keep"])])
    await connector.delete_or_close(SEEDED, record.id, reason)
    closed = await connector.get_record(SEEDED, record.id)
    assert closed.status is reason.closed_status
    assert closed.labels == ["keep"]


async def test_writes_to_missing_ids_are_not_found(
    fake: GitHubFake, connector: GitHubConnector
) -> None:
    (record,) = seed(fake, 1)
    with pytest.raises(NotFound):
        await connector.update_record(SEEDED, 987_654_321, patch(record, title="x"))
    with pytest.raises(NotFound):
        await connector.delete_or_close(SEEDED, 987_654_321, DeleteReason.COMPLETED)
    with pytest.raises(NotFound):
        await connector.update_record(SEEDED, 900_001, patch(record, title="x"))


async def test_bodies_never_carry_server_fields(
    fake: GitHubFake, connector: GitHubConnector, mock: respx.MockRouter
) -> None:
    (record,) = seed(fake, 1)
    created = await connector.create_record(SEEDED, draft("new", status=RecordStatus.DONE))
    await connector.update_record(SEEDED, record.id, patch(record, status=RecordStatus.WONT_FIX))
    await connector.delete_or_close(SEEDED, created.id, DeleteReason.NOT_PLANNED)
    writes = [c.request for c in mock.calls if c.request.method in ("POST", "PATCH")]
    assert writes
    for request in writes:
        body = request.content.decode()
        for field in ('"id"', '"number"', '"created_at"', '"updated_at"', '"version"'):
            assert field not in body, (request.method, body)


async def test_state_reason_alone_is_ignored_by_github(fake: GitHubFake) -> None:
    """Why the connector reopens before changing the reason of a closed issue."""
    (record,) = fake.store.seed(SEEDED, [RecordDraft(title="x", status=RecordStatus.DONE)])
    response = await patch_on_github(
        fake, record.id, {"state": "closed", "state_reason": "not_planned"}
    )
    assert response.json()["state_reason"] == "completed"


async def patch_on_github(fake: GitHubFake, number: int, body: dict[str, str]) -> httpx.Response:
    """A PATCH of an issue sent straight to the fake, as GitHub's web UI or another client would."""
    token = fake.credentials["GITHUB_TOKEN"]
    return await fake.handle(
        httpx.Request(
            "PATCH",
            f"https://api.github.com/repos/{SEEDED}/issues/{number}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
    )


def stored(fake: GitHubFake, number: int) -> Record:
    record = fake.store.get(SEEDED, number)
    assert record is not None
    return record


async def test_closing_as_duplicate_round_trips_exactly(
    fake: GitHubFake, connector: GitHubConnector, mock: respx.MockRouter
) -> None:
    """``DeleteReason.DUPLICATE`` closes as GitHub's ``duplicate`` and stays so.

    Source: GitHub's ``state_reason`` values (completed, not_planned, duplicate, reopened),
    https://docs.github.com/en/rest/issues/issues#update-an-issue. Before the fix a
    duplicate read as ``done`` and a second close reopened it and closed it ``not_planned``.
    """
    (record,) = fake.store.seed(SEEDED, [RecordDraft(title="dup", status=RecordStatus.OPEN)])
    await connector.delete_or_close(SEEDED, record.id, DeleteReason.DUPLICATE)
    assert fake.wire_state(SEEDED, stored(fake, record.id))[1] == "duplicate"
    read = await connector.get_record(SEEDED, record.id)
    assert read.status is RecordStatus.WONT_FIX
    before = len(mock.calls)
    # closing again as duplicate, or as another wont_fix reason, changes nothing
    await connector.delete_or_close(SEEDED, record.id, DeleteReason.DUPLICATE)
    await connector.delete_or_close(SEEDED, record.id, DeleteReason.NOT_PLANNED)
    assert [c.request.method for c in list(mock.calls)[before:]] == ["GET", "GET"]
    before = len(mock.calls)
    # an edit of the duplicate's title keeps it closed as duplicate (no reopen)
    await connector.update_record(SEEDED, record.id, patch(read, title="dup, renamed"))
    calls = list(mock.calls)[before:]
    patches = [json.loads(c.request.content) for c in calls if c.request.method == "PATCH"]
    assert len(patches) == 1
    assert "state" not in patches[0]
    state, reason, _ = fake.wire_state(SEEDED, stored(fake, record.id))
    assert (state, reason) == ("closed", "duplicate")


async def test_a_duplicate_closed_on_github_reads_as_wont_fix_and_can_be_completed(
    fake: GitHubFake, connector: GitHubConnector
) -> None:
    """Closed as duplicate in GitHub's UI; marking it done reopens and closes ``completed``."""
    (record,) = fake.store.seed(SEEDED, [RecordDraft(title="d", status=RecordStatus.OPEN)])
    await patch_on_github(fake, record.id, {"state": "closed", "state_reason": "duplicate"})
    read = await connector.get_record(SEEDED, record.id)
    assert read.status is RecordStatus.WONT_FIX
    done = await connector.update_record(SEEDED, record.id, patch(read, status=RecordStatus.DONE))
    assert done.status is RecordStatus.DONE
    assert fake.wire_state(SEEDED, stored(fake, record.id))[1] == "completed"


async def test_the_fake_refuses_undocumented_state_reasons(fake: GitHubFake) -> None:
    """GitHub answers 422 for a state_reason outside its documented values."""
    (record,) = fake.store.seed(SEEDED, [RecordDraft(title="x")])
    response = await patch_on_github(
        fake, record.id, {"state": "closed", "state_reason": "resolved"}
    )
    assert response.status_code == 422


async def test_pages_count_pull_requests_like_github(
    fake: GitHubFake, build: Build, mock: respx.MockRouter
) -> None:
    """per_page counts PRs too: 3 issues + 2 PRs at 2 per page is 3 requests."""
    seed(fake, 3)
    assert fake.non_record_items(SEEDED) == 2
    assert len(await build(page_size=2).list_records(SEEDED)) == 3
    assert len(mock.calls) == 3
    assert len(fake.knobs.served) == 3
