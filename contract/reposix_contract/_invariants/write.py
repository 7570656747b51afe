"""Write invariants W01–W12: creates, updates and deletes never lose, duplicate or forge data.

Shared helpers live in `reposix_contract._invariants._support`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import strategies as st

from reposix._backend import DeleteModel, DeleteReason, VersioningModel
from reposix._errors import InvalidRecord, NotFound, ReposixError, VersionMismatch
from reposix._records import SERVER_FIELDS, Record, RecordDraft, RecordStatus
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create
from reposix_contract._harness import Harness, demo_drafts, is_write
from reposix_contract._invariants._support import (
    METHOD_OF,
    MISSING_ID,
    _declared_for,
    carried_view,
    check_not_supported,
    describe,
    expect_error,
    expected_view,
    field_diff,
    first_line,
    fit_labels,
    json_body,
    new_draft,
    outcome_of,
    patch_of,
    record_diff,
    requests_since,
    seeded_project,
    supported,
    uncarried,
    user_fields,
    walk,
)
from reposix_contract._props import for_all
from reposix_contract._registry import declared, invariant

# -- W01 -----------------------------------------------------------------------------------


@invariant(
    "W01",
    "create_record returns the server's view (new id, server timestamps, version); "
    "get_record and list_records then show it",
    requires=["create"],
)
async def w01_create_returns_server_view(h: Harness) -> None:
    """A create that returns the caller's draft, a made-up id or local timestamps hands the
    caller a record the server does not have: the next sync duplicates or loses it."""
    project, existing = seeded_project(h, 2)
    before = {r.id for r in h.state.list(project)}
    mutations = h.state.mutations
    draft = RecordDraft(
        title="W01 created by the kit",
        body="first line\n\n- item\n",
        labels=["kit", "w01"],
        assignee="agent-alpha",
        status=RecordStatus.OPEN,
    )
    created = await h.connector.create_record(project, sanitize_for_create(Tainted(draft)))
    assert created.id not in before, (
        f"create_record returned id {created.id}, which already belonged to another record; "
        "return the id the server assigned, parsed from the create response"
    )
    assert h.state.mutations == mutations + 1, (
        f"one create_record call changed the server {h.state.mutations - mutations} times "
        "(expected exactly one create)"
    )
    server = h.state.get(project, created.id)
    assert server is not None, (
        f"create_record returned id {created.id} but the server has no such record in "
        f"{project!r}; parse the id from the server's response"
    )
    diff = field_diff(expected_view(h, draft), carried_view(h, created))
    assert not diff, f"create_record's result lost or changed what was sent: {diff}"
    diff = field_diff(expected_view(h, draft), carried_view(h, server))
    assert not diff, f"the server stored something other than the draft: {diff}"
    assert (created.created_at, created.updated_at) == (server.created_at, server.updated_at), (
        f"create_record returned timestamps {created.created_at} / {created.updated_at}, the "
        f"server has {server.created_at} / {server.updated_at}; return the server's timestamps "
        "from the create response, never the local clock"
    )
    if h.connector.capabilities.versioning is VersioningModel.STRONG:
        assert created.version == server.version, (
            f"create_record returned version {created.version}, the server has "
            f"{server.version}; return the server's version"
        )
    fetched = await h.connector.get_record(project, created.id)
    diff = record_diff(created, fetched)
    assert not diff, f"get_record after create_record differs from what create returned: {diff}"
    listed = [r for r in await h.connector.list_records(project) if r.id == created.id]
    assert len(listed) == 1, (
        f"list_records after create_record shows record {created.id} {len(listed)} times "
        "(expected exactly once)"
    )
    diff = record_diff(created, listed[0])
    assert not diff, f"list_records after create_record differs from create's result: {diff}"
    assert existing, "seeding failed"


declared("W01")(_declared_for("create"))


# -- W02 -----------------------------------------------------------------------------------

_SENTINEL_META = ServerMetadata(
    id=MISSING_ID - 1,
    created_at=datetime(1999, 12, 31, 23, 59, 58, tzinfo=UTC),
    updated_at=datetime(2000, 1, 2, 3, 4, 5, tzinfo=UTC),
    version=424_242,
)
_SENTINEL_TEXT = (
    "987654320",
    "424242",
    "424243",
    "1999-12-31",
    "2000-01-02",
    "946782245",
    "946684798",
)
"""The sentinel server values as they could appear on the wire (424243: a derived n+1)."""


def _server_field_leaks(request: httpx.Request, *, update: bool) -> list[str]:
    """Where ``request`` carries server-controlled data it got from the caller."""
    found: list[str] = []
    body = json_body(request) if request.method in ("POST", "PUT", "PATCH") else None
    if body is not None:
        if isinstance(body, dict) and not update:
            found += [f"$.{k}" for k in body if k in SERVER_FIELDS]
        for path, key, value in walk(body):
            if key in ("created_at", "updated_at") and path.count(".") == 1:
                found.append(path)
            if isinstance(value, bool):
                continue
            if isinstance(value, int) and str(value) in _SENTINEL_TEXT:
                found.append(f"{path} = {value}")
            if isinstance(value, str) and any(s in value for s in _SENTINEL_TEXT):
                found.append(f"{path} = {value!r}")
    elif request.content:
        raw = request.content.decode("utf-8", "replace")
        found += [f"body contains {s!r}" for s in _SENTINEL_TEXT if s in raw]
    found += [f"url contains {s!r}" for s in _SENTINEL_TEXT if s in str(request.url)]
    for name, value in request.headers.items():
        found += [f"header {name}: {value}" for s in _SENTINEL_TEXT if s in value]
    return sorted(set(found))


@invariant(
    "W02",
    "no id, created_at, updated_at or version taken from the caller goes over the wire "
    "in a create or update",
    requires=["update"],
)
async def w02_no_server_fields_on_wire(h: Harness) -> None:
    """Servers trust what they are sent: a connector that echoes the caller's version or
    timestamps lets a stale or forged value overwrite the server's own."""
    project, (record,) = seeded_project(h, 1)
    leaks: list[str] = []
    if supported(h.connector, "create"):
        start = len(h.requests)
        bogus = Record(
            id=_SENTINEL_META.id,
            title="W02 create",
            status=RecordStatus.OPEN,
            created_at=_SENTINEL_META.created_at,
            updated_at=_SENTINEL_META.updated_at,
            version=_SENTINEL_META.version,
            body="body",
        )
        result = await outcome_of(
            h.connector.create_record(project, sanitize_for_create(Tainted(bogus)))
        )
        for request in requests_since(h, start):
            leaks += [
                f"create {request.method} {request.url.path}: {leak}"
                for leak in _server_field_leaks(request, update=False)
            ]
        if isinstance(result, BaseException):
            raise AssertionError(f"create_record failed: {first_line(result)}") from result
    current = await h.connector.get_record(project, record.id)
    forged = current.replace(
        title="W02 update",
        id=_SENTINEL_META.id,
        created_at=_SENTINEL_META.created_at,
        updated_at=_SENTINEL_META.updated_at,
        version=_SENTINEL_META.version,
    )
    patch = sanitize(Tainted(forged), _SENTINEL_META)
    start = len(h.requests)
    result = await outcome_of(h.connector.update_record(project, record.id, patch))
    for request in requests_since(h, start):
        leaks += [
            f"update {request.method} {request.url.path}: {leak}"
            for leak in _server_field_leaks(request, update=True)
        ]
    assert not leaks, (
        "server-controlled values from the caller went over the wire: "
        + "; ".join(leaks)
        + ". Build request bodies from the user fields only (title, body, labels, assignee, "
        "status, parent); take the id from the record_id argument and the version from "
        "expected_version, never from patch.id/patch.version/patch timestamps"
    )
    if isinstance(result, BaseException):
        raise AssertionError(
            f"update_record of a sanitized patch failed: {first_line(result)}"
        ) from result
    stored = h.state.get(project, record.id)
    assert stored is not None and stored.title == "W02 update", (
        "update_record did not apply the title change to the server"
    )


