"""The Linear connector against its GraphQL wire fake: auth, per-team workflow states,
labels create-or-find, assignee, parent, priority, closing reasons, refs, rate limits.

Linear behaviour relied on, with sources: personal keys raw in ``Authorization``, OAuth
tokens as ``Bearer`` (https://linear.app/developers/graphql#authentication); states per
team with a ``type`` and ``position`` (https://linear.app/docs/configuring-workflows and
the schema's ``WorkflowState``, ``/work/shared/vendor-examples/linear-workflow-state.json``);
``issueDelete`` trashes with a 30-day grace (``linear-issue-mutations.json``); 400 with
``RATELIMITED`` and the request/complexity headers (https://linear.app/developers/rate-limiting).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from reposix import (
    Allowlist,
    ConfigError,
    Credentials,
    DeleteReason,
    MemoryAuditSink,
    MissingCredentials,
    NotFound,
    ProtocolError,
    RateLimited,
    Record,
    RecordDraft,
    RecordStatus,
    Runtime,
    Secret,
    ServerMetadata,
    Tainted,
    VirtualClock,
    sanitize,
    sanitize_for_create,
)
from reposix_contract import FakeStore, Knobs
from reposix_linear import build, mapping
from reposix_linear.connector import LinearConnector, parse_team
from reposix_linear.fake import LinearFake
from reposix_linear.wire import LnState

API = "https://api.linear.app"
KEY = "lin_api_CANARYcanary0123456789abcdefCANARY99"


@dataclass
class Wired:
    fake: LinearFake
    connector: LinearConnector
    audit: MemoryAuditSink


def wire_up(fake: LinearFake, *, oauth: bool = False, **kw: Any) -> Wired:
    audit = MemoryAuditSink()
    runtime = Runtime(
        audit=audit,
        allowlist=Allowlist.parse(API),
        clock=fake.store.clock,
        transport=httpx.MockTransport(fake.handle),
    )
    secret = Secret(next(iter(fake.credentials.values())))
    return Wired(fake, LinearConnector(secret, oauth=oauth, runtime=runtime, **kw), audit)


@pytest.fixture
async def wired() -> AsyncIterator[Wired]:
    w = wire_up(LinearFake(FakeStore(VirtualClock()), Knobs(), api_key=KEY))
    yield w
    await w.connector.aclose()


def draft(**fields: Any) -> Any:
    return sanitize_for_create(Tainted(RecordDraft(**{"title": "t", **fields})))


def patch(record: Record, **changes: Any) -> Any:
    meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
    return sanitize(Tainted(record.replace(**changes)), meta)


# -- mapping --------------------------------------------------------------------------------

ENG = [
    LnState(id="b", name="Backlog", type="backlog", position=0),
    LnState(id="t", name="Todo", type="unstarted", position=1),
    LnState(id="p", name="In Progress", type="started", position=2),
    LnState(id="r", name="In Review", type="started", position=3),
    LnState(id="d", name="Done", type="completed", position=4),
    LnState(id="c", name="Canceled", type="canceled", position=5),
    LnState(id="x", name="Duplicate", type="duplicate", position=6),
]


@pytest.mark.parametrize(
    ("kind", "name", "status"),
    [
        ("triage", "Triage", RecordStatus.OPEN),
        ("backlog", "Backlog", RecordStatus.OPEN),
        ("unstarted", "Todo", RecordStatus.OPEN),
        ("started", "In Progress", RecordStatus.IN_PROGRESS),
        ("started", "Code review", RecordStatus.IN_REVIEW),
        ("completed", "Done", RecordStatus.DONE),
        ("canceled", "Canceled", RecordStatus.WONT_FIX),
        ("duplicate", "Duplicate", RecordStatus.WONT_FIX),
        ("something-new", "Later", RecordStatus.OPEN),
    ],
)
def test_state_types_read_as_statuses(kind: str, name: str, status: RecordStatus) -> None:
    assert mapping.status_of(kind, name) is status


def test_writes_keep_a_fitting_state_else_take_the_first_by_position() -> None:
    backlog = ENG[0]
    assert mapping.choose_state(ENG, RecordStatus.OPEN, backlog) is backlog
    assert mapping.choose_state(ENG, RecordStatus.OPEN).name == "Todo"  # type: ignore[union-attr]
    assert mapping.choose_state(ENG, RecordStatus.IN_REVIEW).name == "In Review"  # type: ignore[union-attr]
    reordered = [s.model_copy(update={"position": -s.position}) for s in ENG]
    assert mapping.choose_state(reordered, RecordStatus.OPEN).name == "Todo"  # type: ignore[union-attr]
    no_review = [s for s in ENG if s.name != "In Review"]
    assert mapping.choose_state(no_review, RecordStatus.IN_REVIEW) is None


def test_close_reasons_pick_duplicate_where_the_team_has_it() -> None:
    assert mapping.close_state(ENG, DeleteReason.DUPLICATE).name == "Duplicate"  # type: ignore[union-attr]
    without = [s for s in ENG if s.type != "duplicate"]
    assert mapping.close_state(without, DeleteReason.DUPLICATE).name == "Canceled"  # type: ignore[union-attr]
    assert mapping.close_state(ENG, DeleteReason.COMPLETED).name == "Done"  # type: ignore[union-attr]
    assert mapping.close_state(ENG, DeleteReason.NOT_PLANNED).name == "Canceled"  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", ["", "eng/x", "../ENG", "ENG-1", "A" * 11])
def test_team_keys_are_validated(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_team(bad)


# -- auth ---------------------------------------------------------------------------------


async def test_api_key_goes_raw_and_oauth_as_bearer() -> None:
    fake = LinearFake(api_key=KEY)
    w = wire_up(fake)
    await w.connector.list_records("ENG")
    seen: list[str] = []

    async def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return await fake.handle(request)

    oauth_fake = LinearFake(oauth_token="oauth-token-123")
    runtime = Runtime(allowlist=Allowlist.parse(API), transport=httpx.MockTransport(spy))
    fake.credentials = oauth_fake.credentials
    conn = LinearConnector(Secret("oauth-token-123"), oauth=True, runtime=runtime)
    await conn.list_records("ENG")
    assert seen[0] == "Bearer oauth-token-123"
    raw = LinearConnector(Secret(KEY), runtime=Runtime(allowlist=Allowlist.parse(API)))
    assert "lin_api" not in repr(raw)


async def test_a_wrong_key_is_an_auth_error_naming_the_env_vars() -> None:
    from reposix import AuthError

    fake = LinearFake(api_key=KEY)
    runtime = Runtime(allowlist=Allowlist.parse(API), transport=httpx.MockTransport(fake.handle))
    conn = LinearConnector(Secret("lin_api_wrong"), runtime=runtime)
    with pytest.raises(AuthError) as caught:
        await conn.list_records("ENG")
    assert "LINEAR_API_KEY" in str(caught.value)
    assert "lin_api_wrong" not in str(caught.value)


def test_build_picks_the_credential_and_refuses_none_or_both() -> None:
    runtime = Runtime()
    with pytest.raises(MissingCredentials):
        build(API, Credentials({}), runtime)
    both = Credentials({"LINEAR_API_KEY": Secret("a"), "LINEAR_OAUTH_TOKEN": Secret("b")})
    with pytest.raises(ConfigError, match="set one"):
        build(API, both, runtime)
    assert isinstance(
        build(API, Credentials({"LINEAR_OAUTH_TOKEN": Secret("b")}), runtime), LinearConnector
    )


# -- behaviour against the fake ---------------------------------------------------------------


async def test_labels_are_found_case_insensitively_or_created(wired: Wired) -> None:
    created = await wired.connector.create_record("ENG", draft(labels=["security", "brand-new"]))
    assert created.labels == ["brand-new", "Security"]  # the workspace label's own spelling
    assert "CreateLabel" in wired.fake.requests
    assert [n for n, team in wired.fake.labels.values() if team == "ENG"] == ["brand-new"]
    again = await wired.connector.create_record("ENG", draft(labels=["brand-new"]))
    assert again.labels == ["brand-new"]
    assert wired.fake.requests.count("CreateLabel") == 1


async def test_assignee_by_email_reads_as_the_display_name(wired: Wired) -> None:
    created = await wired.connector.create_record("ENG", draft(assignee="ada@example.com"))
    assert created.assignee == "ada"
    updated = await wired.connector.update_record("ENG", created.id, patch(created, assignee=None))
    assert updated.assignee is None


async def test_parent_priority_and_refs(wired: Wired) -> None:
    parent = await wired.connector.create_record("ENG", draft(title="epic"))
    child = await wired.connector.create_record(
        "ENG", draft(title="task", parent_id=parent.id, extensions={"linear": {"priority": 2}})
    )
    assert child.parent_id == parent.id
    ext = child.extensions["linear"]
    assert isinstance(ext, dict)
    assert ext["priority"] == 2
    assert ext["identifier"] == f"ENG-{child.id}"
    by_identifier = await wired.connector.get_by_ref(f"ENG-{child.id}")
    by_uuid = await wired.connector.get_by_ref(str(ext["id"]))
    assert by_identifier.id == by_uuid.id == child.id
    with pytest.raises(ConfigError):
        await wired.connector.get_by_ref("not a ref")


async def test_delete_or_close_uses_each_teams_own_states(wired: Wired) -> None:
    eng = await wired.connector.create_record("ENG", draft())
    ops = await wired.connector.create_record("OPS", draft())
    await wired.connector.delete_or_close("ENG", eng.id, DeleteReason.DUPLICATE)
    await wired.connector.delete_or_close("OPS", ops.id, DeleteReason.DUPLICATE)
    eng_after = await wired.connector.get_record("ENG", eng.id)
    ops_after = await wired.connector.get_record("OPS", ops.id)
    assert eng_after.status is ops_after.status is RecordStatus.WONT_FIX
    assert eng_after.extensions["linear"]["state"] == "Duplicate"  # type: ignore[index,call-overload]
    assert ops_after.extensions["linear"]["state"] == "Won't do"  # type: ignore[index,call-overload]
    sent = len(wired.fake.requests)
    await wired.connector.delete_or_close("ENG", eng.id, DeleteReason.NOT_PLANNED)
    assert "UpdateIssue" not in wired.fake.requests[sent:]  # already reads as wont_fix


async def test_ops_in_progress_takes_doing_first_by_position(wired: Wired) -> None:
    created = await wired.connector.create_record("OPS", draft(status=RecordStatus.IN_PROGRESS))
    assert created.extensions["linear"]["state"] == "Doing"  # type: ignore[index,call-overload]
    review = await wired.connector.update_record(
        "OPS", created.id, patch(created, status=RecordStatus.IN_REVIEW)
    )
    assert review.status is RecordStatus.IN_REVIEW


async def test_archived_issues_are_listed_only_when_asked(wired: Wired) -> None:
    kept = await wired.connector.create_record("ENG", draft(title="kept"))
    gone = await wired.connector.create_record("ENG", draft(title="archived"))
    await wired.connector.archive("ENG", gone.id)
    assert [r.id for r in await wired.connector.list_records("ENG")] == [kept.id]
    assert (await wired.connector.get_record("ENG", gone.id)).id == gone.id
    wired.connector.include_archived = True
    assert {r.id for r in await wired.connector.list_records("ENG")} == {kept.id, gone.id}
    await wired.connector.trash("ENG", kept.id)
    with pytest.raises(NotFound):
        await wired.connector.get_record("ENG", kept.id)


async def test_unknown_team_is_not_found(wired: Wired) -> None:
    with pytest.raises(NotFound, match="team NOPE"):
        await wired.connector.list_records("NOPE")


async def test_the_audit_op_is_the_operation_name(wired: Wired) -> None:
    await wired.connector.create_record("ENG", draft())
    assert [e.op for e in wired.audit.events] == ["TeamByKey", "CreateIssue"]


# -- the fake -------------------------------------------------------------------------------


async def test_a_malformed_query_fails_loudly(wired: Wired) -> None:
    from reposix import graphql_call
    from reposix_linear.wire import TEAMS

    with pytest.raises(ProtocolError, match="Cannot query field"):
        await graphql_call(
            wired.connector._http, "graphql", "query Q { teamz { nodes { id } } }", TEAMS
        )
    with pytest.raises(ProtocolError, match="Syntax Error"):
        await graphql_call(
            wired.connector._http, "graphql", "query Q { teams { nodes { id }", TEAMS
        )


async def test_fake_refuses_with_400_ratelimited_and_a_mutation_is_not_resent() -> None:
    fake = LinearFake(FakeStore(VirtualClock()), Knobs(), api_key=KEY, requests_limit=2)
    w = wire_up(fake)
    await w.connector.list_records("ENG")  # TeamByKey + ListIssues: the budget is spent
    created_before = fake.store.mutations
    with pytest.raises(RateLimited):
        await w.connector.create_record("ENG", draft())
    assert fake.store.mutations == created_before
    refused = [e for e in w.audit.events if e.outcome == "rate_limited"]
    assert refused
    assert all(e.op == "CreateIssue" for e in refused[-1:])
    assert w.audit.events[-1].op == "CreateIssue"
    assert sum(1 for e in w.audit.events if e.op == "CreateIssue") == 1


async def test_every_response_carries_both_rate_limit_windows(wired: Wired) -> None:
    seen: list[httpx.Headers] = []

    async def spy(request: httpx.Request) -> httpx.Response:
        response = await wired.fake.handle(request)
        seen.append(response.headers)
        return response

    runtime = Runtime(allowlist=Allowlist.parse(API), transport=httpx.MockTransport(spy))
    conn = LinearConnector(Secret(KEY), runtime=runtime)
    await conn.list_records("ENG")
    for name in ("requests", "complexity"):
        for part in ("limit", "remaining", "reset"):
            assert f"x-ratelimit-{name}-{part}" in seen[-1]
    assert int(seen[-1]["x-ratelimit-requests-reset"]) > 10**12  # epoch milliseconds
