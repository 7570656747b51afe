"""Read invariants R01–R13: listings and gets never lose, duplicate, invent or corrupt records."""

from __future__ import annotations

import itertools
import math
import re
import warnings
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from reposix._backend import BackendConnector, DeleteModel
from reposix._errors import EgressDenied, NotFound, ProtocolError, ReposixError
from reposix._faults import DECOY_ORIGIN, FOREIGN_ORIGIN, MID_LISTING, MidListing
from reposix._records import Record, RecordStatus
from reposix_contract._harness import Harness, demo_drafts
from reposix_contract._invariants._support import (
    MISSING_ID,
    duplicates,
    exchanges,
    expect_error,
    first_line,
    ids,
    mark,
    outcome_of,
    set_diff,
)
from reposix_contract._props import for_all, fresh
from reposix_contract._registry import invariant

__all__ = ["MISBEHAVIOURS", "record_problems"]

_PATH_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_URL = re.compile(r"https?://", re.IGNORECASE)

MISBEHAVIOURS = (
    "next_on_last_page",
    "empty_middle_page",
    "short_page",
    "omit_total",
    "ignore_offset",
)
"""Documented server misbehaviours R08 throws at every connector (no-ops for styles they
do not apply to)."""


def _field_diff(a: Record, b: Record) -> str:
    da, db = a.model_dump(mode="json"), b.model_dump(mode="json")
    return "; ".join(
        f"{k}: {da.get(k)!r} vs {db.get(k)!r}"
        for k in sorted(set(da) | set(db))
        if da.get(k) != db.get(k)
    )


# -- R01 -----------------------------------------------------------------------------------


@invariant(
    "R01",
    "list_records returns every seeded record exactly once (id set equality), in a stable "
    "order across calls",
)
async def r01_list_exactly_once(h: Harness) -> None:
    """A listing that drops a record makes a sync believe it was deleted; one that repeats a
    record makes it write the same file twice; an order that changes between calls makes every
    sync look like a change."""
    h.knobs.page_size = 3
    h.seed_demo(7)
    project = h.projects.seeded
    expected = [r.id for r in h.state.list(project)]
    first = await h.connector.list_records(project)
    got = ids(first)
    dup = duplicates(got)
    assert not dup, f"list_records returned ids {dup} more than once (3 records per page)"
    diff = set_diff(expected, got)
    assert not diff, (
        f"list_records over {len(expected)} seeded records (3 per page) is wrong: {diff}; "
        "follow every page to the end and keep every record"
    )
    second = ids(await h.connector.list_records(project))
    assert second == got, (
        f"two listings of an unchanged project came back in different orders: {got} then "
        f"{second}; return records in a stable order (e.g. the server's, or sorted by id)"
    )
    listing = await h.connector.list_records_complete(project)
    assert listing.is_complete, "list_records_complete says is_complete=False for a full listing"
    assert ids(listing.records) == got, (
        f"list_records_complete returned {ids(listing.records)}, list_records {got}"
    )


# -- R02 -----------------------------------------------------------------------------------


@invariant(
    "R02",
    "an existing empty project lists []; an unknown project raises NotFound",
)
async def r02_empty_and_unknown(h: Harness) -> None:
    """'Empty' and 'does not exist' must stay distinguishable: a connector that answers [] for a
    mistyped project makes a sync delete every local file; one that raises for an empty
    project makes a new project unusable."""
    h.seed_demo(3)
    empty, unknown = h.projects.empty, h.projects.unknown
    records = await outcome_of(h.connector.list_records(empty))
    if isinstance(records, Exception):
        raise AssertionError(
            f"list_records of the existing empty project {empty!r} raised "
            f"{type(records).__name__} ({first_line(records)}); an empty project lists []"
        )
    assert records == [], (
        f"list_records of the empty project {empty!r} returned ids {ids(records)} "
        "(records of another project?)"
    )
    listing = await h.connector.list_records_complete(empty)
    assert listing.records == [] and listing.is_complete, (
        f"list_records_complete of the empty project returned {len(listing.records)} records, "
        f"is_complete={listing.is_complete} (expected [], True)"
    )
    fix = "map the server's 404 (or 'no such project' answer) to reposix.NotFound"
    await expect_error(
        NotFound,
        h.connector.list_records(unknown),
        f"list_records of the unknown project {unknown!r}",
        fix,
    )
    await expect_error(
        NotFound,
        h.connector.list_records_complete(unknown),
        f"list_records_complete of the unknown project {unknown!r}",
        fix,
    )
    await expect_error(
        NotFound,
        h.connector.list_changed_since(unknown, datetime(2000, 1, 1, tzinfo=UTC)),
        f"list_changed_since of the unknown project {unknown!r}",
        fix + " (an unknown project has no changes only if it exists)",
    )