declared("W02")(_declared_for("update"))


# -- W03 -----------------------------------------------------------------------------------


@invariant(
    "W03",
    "create -> get -> update -> get preserves title, body, labels, assignee and status "
    "exactly, for generated values (unicode, emoji, newlines, markdown, empty and long "
    "bodies, --- lines)",
    requires=["create", "update"],
)
async def w03_round_trip(h: Harness) -> None:
    """Every byte a user writes must come back: a connector that trims, re-encodes or drops
    a field corrupts records silently, and the next sync writes the corruption back."""
    fields = user_fields(h.connector)
    examples = [(fit_labels(h.connector, a), fit_labels(h.connector, b)) for a, b in _W03_EXAMPLES]
    await for_all(h, st.tuples(fields, fields), _round_trip, examples=examples, max_examples=12)


_W03_EXAMPLES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {
            "title": "  padded title, kept as written  ",
            "body": "windows line\r\nendings\r\n",
            "labels": ["Kind:Bug", "🚀-launch", "p1.high"],
            "assignee": "bob-2",
            "status": RecordStatus.DONE,
        },
        {
            "title": "x" * 200,
            "body": "emoji 👩🏽‍💻 and العربية and \u00a0non-breaking space",
            "labels": ["ÁREA", "日本語"],
            "assignee": "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
            "status": RecordStatus.OPEN,
        },
    ),
    (
        {
            "title": "Ünïcödé títle 🚀 — 日本語",
            "body": "",
            "labels": [],
            "assignee": None,
            "status": RecordStatus.OPEN,
        },
        {
            "title": "renamed",
            "body": "---\ntitle: not frontmatter\n---\n\n# Heading\n\n- [ ] item\n\n",
            "labels": ["bug", "área"],
            "assignee": "agent-alpha",
            "status": RecordStatus.WONT_FIX,
        },
    ),
    (
        {
            "title": "long body",
            "body": "line ✓ with trailing spaces   \n" * 400,
            "labels": ["kit", "Needs-Triage"],
            "assignee": "agent-beta",
            "status": RecordStatus.IN_REVIEW,
        },
        {
            "title": "second title",
            "body": "\n\tindented\n  two-space line\n",
            "labels": [],
            "assignee": None,
            "status": RecordStatus.IN_PROGRESS,
        },
    ),
]


async def _round_trip(h: Harness, values: tuple[dict[str, Any], dict[str, Any]]) -> None:
    first, second = (RecordDraft(**v) for v in values)
    shown = f"\n  create: {first!r}\n  update: {second!r}"
    project, _ = seeded_project(h, 0)
    try:
        created = await h.connector.create_record(project, sanitize_for_create(Tainted(first)))
        got = await h.connector.get_record(project, created.id)
        diff = field_diff(expected_view(h, first), carried_view(h, got))
        assert not diff, (
            f"create -> get changed the record: {diff}{shown}\n  send every user field "
            "exactly as given (no trimming, normalizing, re-encoding or dropping)"
        )
        updated = await h.connector.update_record(
            project, created.id, patch_of(got, **second.model_dump(exclude={"extensions"}))
        )
        again = await h.connector.get_record(project, created.id)
    except ReposixError as exc:
        raise AssertionError(
            f"round trip raised {type(exc).__name__}: {first_line(exc)}{shown}"
        ) from exc
    diff = field_diff(expected_view(h, second), carried_view(h, again))
    assert not diff, (
        f"update -> get changed the record: {diff}{shown}\n  send every user field exactly "
        "as given (no trimming, normalizing, re-encoding or dropping)"
    )
    diff = record_diff(again, updated)
    assert not diff, (
        f"update_record's result differs from the following get_record: {diff}; "
        "return the server's view from the update response"
    )


declared("W03")(_declared_for("create", "update"))


# -- W04 -----------------------------------------------------------------------------------


@invariant(
    "W04",
    "update_record with the current expected_version succeeds and bumps the version; a "
    "stale one raises VersionMismatch and leaves the record unchanged (STRONG versioning)",
    requires=["update", "strong_versioning"],
)
async def w04_optimistic_concurrency(h: Harness) -> None:
    """Two editors of one record must not overwrite each other blindly: a stale write has to
    be refused so the second editor re-reads and merges instead of destroying the first edit."""
    project, (record,) = seeded_project(h, 1)
    current = await h.connector.get_record(project, record.id)
    updated = await h.connector.update_record(
        project, record.id, patch_of(current, title=current.title + " (W04)"), current.version
    )
    assert updated.version > current.version, (
        f"update_record with the current version {current.version} returned version "
        f"{updated.version}; return the server's new (bumped) version"
    )
    fetched = await h.connector.get_record(project, record.id)
    assert fetched.version == updated.version and fetched.title == current.title + " (W04)", (
        f"after the update get_record shows version {fetched.version} / title "
        f"{fetched.title!r}; expected version {updated.version} and the new title"
    )
    mutations, start = h.state.mutations, len(h.requests)
    await expect_error(
        VersionMismatch,
        h.connector.update_record(
            project, record.id, patch_of(fetched, title="W04 stale write"), current.version
        ),
        f"update_record with stale expected_version {current.version} (record is at "
        f"{fetched.version})",
        "send the expected version to the server (If-Match or the backend's version field) "
        "and map its conflict answer (409/412) to VersionMismatch",
    )
    after = await h.connector.get_record(project, record.id)
    diff = record_diff(fetched, after)
    assert not diff and h.state.mutations == mutations, (
        f"a refused stale update changed the record ({diff or 'server mutation counted'}); "
        f"requests: {describe(requests_since(h, start))}"
    )