# -- R03 -----------------------------------------------------------------------------------


@invariant("R03", "get_record of a listed id equals the listed record field by field")
async def r03_get_equals_list(h: Harness) -> None:
    """Callers mix listings and gets (list to find, get to refresh); if the two disagree on any
    field, every refresh looks like a remote edit and round trips drift."""
    h.knobs.page_size = 4
    h.seed_demo(7)
    project = h.projects.seeded
    listed = await h.connector.list_records(project)
    assert listed, "list_records returned nothing for a seeded project (see R01)"
    problems = []
    for record in listed:
        got = await h.connector.get_record(project, record.id)
        if got.id != record.id:
            problems.append(f"get_record({record.id}) returned record {got.id}")
            continue
        diff = _field_diff(record, got)
        if diff:
            problems.append(f"record {record.id}: list vs get: {diff}")
    assert not problems, (
        "get_record disagrees with list_records:\n  "
        + "\n  ".join(problems[:8])
        + "\n  translate both responses with the same mapping (ask the listing for every field "
        "the get returns)"
    )


# -- R04 -----------------------------------------------------------------------------------


@invariant(
    "R04",
    "get_record of a missing id raises NotFound (not any error: a 500, EgressDenied or "
    "KeyError fails)",
)
async def r04_missing_is_not_found(h: Harness) -> None:
    """Callers treat NotFound as 'deleted remotely' and everything else as 'try again later'; a
    connector that raises a generic error (or returns None) for a missing record either deletes
    data on a transient fault or never notices a deletion."""
    seeded = h.seed_demo(3)
    project = h.projects.seeded
    fix = "map the server's 404 for a missing record to reposix.NotFound"
    for missing in (MISSING_ID, max(r.id for r in seeded) + 1):
        await expect_error(
            NotFound, h.connector.get_record(project, missing), f"get_record({missing})", fix
        )
    await expect_error(
        NotFound,
        h.connector.get_record(h.projects.unknown, seeded[0].id),
        f"get_record in the unknown project {h.projects.unknown!r}",
        fix,
    )


# -- R05 -----------------------------------------------------------------------------------