@declared("W04")
async def w04_declared(h: Harness) -> None:
    """Without STRONG versioning, expected_version is accepted and ignored."""
    if not supported(h.connector, "update"):
        await check_not_supported(h, "update_record")
        return
    project, (record,) = seeded_project(h, 1)
    current = await h.connector.get_record(project, record.id)
    stale = current.version - 1 if current.version > 0 else current.version + 1
    result = await outcome_of(
        h.connector.update_record(
            project, record.id, patch_of(current, title="W04 unversioned"), stale
        )
    )
    if isinstance(result, VersionMismatch):
        raise AssertionError(
            "update_record refused a stale expected_version but the connector does not "
            "declare Capabilities(versioning=VersioningModel.STRONG); declare it or ignore "
            "the argument"
        )
    if isinstance(result, BaseException):
        raise AssertionError(
            f"update_record with an expected_version failed: {first_line(result)}"
        ) from result
    stored = h.state.get(project, record.id)
    assert stored is not None and stored.title == "W04 unversioned", (
        "update_record with an (ignored) expected_version did not apply the change"
    )


# -- W05 -----------------------------------------------------------------------------------


@invariant(
    "W05",
    "update or delete of a missing id raises NotFound",
    requires=["update"],
)
async def w05_missing_id(h: Harness) -> None:
    """A write to a record that is gone must say so precisely: NotFound lets the caller drop
    the local copy; a 500-style error or a silent success leaves it retrying forever."""
    project, (record,) = seeded_project(h, 1)
    ghost = record.replace(id=MISSING_ID)
    mutations = h.state.mutations
    await expect_error(
        NotFound,
        h.connector.update_record(project, MISSING_ID, patch_of(ghost, title="W05 ghost")),
        f"update_record of missing id {MISSING_ID}",
        "map the server's 404 (or equivalent) for a write to NotFound",
    )
    if supported(h.connector, "delete_or_close"):
        await expect_error(
            NotFound,
            h.connector.delete_or_close(project, MISSING_ID, DeleteReason.COMPLETED),
            f"delete_or_close of missing id {MISSING_ID}",
            "map the server's 404 (or equivalent) for a delete or close to NotFound",
        )
    assert h.state.mutations == mutations, "a write to a missing id changed the server"


declared("W05")(_declared_for("update"))


# -- W14 -----------------------------------------------------------------------------------


@invariant(
    "W14",
    "parent_id round-trips through create -> get -> update -> get whether or not hierarchy "
    "is declared, unless the connector declares it uncarried",
    requires=["create", "update"],
)
async def w14_parent_carried_or_declared(h: Harness) -> None:
    """A field the connector maps must come back, optional feature or not: a connector that
    reads parents but drops them on create (or on update) flattens a tree one sync at a
    time, silently. If the backend cannot store a parent, say so in ``uncarried_fields``."""
    if "parent_id" in uncarried(h):
        return
    project, (first, second) = seeded_project(h, 2)
    problems: list[str] = []
    child = await outcome_of(
        h.connector.create_record(project, new_draft("W14 child", parent_id=first.id))
    )
    if isinstance(child, Exception):
        raise AssertionError(
            f"create_record with parent_id={first.id} raised {type(child).__name__} "
            f"({first_line(child)}); carry the parent, or declare 'parent_id' in "
            "uncarried_fields"
        )
    got = await h.connector.get_record(project, child.id)
    for what, rec, want in (("create", child, first.id), ("get after create", got, first.id)):
        if rec.parent_id != want:
            problems.append(f"{what}: parent_id {rec.parent_id}, expected {want}")
    for parent in (second.id, None):
        current = await h.connector.get_record(project, child.id)
        updated = await h.connector.update_record(
            project, child.id, patch_of(current, parent_id=parent)
        )
        again = await h.connector.get_record(project, child.id)
        for what, rec in ((f"update to {parent}", updated), (f"get after {parent}", again)):
            if rec.parent_id != parent:
                problems.append(f"{what}: parent_id {rec.parent_id}, expected {parent}")
    assert not problems, (
        "parent_id did not round-trip: "
        + "; ".join(problems)
        + ". A connector that maps parents must send them on create and update; one whose "
        "backend cannot store them declares uncarried_fields = {'parent_id', ...}"
    )


declared("W14")(_declared_for("create", "update"))


# -- W15, W16 ------------------------------------------------------------------------------

REFUSABLE_LABELS = (
    "kind:test",
    "two words",
    "semi;colon",
    "slash/label",
    "🚀launch",
    "UPPER",
    "ümlaut",
    "x" * 300,
)
"""Label names some backends refuse; W15 tries those the connector's ``label_pattern``
declares refused."""

REFUSABLE_ASSIGNEES = (
    "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
    "two words",
    "-leading-dash",
    "semi;colon",
    "ada@example.com",
    "ümlaut",
    "x" * 300,
)
"""Assignee handles some backends cannot resolve (an Atlassian account id is no GitLab
username); W16 tries those the connector's ``assignee_pattern`` declares refused."""


async def _declared_pattern_holds(
    h: Harness, inv: str, what: str, refused: list[str], write: Callable[[str], dict[str, Any]]
) -> None:
    """Writes carrying each ``refused`` ``what`` (``write`` gives the record fields for one)
    must raise InvalidRecord and change nothing: the ``<what>_pattern`` is a promise."""
    if not refused:
        return
    project, (record,) = seeded_project(h, 1)
    before = h.state.get(project, record.id)
    mutations = h.state.mutations
    for name in refused:
        shown = f"{what} {name[:40]!r}"
        fix = (
            f"refuse {shown} with reposix.InvalidRecord before any request (it is outside "
            f"{what}_pattern), or widen {what}_pattern to what the backend stores"
        )
        await expect_error(
            InvalidRecord,
            h.connector.create_record(project, new_draft(inv, **write(name))),
            f"create_record with {shown}",
            fix,
        )
        await expect_error(
            InvalidRecord,
            h.connector.update_record(project, record.id, patch_of(record, **write(name))),
            f"update_record with {shown}",
            fix,
        )
    assert h.state.mutations == mutations, f"a write with a refused {what} changed the server"
    assert h.state.get(project, record.id) == before, f"a refused {what} changed the record"


@invariant(
    "W15",
    "a label outside the connector's declared label_pattern is refused by create_record and "
    "update_record with InvalidRecord before anything changes (the declaration holds)",
    requires=["create", "update"],
)
async def w15_label_pattern_holds(h: Harness) -> None:
    """The kit generates only labels a connector's ``label_pattern`` admits, so the pattern
    must be a promise, not an escape hatch: a connector that declares a narrow pattern and
    silently drops the labels outside it loses every one a user writes."""
    refused = [n for n in REFUSABLE_LABELS if not h.connector.accepts_label(n)][:3]
    await _declared_pattern_holds(h, "W15", "label", refused, lambda n: {"labels": [n]})


@invariant(
    "W16",
    "an assignee outside the connector's declared assignee_pattern is refused by "
    "create_record and update_record with InvalidRecord before anything changes (the "
    "declaration holds)",
    requires=["create", "update"],
)
async def w16_assignee_pattern_holds(h: Harness) -> None:
    """The kit generates only assignees a connector's ``assignee_pattern`` admits, so the
    pattern must be a promise, not an escape hatch: a connector that declares a narrow
    pattern and silently unassigns (or mis-assigns) every other handle loses the assignee a
    user writes, and no other invariant would see it."""
    refused = [a for a in REFUSABLE_ASSIGNEES if not h.connector.accepts_assignee(a)][:3]
    await _declared_pattern_holds(h, "W16", "assignee", refused, lambda a: {"assignee": a})


declared("W15")(_declared_for("create", "update"))
declared("W16")(_declared_for("create", "update"))


# -- W13 -----------------------------------------------------------------------------------


@invariant(
    "W13",
    "get_record, update_record and delete_or_close of a record through a project that does "
    "not hold it raise NotFound and change nothing",
)
async def w13_writes_stay_in_their_project(h: Harness) -> None:
    """Many APIs address records by a global id (Jira, Confluence), so a connector that does
    not check the record's project updates or deletes a record of a project the user never
    named: one mistyped project argument and another team's issue is gone."""
    project, (record,) = seeded_project(h, 1)
    other = h.projects.empty
    h.state.add_project(other)
    before = h.state.get(project, record.id)
    mutations = h.state.mutations
    fix = (
        "check that the record belongs to the project named (the path, or the project the "
        "server reports for the id) before reading or writing it"
    )
    where = f"of record {record.id} of {project!r} through project {other!r}"
    await expect_error(
        NotFound, h.connector.get_record(other, record.id), f"get_record {where}", fix
    )
    if supported(h.connector, "update"):
        await expect_error(
            NotFound,
            h.connector.update_record(
                other, record.id, patch_of(record, title="W13: wrong project"), None
            ),
            f"update_record {where}",
            fix,
        )
    if supported(h.connector, "delete_or_close"):
        await expect_error(
            NotFound,
            h.connector.delete_or_close(other, record.id, DeleteReason.COMPLETED),
            f"delete_or_close {where}",
            fix,
        )
    after = h.state.get(project, record.id)
    assert after == before, (
        f"a write {where} changed the record (now "
        f"{'gone' if after is None else repr(after.title)}); {fix}"
    )
    assert h.state.mutations == mutations, (
        f"a write {where} changed the server ({h.state.mutations - mutations} mutation(s)); {fix}"
    )