def _url_leaks(value: Any, path: str) -> list[str]:
    found: list[str] = []
    if isinstance(value, str):
        if _URL.search(value) or DECOY_ORIGIN in value or FOREIGN_ORIGIN in value:
            found.append(f"{path} = {value[:80]!r}")
    elif isinstance(value, dict):
        for k, v in value.items():
            found += _url_leaks(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _url_leaks(v, f"{path}[{i}]")
    return found


def record_problems(record: Any, allowed_url_keys: frozenset[str] = frozenset()) -> list[str]:
    """Why ``record`` is not a valid normalized record (empty if it is)."""
    if not isinstance(record, Record):
        return [f"is a {type(record).__name__}, not a reposix Record"]
    rid = getattr(record, "id", "?")
    out: list[str] = []
    try:
        with warnings.catch_warnings():  # model_construct'ed junk warns when dumped
            warnings.simplefilter("ignore")
            again = Record.model_validate(record.model_dump())
    except Exception as exc:
        out.append(f"record {rid} does not validate as a Record: {first_line(exc)}")
        again = None
    if again is not None and again != record:
        out.append(f"record {rid} changes when re-validated (built with model_construct?)")
    if not isinstance(record.id, int) or isinstance(record.id, bool) or record.id <= 0:
        out.append(f"record id {record.id!r} is not a positive int")
    status: object = record.status
    if not isinstance(status, RecordStatus):
        out.append(f"record {rid}: status {record.status!r} is not a RecordStatus")
    for name in ("created_at", "updated_at"):
        value = getattr(record, name)
        if not isinstance(value, datetime) or value.tzinfo is None:
            out.append(f"record {rid}: {name} {value!r} is naive (needs tzinfo=UTC)")
        elif value.utcoffset() != timedelta(0):
            out.append(f"record {rid}: {name} {value.isoformat()} is not in UTC")
    if (
        isinstance(record.created_at, datetime)
        and isinstance(record.updated_at, datetime)
        and record.created_at.tzinfo is not None
        and record.updated_at.tzinfo is not None
        and record.updated_at < record.created_at
    ):
        out.append(f"record {rid}: updated_at {record.updated_at} < created_at {record.created_at}")
    if not isinstance(record.version, int) or record.version < 0:
        out.append(f"record {rid}: version {record.version!r} is not an int >= 0")
    if not isinstance(record.labels, list) or not all(isinstance(x, str) for x in record.labels):
        out.append(f"record {rid}: labels {record.labels!r} are not all strings")
    elif len(set(record.labels)) != len(record.labels):
        out.append(f"record {rid}: labels {record.labels!r} repeat a label")
    if record.assignee is not None and (
        not isinstance(record.assignee, str) or not record.assignee
    ):
        out.append(f"record {rid}: assignee {record.assignee!r} is not a non-empty string or None")
    for key, value in (record.extensions or {}).items():
        if key in allowed_url_keys:
            continue
        leaks = _url_leaks(value, f"extensions.{key}")
        if leaks or key in ("url", "html_url", "self", "_links", "avatar_url", "links"):
            out.append(
                f"record {rid}: server URL field leaked into extensions: "
                + (", ".join(leaks[:3]) or f"extensions.{key}")
                + " (drop it, or declare the key in the connector's `url_extensions`)"
            )
    return out


@invariant(
    "R05",
    "every record is valid: status in the closed set, tz-aware UTC timestamps, "
    "updated_at >= created_at, version >= 0, labels are strings, no server URL fields in "
    "extensions unless declared",
)
async def r05_records_valid(h: Harness) -> None:
    """Invalid records poison everything downstream: naive timestamps make incremental sync
    compare wrong, a status outside the set breaks every mapping table, and server URLs copied
    into extensions are decoys a later tool may follow (a server-side request forgery)."""
    h.knobs.page_size = 4
    h.knobs.decoys = True
    h.seed_demo(7)
    project = h.projects.seeded
    allowed = frozenset(getattr(h.connector, "url_extensions", ()) or ())
    problems: list[str] = []
    listed = await h.connector.list_records(project)
    for record in listed:
        problems += record_problems(record, allowed)
    for record in listed[:4]:
        problems += [
            f"(get) {p}"
            for p in record_problems(await h.connector.get_record(project, record.id), allowed)
        ]
    assert not problems, "invalid records:\n  " + "\n  ".join(problems[:10])


# -- R06 -----------------------------------------------------------------------------------


def _changed_hint(missing: set[int], extra: set[int], truth: dict[int, Record], t: datetime) -> str:
    hints = []
    if t.utcoffset() != timedelta(0):
        hints.append(
            f"`since` was given at UTC{t.strftime('%z')}: convert it to UTC (or send its offset) "
            "before putting it in a query"
        )
    elif any(truth[i].updated_at == t for i in extra if i in truth):
        hints.append("records with updated_at == since were included: `since` is exclusive")
    if any(abs((truth[i].updated_at - t).total_seconds()) < 60 for i in missing if i in truth):
        hints.append(
            "records changed less than a minute after `since` were missed: a minute-precision "
            "query must be widened, then filtered on exact timestamps"
        )
    return ("; " + "; ".join(hints)) if hints else ""


def _probes(stamps: list[datetime]) -> list[datetime]:
    """UTC probes before, around, equal to, between and after the timestamps; then a few of
    them again in other time zones."""
    ms = timedelta(milliseconds=1)
    out = [stamps[0] - timedelta(days=1), stamps[-1] + timedelta(days=1)]
    for s in stamps:
        out += [s - ms, s, s + ms]
    out += [a + (b - a) / 2 for a, b in itertools.pairwise(stamps)]
    zones = [timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    middle = stamps[len(stamps) // 2]
    out += [t.astimezone(z) for z in zones for t in (middle - ms, middle, middle + ms)]
    return out


def _served_records(h: Harness, start: int) -> int | None:
    served = list(h.knobs.served)[start:]
    return sum(s.count for s in served) if served else None


@invariant(
    "R06",
    "list_changed_since(t) returns exactly the ids with updated_at > t, for t before, between, "
    "equal to and after the records' timestamps (sub-minute apart); with incremental declared "
    "it sends the filter and fetches fewer records",
)
async def r06_changed_since_exact(h: Harness) -> None:
    """Incremental sync is only as good as its `since`: an inclusive filter re-syncs forever, a
    minute-precision one silently drops edits made seconds apart (Jira JQL, Confluence CQL), and
    a 'native' filter that is not sent makes every sync a full listing."""
    h.knobs.page_size = 4
    h.seed_demo(7)
    project = h.projects.seeded
    update = getattr(h.state, "update", None)
    if callable(update):
        for rec in h.state.list(project)[1::3]:
            update(project, rec.id, {"title": rec.title + " (edited)"})
    stamps = await _exact_at_probes(h, project)
    if not h.connector.capabilities.incremental:
        return
    t = stamps[-2]
    served0, log0 = len(h.knobs.served), mark(h)
    await h.connector.list_records(project)
    full_records, full_bytes = _served_records(h, served0), _bytes(h, log0)
    served1, log1 = len(h.knobs.served), mark(h)
    await h.connector.list_changed_since(project, t)
    changed_records, changed_bytes = _served_records(h, served1), _bytes(h, log1)
    if full_records is not None and changed_records is not None:
        assert changed_records < full_records, (
            f"incremental is declared but list_changed_since fetched {changed_records} "
            f"records, as many as a full listing ({full_records}); send the filter to the server"
        )
    else:
        assert changed_bytes < full_bytes, (
            f"incremental is declared but list_changed_since downloaded {changed_bytes} "
            f"bytes, no fewer than a full listing ({full_bytes}); send the filter to the server"
        )


async def _exact_at_probes(h: Harness, project: str, where: str = "") -> list[datetime]:
    """list_changed_since(t) == {updated_at > t} at every probe; the sorted stamps."""
    truth = {r.id: r for r in h.state.list(project)}
    stamps = sorted({r.updated_at for r in truth.values()})
    for t in _probes(stamps):
        expected = {i for i, r in truth.items() if r.updated_at > t}
        got = await h.connector.list_changed_since(project, t)
        dup = duplicates(got)
        assert not dup, f"list_changed_since({t.isoformat()}){where} returned ids {dup} twice"
        missing, extra = expected - set(got), set(got) - expected
        assert not missing and not extra, (
            f"list_changed_since({t.isoformat()}){where} is wrong: {set_diff(expected, got)}"
            + _changed_hint(missing, extra, truth, t)
        )
    return stamps


def _bytes(h: Harness, start: int) -> int:
    return sum(
        e.response_bytes
        for e in exchanges(h, start)
        if not e.foreign and e.status is not None and 200 <= e.status < 300
    )


# -- R07 -----------------------------------------------------------------------------------


@invariant(
    "R07",
    "list_records_complete: a complete listing says is_complete=True; beyond the connector's "
    "cap (Runtime.max_records) it says is_complete=False and the records are a prefix",
)
async def r07_truncation_reported(h: Harness) -> None:
    """A silent cap is silent data loss: a connector that stops at 500 records and says
    nothing makes large projects look smaller and 'missing' records get deleted locally."""
    h.knobs.page_size = 2
    h.seed_demo(7)
    project = h.projects.seeded
    full = ids((await h.connector.list_records_complete(project)).records)
    assert len(full) == 7, f"the full listing has {len(full)} records, expected 7 (see R01)"
    for cap in (3, 4, 6):
        capped = h.build(max_records=cap)
        listing = await capped.list_records_complete(project)
        got = ids(listing.records)
        assert listing.is_complete is False, (
            f"with max_records={cap} and 7 records, list_records_complete returned "
            f"{len(got)} records with is_complete=True; report truncation"
        )
        assert got == full[:cap], (
            f"with max_records={cap}, list_records_complete returned {got}, not the first {cap} "
            f"records of the full listing {full[:cap]} (a prefix, exactly up to the cap)"
        )
    for cap in (7, 8):
        capped = h.build(max_records=cap)
        listing = await capped.list_records_complete(project)
        assert listing.is_complete is True and ids(listing.records) == full, (
            f"with max_records={cap} and 7 records, list_records_complete returned "
            f"{len(listing.records)} records, is_complete={listing.is_complete} "
            f"(expected all 7, True: a collection exactly at the cap is complete)"
        )


# -- R08 -----------------------------------------------------------------------------------


async def _paging_example(sub: Harness, example: tuple[int, int, str | None]) -> None:
    size, count, misbehaviour = example
    sub.knobs.page_size = size
    if misbehaviour:
        setattr(sub.knobs, misbehaviour, True)
    if count:
        sub.state.seed(sub.projects.seeded, demo_drafts(count))
    expected = [r.id for r in sub.state.list(sub.projects.seeded)]
    start = len(sub.knobs.served)
    where = f"{count} records, page size {size}" + (
        f", server {misbehaviour}" if misbehaviour else ""
    )
    result = await outcome_of(sub.connector.list_records_complete(sub.projects.seeded))
    if isinstance(result, ProtocolError) and misbehaviour == "ignore_offset":
        return
    if isinstance(result, Exception):
        raise AssertionError(
            f"list_records_complete ({where}) raised {type(result).__name__}: {first_line(result)}"
        )
    got = ids(result.records)
    dup = duplicates(got)
    assert not dup, f"listing ({where}) returned ids {dup} more than once"
    if misbehaviour == "ignore_offset" and not result.is_complete:
        assert got == expected[: len(got)], f"listing ({where}) is not a prefix: {got}"
        return
    diff = set_diff(expected, got)
    assert not diff and result.is_complete, (
        f"listing ({where}) is wrong: {diff or 'all records'}, is_complete={result.is_complete}"
    )
    served = list(sub.knobs.served)[start:]
    if misbehaviour is None and served and served[0].style != "offset":
        chain = [s.index for s in served]
        stops = [s.has_next for s in served]
        assert chain == list(range(len(served))) and stops == [True] * (len(served) - 1) + [
            False
        ], (
            f"listing ({where}) requested pages {chain} (next offered: {stops}); the style "
            "implies following each next link exactly once, until a page offers none"
        )
        assert len(served) >= math.ceil(count / size), f"listing ({where}) skipped pages"


_KNOB_STYLES = {
    "foreign_next": frozenset({"link", "cursor"}),
    "cycle": frozenset({"link", "cursor", "token", "graphql"}),
}
"""Pagination styles a knob can express (a token cannot point at another origin)."""


async def _must_refuse(h: Harness, knob: str, value: Any, error: type[ReposixError]) -> None:
    async with fresh(h) as sub:
        sub.knobs.page_size = 2
        sub.state.seed(sub.projects.seeded, demo_drafts(5))
        expected = [r.id for r in sub.state.list(sub.projects.seeded)]
        setattr(sub.knobs, knob, value)
        start, served = mark(sub), len(sub.knobs.served)
        what = f"a listing whose server sends {knob}={value!r}"
        result = await outcome_of(sub.connector.list_records_complete(sub.projects.seeded))
        styles = {s.style for s in list(sub.knobs.served)[served:]}
        if styles and not styles & _KNOB_STYLES[knob]:
            # the backend's style cannot express this misbehaviour: the listing is plain
            assert not isinstance(result, Exception), f"{what} raised {result!r}"
            assert ids(result.records) == expected, f"{what}: {ids(result.records)}"
            return
        if not isinstance(result, error):
            got = (
                f"raised {type(result).__name__} ({first_line(result)})"
                if isinstance(result, Exception)
                else f"returned {len(result.records)} records, is_complete={result.is_complete}"
            )
            raise AssertionError(
                f"{what} {got} instead of raising {error.__name__}; use the SDK's pagination "
                "helpers (cycle detection, origin pinning)"
            )
        log = exchanges(sub, start)
        foreign = [str(e.request.url) for e in log if e.foreign]
        assert not foreign, f"with {knob}={value!r} the connector requested {foreign}"
        assert len(log) <= 6, (
            f"with {knob}={value!r} the connector sent {len(log)} requests before stopping "
            "(expected to stop at the first repeat)"
        )


@invariant(
    "R08",
    "pagination over any record count and page size yields every record exactly once with the "
    "request count the style implies; a repeating cursor (A→A, A→B→A) raises ProtocolError, a "
    "foreign next link raises EgressDenied, documented server misbehaviours lose nothing",
)
async def r08_pagination(h: Harness) -> None:
    """Pagination is where connectors lose data: off-by-one on the last page, a cursor that
    loops forever, a next link that sends credentials to another host, a server that pads with
    empty pages. Static two-page mocks catch none of it; generated page plans do."""
    strategy = st.integers(1, 5).flatmap(
        lambda size: st.tuples(
            st.just(size),
            st.integers(0, 5 * size),
            st.one_of(st.none(), st.sampled_from(MISBEHAVIOURS)),
        )
    )
    await for_all(
        h,
        strategy,
        _paging_example,
        examples=[
            (1, 0, None),
            (2, 5, None),
            (3, 6, None),
            (5, 25, None),
            (3, 7, "next_on_last_page"),
            (3, 7, "empty_middle_page"),
            (3, 7, "short_page"),
            (2, 6, "omit_total"),
            (2, 5, "ignore_offset"),
        ],
        max_examples=12,
    )
    await _must_refuse(h, "cycle", "self", ProtocolError)
    await _must_refuse(h, "cycle", "ab", ProtocolError)
    await _must_refuse(h, "foreign_next", True, EgressDenied)


# -- R09 -----------------------------------------------------------------------------------


@invariant(
    "R09",
    "root_collection_name is a single valid path component; name is a stable tag",
)
async def r09_identity(h: Harness) -> None:
    """The name tags audit rows and test ids, the collection name becomes a directory: a
    slash or '..' in it writes outside the tree."""
    c = h.connector
    assert isinstance(c.name, str) and _NAME.match(c.name), (
        f"name {c.name!r} is not a short lowercase tag ([a-z][a-z0-9_-]*)"
    )
    root = c.root_collection_name
    assert isinstance(root, str) and _PATH_COMPONENT.match(root) and root not in (".", ".."), (
        f"root_collection_name {root!r} is not a single path component "
        "([A-Za-z0-9][A-Za-z0-9._-]{0,63})"
    )
    plugin = getattr(getattr(h, "target_spec", None), "plugin", None)
    if plugin is not None:
        assert c.name == plugin.name, (
            f"the connector calls itself {c.name!r} but its plugin is registered as {plugin.name!r}"
        )
    other = h.build()
    assert (other.name, other.root_collection_name) == (c.name, root), (
        f"a second connector says name={other.name!r}, root={other.root_collection_name!r}; "
        f"the first said {c.name!r}, {root!r}"
    )


# -- R10 -----------------------------------------------------------------------------------


@invariant(
    "R10",
    "a listing interrupted by a transport error on page k and retried returns every record "
    "exactly once; list_changed_since(last seen updated_at) after a batch of updates returns "
    "exactly the updated ids, across page boundaries",
)
async def r10_resume(h: Harness) -> None:
    """Syncs get interrupted. A connector that keeps half a listing in a cache, returns the
    pages it got as if complete, or loses updates that straddle a page boundary turns a flaky
    network into silent data loss."""
    h.knobs.page_size = 2
    h.seed_demo(7)
    project = h.projects.seeded
    expected = [r.id for r in h.state.list(project)]
    for k in (1, 2, 3):
        # Enough failures that every page a connector fetches at once (not only page k+1)
        # runs out of retries: 12 were shared out among concurrent pages and let each through.
        h.knobs.schedule = ["ok"] * k + ["transport"] * 40
        result = await outcome_of(h.connector.list_records_complete(project))
        h.knobs.schedule = []
        if not isinstance(result, Exception):
            got = ids(result.records)
            assert not result.is_complete and got == expected[: len(got)], (
                f"a listing whose page {k + 1} kept failing returned {len(got)} records with "
                f"is_complete={result.is_complete}; raise (TransportError) or report a prefix"
            )
        elif not isinstance(result, ReposixError):
            raise AssertionError(
                f"a listing whose page {k + 1} kept failing raised {type(result).__name__} "
                f"({first_line(result)}), not a reposix error (TransportError)"
            )
        again = await h.connector.list_records_complete(project)
        got = ids(again.records)
        assert got == expected and again.is_complete, (
            f"the retried listing after a failure on page {k + 1} is wrong: "
            f"{set_diff(expected, got) or f'order {got}'}; is_complete={again.is_complete}"
            + (f"; duplicates {duplicates(got)}" if duplicates(got) else "")
        )
    for fault in ("transport", "503"):
        h.knobs.schedule = ["ok", fault]
        listing = await h.connector.list_records_complete(project)
        h.knobs.schedule = []
        got = ids(listing.records)
        assert got == expected and listing.is_complete, (
            f"one {fault} on page 2 (retried by the SDK) changed the listing: "
            f"{set_diff(expected, got) or f'order {got}'}"
        )
    listed = await h.connector.list_records(project)
    last_seen = max(r.updated_at for r in listed)
    changed: set[int] = set()
    update = getattr(h.state, "update", None)
    if callable(update):
        for rec in [listed[0], listed[3], listed[-1]]:
            update(project, rec.id, {"title": rec.title + " (batch edit)"})
            changed.add(rec.id)
    changed |= {r.id for r in h.state.seed(project, demo_drafts(1))}
    got = await h.connector.list_changed_since(project, last_seen)
    assert not duplicates(got) and set(got) == changed, (
        f"list_changed_since(last seen updated_at) after editing {sorted(changed)} returned "
        f"{got}: {set_diff(changed, got)}"
    )
    newest = max(r.updated_at for r in h.state.list(project))
    rest = await h.connector.list_changed_since(project, newest)
    assert rest == [], f"nothing changed after the newest updated_at, yet got {rest}"


# -- R11 -----------------------------------------------------------------------------------


@invariant(
    "R11",
    "records never cross projects: get_record(project, id) of another project's record raises "
    "NotFound, and listings of one project hold none of another's",
)
async def r11_project_isolation(h: Harness) -> None:
    """Many APIs address records by a global id (Jira, Confluence), so a connector that does not
    check the record's project returns — and later overwrites — records of a project the user
    never asked for."""
    seeded = h.seed_demo(3)
    empty = h.projects.empty
    for record in seeded[:2]:
        await expect_error(
            NotFound,
            h.connector.get_record(empty, record.id),
            f"get_record({empty!r}, {record.id}) of a record that belongs to {h.projects.seeded!r}",
            "check that the record the server returns belongs to the requested project",
        )
    leaked = await h.connector.list_changed_since(empty, datetime(2000, 1, 1, tzinfo=UTC))
    assert leaked == [], (
        f"list_changed_since of the empty project returned {leaked}, records of another project"
    )


# -- R12 -----------------------------------------------------------------------------------


def _overrides(connector: BackendConnector, method: str) -> bool:
    return getattr(type(connector), method) is not getattr(BackendConnector, method)


@invariant(
    "R12",
    "every declared capability is implemented",
)
async def r12_declarations_consistent(h: Harness) -> None:
    """Capabilities drive what callers attempt and which invariants the kit runs; a claim
    without code behind it (a declared bulk edit with no bulk endpoint) turns a
    pass into a lie and a write into a crash."""
    c = h.connector
    caps = c.capabilities
    problems = []
    for flag, method in (
        (caps.create, "create_record"),
        (caps.update, "update_record"),
        (caps.delete is not DeleteModel.NONE, "delete_or_close"),
    ):
        if flag and not _overrides(c, method):
            problems.append(f"declares {method.split('_')[0]} but does not implement {method}")
    if caps.incremental and not (
        _overrides(c, "list_changed_since") or _overrides(c, "iter_changed_since")
    ):
        problems.append(
            "declares incremental but inherits the filtering list_changed_since/iter_changed_since"
        )
    assert not problems, "inconsistent declarations: " + "; ".join(problems)


# -- R13 -----------------------------------------------------------------------------------


def _changes(h: Harness) -> list[tuple[MidListing, int]]:
    return list(getattr(h, "mid_listing_changes", ()))


async def _listing_under_change(h: Harness, kind: MidListing, size: int) -> None:
    async with fresh(h) as sub:
        sub.knobs.page_size = size
        sub.seed_demo(7)
        project = sub.projects.seeded
        before = {r.id for r in sub.state.list(project)}
        sub.knobs.mid_listing = kind
        what = f"list_records_complete (7 records, {size} per page, {kind} after page 1)"
        result = await outcome_of(sub.connector.list_records_complete(project))
        sub.knobs.mid_listing = None
        changes = _changes(sub)
        assert changes, (
            f"{what}: the fake never applied the change (does it serve listings through the "
            "kit's pagination emitters, which report the ids served?)"
        )
        touched = {rid for _, rid in changes}
        if isinstance(result, Exception):
            raise AssertionError(
                f"{what} raised {type(result).__name__} ({first_line(result)}); a tracker "
                "that changes during a listing is normal, not an error"
            )
        got = ids(result.records)
        dup = duplicates(got)
        assert not dup, (
            f"{what} returned ids {dup} twice (order {got}); the sort moved records across "
            "a page boundary: de-duplicate by id, or page in an order edits cannot change"
        )
        unchanged = before - touched
        missing = sorted(unchanged - set(got))
        assert not missing, (
            f"{what} lost {missing}, which did not change during the listing (changed: "
            f"{sorted(touched)}; got {got}); page in a stable order (id, creation) or by keyset, "
            "not by page number over an order that edits reorder"
        )
        invented = sorted(set(got) - before - touched)
        assert not invented, f"{what} returned ids {invented} that never existed"


async def _changed_since_under_change(h: Harness, kind: MidListing) -> None:
    async with fresh(h) as sub:
        sub.knobs.page_size = 2
        sub.seed_demo(7)
        project = sub.projects.seeded
        records = sub.state.list(project)
        before = {r.id for r in records}
        for since in (datetime(2000, 1, 1, tzinfo=UTC), sorted(r.updated_at for r in records)[1]):
            sub.knobs.mid_listing = kind
            mark_changes = len(_changes(sub))
            changed_before = {r.id for r in sub.state.list(project) if r.updated_at > since}
            what = (
                f"list_changed_since({since.isoformat()}) with {len(changed_before)} records "
                f"changed before the call (2 per page, {kind} after page 1)"
            )
            result = await outcome_of(sub.connector.list_changed_since(project, since))
            sub.knobs.mid_listing = None
            touched = {rid for _, rid in _changes(sub)[mark_changes:]}
            if isinstance(result, Exception):
                raise AssertionError(
                    f"{what} raised {type(result).__name__} ({first_line(result)}); a tracker "
                    "that changes during a listing is normal, not an error"
                )
            got = list(result)
            dup = duplicates(got)
            assert not dup, f"{what} returned ids {dup} twice ({got}); de-duplicate by id"
            # a record changed again (or deleted) during the call is the next call's news
            missing = sorted(changed_before - touched - set(got))
            assert not missing, (
                f"{what} missed {missing} (changed during the call: {sorted(touched)}; got "
                f"{sorted(got)}); an edit moved records across a page boundary of an "
                "updated-ordered listing: page by keyset (re-query past the last updated_at "
                "seen) or in an order edits cannot change, and de-duplicate by id"
            )
            invented = sorted(set(got) - before - touched)
            assert not invented, f"{what} returned ids {invented} that never existed"
            before |= touched


@invariant(
    "R13",
    "while the tracker changes between page requests (a record edited across the page "
    "boundary, one created, one deleted), a listing returns every record that stayed unchanged "
    "exactly once and no duplicates, and list_changed_since never misses a record changed "
    "before the call started",
)
async def r13_listing_under_change(h: Harness) -> None:
    """Trackers change while a connector pages through them. Paging by page number over an
    order that edits change (GitHub's sort=updated, Jira's ORDER BY updated) skips the record
    that slides over a page boundary and repeats another: a sync then deletes a file that
    still exists, or never sees an edit again."""
    for kind in MID_LISTING:
        for size in (2, 3):  # where the page boundaries fall
            await _listing_under_change(h, kind, size)
        await _changed_since_under_change(h, kind)


# -- R14 -----------------------------------------------------------------------------------

PROFILE_ZONES = ("UTC", "America/St_Johns", "Asia/Kathmandu", "Australia/Sydney")
"""User profile zones R14 gives a fake that has one: UTC, a half-hour and a 45-minute
offset west and east of UTC, and one in daylight-saving time in January."""

DST_EDGES = (
    ("Australia/Sydney", datetime(2026, 4, 4, 15, 59, 30, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 3, 8, 6, 59, 30, tzinfo=UTC)),
)
"""Seeding starts half a minute before a daylight-saving change (Sydney's fold: 03:00
AEDT becomes 02:00 AEST; New York's gap: 02:00 EST becomes 03:00 EDT), so records
straddle it (https://www.timeanddate.com/time/change/australia/sydney?year=2026)."""


@invariant(
    "R14",
    "list_changed_since stays exact (R06's probes) under several user profile zones (UTC, "
    "-03:30, +05:45, a zone in DST) and across a daylight-saving fold and gap, for backends "
    "whose queries are read in the user's zone",
)
async def r14_changed_since_in_every_zone(h: Harness) -> None:
    """Jira's JQL and Confluence's CQL read dates in the calling user's profile zone: a
    connector tested only under one zone (or only in UTC) drops edits for every user east or
    west of it, and an hour of them twice a year around daylight-saving changes."""
    fake = getattr(h, "fake", None)
    if fake is None or not hasattr(fake, "time_zone"):
        async with fresh(h) as sub:  # a backend without profile zones: R06's probes once
            sub.seed_demo(7)
            await _exact_at_probes(sub, sub.projects.seeded)
        return
    runs: list[tuple[str, datetime | None]] = [(z, None) for z in PROFILE_ZONES]
    runs += list(DST_EDGES)
    for zone, start in runs:
        async with fresh(h) as sub:
            sub.fake.time_zone = zone  # type: ignore[attr-defined]
            sub.knobs.page_size = 4
            if start is not None:
                sub.clock.advance((start - sub.clock.now()).total_seconds())
            sub.seed_demo(7)
            where = f" with the user's profile zone {zone}" + (
                f" (records straddle the daylight-saving change at {start:%Y-%m-%d})"
                if start is not None
                else ""
            )
            await _exact_at_probes(sub, sub.projects.seeded, where)