# -- W06 -----------------------------------------------------------------------------------


@invariant(
    "W06",
    "delete_or_close: with DeleteModel.DELETE the record is gone (NotFound after); with CLOSE "
    "it is closed with reason.closed_status (COMPLETED -> done, others -> wont_fix)",
    requires=["delete_or_close"],
)
async def w06_delete_or_close(h: Harness) -> None:
    """Callers pick a DeleteReason and rely on one meaning across every backend: a
    not-planned close reported as done, or a 'delete' that only closes, misleads them."""
    reasons = list(DeleteReason)
    project, records = seeded_project(h, len(reasons))
    if h.connector.capabilities.delete is DeleteModel.DELETE:
        victim, survivor = records[0], records[1]
        await h.connector.delete_or_close(project, victim.id, DeleteReason.NOT_PLANNED)
        await expect_error(
            NotFound,
            h.connector.get_record(project, victim.id),
            "get_record after delete_or_close (DeleteModel.DELETE declared)",
            "a connector declaring DeleteModel.DELETE must delete the record, not close it; "
            "or declare DeleteModel.CLOSE and close with reason.closed_status",
        )
        assert h.state.get(project, victim.id) is None, (
            "delete_or_close (DeleteModel.DELETE declared) left the record on the server"
        )
        ids = [r.id for r in await h.connector.list_records(project)]
        assert victim.id not in ids, "list_records still shows a deleted record"
        assert survivor.id in ids, "delete_or_close removed another record too"
    else:
        for reason, record in zip(reasons, records, strict=True):
            await h.connector.delete_or_close(project, record.id, reason)
            got = await h.connector.get_record(project, record.id)
            assert got.status is reason.closed_status, (
                f"delete_or_close(reason={reason.name}) left status {got.status.value!r}; "
                f"the kit's mapping is {reason.name} -> {reason.closed_status.value!r} "
                "(use reason.closed_status, the same for every connector)"
            )
            expected = {**expected_view(h, record), "status": reason.closed_status.value}
            diff = field_diff(expected, carried_view(h, got))
            assert not diff, f"closing a record changed other fields: {diff}"
            stored = h.state.get(project, record.id)
            assert stored is not None, (
                "delete_or_close deleted the record but declares DeleteModel.CLOSE; declare "
                "DeleteModel.DELETE or close it instead"
            )
        listed = {r.id for r in await h.connector.list_records(project)}
        missing = [r.id for r in records if r.id not in listed]
        assert not missing, f"closed records {missing} no longer appear in list_records"
    await expect_error(
        NotFound,
        h.connector.delete_or_close(project, MISSING_ID, DeleteReason.COMPLETED),
        f"delete_or_close of missing id {MISSING_ID}",
        "map the server's 404 for the delete/close to NotFound",
    )


declared("W06")(_declared_for("delete_or_close"))


# -- W07 -----------------------------------------------------------------------------------


@invariant(
    "W07",
    "write methods declared unsupported raise NotSupported and send nothing",
)
async def w07_read_only_declarations(h: Harness) -> None:
    """A read-only declaration is a promise: a write that reaches the server anyway (or
    fails with a transport error instead of NotSupported) breaks callers that trust it."""
    for requirement in ("create", "update", "delete_or_close"):
        if not supported(h.connector, requirement):
            await check_not_supported(h, METHOD_OF[requirement])


# -- W08 -----------------------------------------------------------------------------------

_WRITE_FAULTS = ("500", "503", "transport", "500-after", "503-after", "transport-after")
"""Faults on the write request; ``-after`` ones let the write commit, then lose the answer."""


async def _no_duplicate_write(
    h: Harness, what: str, call: Callable[[], Awaitable[Any]], project: str
) -> None:
    for fault in _WRITE_FAULTS:
        h.knobs.schedule = [fault]
        h.knobs.schedule_methods = ["POST", "PATCH"]
        start, mutations = len(h.requests), h.state.mutations
        try:
            result = await outcome_of(call())
        finally:
            h.knobs.schedule = []
            h.knobs.schedule_methods = None
        sent = requests_since(h, start)
        writes = [r for r in sent if is_write(r)]  # a GraphQL query POST is a read
        keys = {r.headers.get("idempotency-key") for r in writes}
        keyed = len(keys) == 1 and None not in keys and "" not in keys
        assert len(writes) <= 1 or keyed, (
            f"{what} under a {fault} on its write sent {len(writes)} non-idempotent requests "
            f"({describe(writes)}) without one shared Idempotency-Key; never retry POST/PATCH "
            "yourself (the SDK client retries only idempotent requests), or pass "
            "idempotency_key= to the client so the server can de-duplicate"
        )
        assert h.state.mutations - mutations <= 1, (
            f"{what} under a {fault} on its write changed the server "
            f"{h.state.mutations - mutations} times ({describe(sent)}); a retried write must "
            "carry one Idempotency-Key the server honours, or not be retried"
        )
        if isinstance(result, BaseException):
            assert isinstance(result, ReposixError), (
                f"{what} under a {fault} raised {type(result).__name__}: {first_line(result)}; "
                "raise the SDK's typed errors (ProtocolError, TransportError …)"
            )
        elif isinstance(result, Record):
            assert h.state.get(project, result.id) is not None, (
                f"{what} under a {fault} returned record {result.id}, which the server "
                "does not have; raise the error instead of fabricating a result"
            )


@invariant(
    "W08",
    "a write is never sent twice: under injected 5xx / transport errors on POST and PATCH "
    "the server sees at most one mutation per call (unless an idempotency key is honoured)",
    requires=["create"],
)
async def w08_no_duplicate_writes(h: Harness) -> None:
    """Retrying a create after a 500 or a dropped connection can create the record twice
    (the first attempt may have committed): duplicates a user then has to find and delete."""
    project, (record,) = seeded_project(h, 1)
    counter = iter(range(1_000_000))

    async def create() -> Any:
        return await h.connector.create_record(project, new_draft(f"W08 create {next(counter)}"))

    await _no_duplicate_write(h, "create_record", create, project)
    if supported(h.connector, "update"):

        async def update() -> Any:
            current = h.state.get(project, record.id) or record
            return await h.connector.update_record(
                project, record.id, patch_of(current, title=f"W08 update {next(counter)}")
            )

        await _no_duplicate_write(h, "update_record", update, project)


declared("W08")(_declared_for("create"))


# -- W09 -----------------------------------------------------------------------------------


@invariant(
    "W09",
    "declarations agree: STRONG versioning needs update, and stored_form only normalizes (it "
    "is idempotent, keeps status and parent, never empties a field and merges labels only by "
    "case)",
)
async def w09_consistent_declarations(h: Harness) -> None:
    """STRONG versioning promises that stale writes are refused, which means nothing for a
    connector that cannot write. A stored_form that drops values would excuse the very loss
    the write checks catch."""
    c = h.connector
    if c.capabilities.versioning is VersioningModel.STRONG:
        assert c.capabilities.update, (
            "Capabilities.versioning is STRONG but the connector cannot update"
        )
    drafts = [*demo_drafts(7), RecordDraft(title="W09", body="b", labels=["Bug", "bug", "UI"])]
    problems: list[str] = []
    for raw in drafts:
        draft = raw.model_copy(update=fit_labels(c, {"labels": raw.labels}))
        problems += [f"{p} (draft {draft.title!r})" for p in _stored_form_problems(h, draft)]
    assert not problems, (
        "stored_form does more than normalize: "
        + "; ".join(problems[:3])
        + ". stored_form describes how the server normalizes values it keeps; a value the "
        "backend drops is a bug to fix, or a field to declare in uncarried_fields"
    )


def _stored_form_problems(h: Harness, draft: RecordDraft) -> list[str]:
    """How ``stored_form(draft)`` goes beyond normalizing (empty: it does not)."""
    result: object = h.connector.stored_form(draft)
    if not isinstance(result, RecordDraft):
        return [f"stored_form returned {type(result).__name__}, not a RecordDraft"]
    out = result
    found = []
    if h.connector.stored_form(out) != out:
        found.append("it is not idempotent (applied twice it changes the result again)")
    if (out.status, out.parent_id) != (draft.status, draft.parent_id):
        found.append("it changes status or parent_id")
    skip = uncarried(h)
    for name in ("title", "body", "assignee", "labels"):
        if name not in skip and getattr(draft, name) and not getattr(out, name):
            found.append(f"it empties {name}")
    wanted = {n.casefold() for n in draft.labels}
    kept = {n.casefold() for n in out.labels}
    if (
        "labels" not in skip
        and out.labels
        and (len(set(out.labels)) < len(wanted) or not kept <= wanted)
    ):
        found.append(f"labels {draft.labels!r} become {out.labels!r} (only case may merge)")
    return found


# -- W10 -----------------------------------------------------------------------------------


@invariant(
    "W10",
    "a create in an unknown project raises NotFound and creates nothing",
    requires=["create"],
)
async def w10_unknown_project_write(h: Harness) -> None:
    """A typo in a project name must not silently create records somewhere unexpected (or
    a new project): the caller has to learn the project does not exist."""
    mutations = h.state.mutations
    await expect_error(
        NotFound,
        h.connector.create_record(h.projects.unknown, new_draft("W10 must not exist")),
        f"create_record in unknown project {h.projects.unknown!r}",
        "map the server's 404 for the project to NotFound",
    )
    assert h.state.mutations == mutations, "a create in an unknown project changed the server"


declared("W10")(_declared_for("create"))


# -- W11 -----------------------------------------------------------------------------------


@invariant(
    "W11",
    "an update that changes one field leaves every other field as it was",
    requires=["update"],
)
async def w11_partial_update(h: Harness) -> None:
    """Editing only the title must not reset labels, assignee, body or status: a connector
    that sends defaults for fields it was not asked to change erases them."""
    project, records = seeded_project(h, 2)
    record = records[1]
    for change in (
        {"title": record.title + " (W11)"},
        {"status": RecordStatus.IN_PROGRESS},
        {"labels": [*record.labels, "w11"]},
        {"assignee": None},
    ):
        current = await h.connector.get_record(project, record.id)
        updated = await h.connector.update_record(project, record.id, patch_of(current, **change))
        fetched = await h.connector.get_record(project, record.id)
        expected = expected_view(h, current.replace(**change))
        diff = field_diff(expected, carried_view(h, fetched))
        assert not diff, f"update_record of {sorted(change)} changed other fields: {diff}"
        diff = record_diff(updated, fetched)
        assert not diff, f"update_record's result differs from the next get_record: {diff}"


declared("W11")(_declared_for("update"))


# -- W12 -----------------------------------------------------------------------------------


@invariant(
    "W12",
    "with hierarchy, parent_id round-trips: set on create, changed and cleared by update; a "
    "missing parent is refused with a typed error and creates nothing",
    requires=["create", "update", "hierarchy"],
)
async def w12_hierarchy(h: Harness) -> None:
    """Page trees and epics are structure users rely on: a connector that drops or ignores
    parent_id flattens the tree, and one that accepts a dangling parent corrupts it."""
    project, (first, second) = seeded_project(h, 2)
    child = await h.connector.create_record(project, new_draft("W12 child", parent_id=first.id))
    steps: list[tuple[str, int | None, Record]] = [("create", first.id, child)]
    current = await h.connector.get_record(project, child.id)
    steps.append(("get after create", first.id, current))
    for parent in (second.id, None):
        updated = await h.connector.update_record(
            project, child.id, patch_of(current, parent_id=parent)
        )
        current = await h.connector.get_record(project, child.id)
        steps += [
            (f"update to {parent}", parent, updated),
            (f"get after {parent}", parent, current),
        ]
    wrong = [
        f"{what}: parent_id {got.parent_id}, expected {want}"
        for what, want, got in steps
        if got.parent_id != want
    ]
    assert not wrong, (
        "parent_id did not round-trip: " + "; ".join(wrong) + ". Send parent_id on create and "
        "update (null clears it) and read it back from the server's response"
    )
    mutations = h.state.mutations
    result = await outcome_of(
        h.connector.create_record(project, new_draft("W12 orphan", parent_id=MISSING_ID))
    )
    assert isinstance(result, ReposixError), (
        f"create_record with a missing parent {MISSING_ID} gave "
        + (type(result).__name__ if isinstance(result, BaseException) else "a record")
        + "; raise a typed error (InvalidRecord or NotFound)"
    )
    assert h.state.mutations == mutations, "a create with a missing parent changed the server"


declared("W12")(_declared_for("create", "update"))
