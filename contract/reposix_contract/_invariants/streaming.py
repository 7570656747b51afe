"""Streaming: ``iter_records`` and the listing built on it tell the same story."""

from __future__ import annotations

from datetime import timedelta

from reposix._backend import BackendConnector
from reposix._errors import ReposixError
from reposix._records import Record
from reposix_contract._fakes.base import Knobs
from reposix_contract._harness import Harness
from reposix_contract._invariants._support import first_line, ids, outcome_of
from reposix_contract._registry import invariant


async def _streamed(
    connector: BackendConnector, project: str
) -> tuple[list[Record], list[int], bool | Exception]:
    """Records and page sizes ``iter_records`` yields, then its verdict (or its error)."""
    records: list[Record] = []
    sizes: list[int] = []
    try:
        async with connector.iter_records(project) as stream:
            async for page in stream.pages():
                sizes.append(len(page))
                records += page
    except ReposixError as exc:
        return records, sizes, exc
    return records, sizes, stream.is_complete


def _verdict(value: bool | Exception) -> str:
    if isinstance(value, Exception):
        return f"raised {type(value).__name__} ({first_line(value)})"
    return f"is_complete={value}"


async def _agree(
    connector: BackendConnector,
    project: str,
    what: str,
    *,
    schedule: list[str] | None = None,
    knobs: Knobs | None = None,
) -> None:
    """Listing and stream of ``project`` agree; ``schedule`` (with the harness ``knobs``)
    is replayed before each of the two calls and cleared after."""

    def arm() -> None:
        if knobs is not None and schedule is not None:
            knobs.schedule = list(schedule)

    arm()
    listing = await outcome_of(connector.list_records_complete(project))
    arm()
    records, sizes, verdict = await _streamed(connector, project)
    if knobs is not None:
        knobs.schedule = []
    if isinstance(listing, Exception):
        assert isinstance(verdict, Exception) and type(verdict) is type(listing), (
            f"{what}: list_records_complete raised {type(listing).__name__} "
            f"({first_line(listing)}) but iter_records {_verdict(verdict)}"
        )
        return
    assert not isinstance(verdict, Exception), (
        f"{what}: list_records_complete returned {len(listing.records)} records but "
        f"iter_records {_verdict(verdict)} after {len(records)}"
    )
    assert ids(records) == ids(listing.records), (
        f"{what}: iter_records yielded {ids(records)}, list_records_complete returned "
        f"{ids(listing.records)} (same records, same order expected)"
    )
    assert records == listing.records, f"{what}: iter_records and the listing differ in fields"
    assert verdict == listing.is_complete, (
        f"{what}: iter_records ends with is_complete={verdict}, the listing says "
        f"{listing.is_complete}"
    )
    assert all(sizes), f"{what}: iter_records yielded an empty page ({sizes})"


@invariant(
    "R30",
    "iter_records yields exactly the records list_records_complete returns, in the same "
    "order and with the same completeness, whole, truncated at max_records and with pages "
    "fetched concurrently (one retried, so they complete out of page order); under a "
    "failing page and for an unknown project both raise the same error (the stream after "
    "a prefix of the listing); iter_changed_since yields the "
    "records whose ids list_changed_since returns",
)
async def r30_stream_agrees(h: Harness) -> None:
    """Callers stream large listings (``reposix list``, syncs) and trust that what they
    streamed is what a listing would have returned: a stream that drops, reorders or
    duplicates records, claims a truncated listing complete, or swallows the error a
    listing raises loses data silently."""
    h.knobs.page_size = 2
    seeded = h.seed_demo(7)
    project = h.projects.seeded
    await _agree(h.connector, project, "a listing of 7 records, 2 per page")
    await _agree(h.build(max_records=3), project, "a listing truncated at max_records=3")
    await _agree(h.build(page_concurrency=4), project, "a listing with 4 pages at once")
    # Pages fetched at once complete in any order: page 2 answered 503 once and retried
    # lands after pages 3-4. The listing must still be in page order.
    await _agree(
        h.build(page_concurrency=4),
        project,
        "a listing with 4 pages at once, page 2 retried once (503)",
        schedule=["ok", "503"],
        knobs=h.knobs,
    )
    await _agree(h.connector, h.projects.unknown, "a listing of an unknown project")
    await _agree(h.connector, h.projects.empty, "a listing of an empty project")

    # Enough failures that every page fetched at once (not only the next one) runs out of
    # retries: 12 would be shared out among concurrent pages and let each one through.
    failing = ["transport"] * 40
    for k in (1, 2):
        h.knobs.schedule = ["ok"] * k + failing
        listing = await outcome_of(h.connector.list_records_complete(project))
        h.knobs.schedule = ["ok"] * k + failing
        records, _, verdict = await _streamed(h.connector, project)
        h.knobs.schedule = []
        what = f"with page {k + 1} failing"
        if isinstance(listing, Exception):
            assert isinstance(verdict, Exception) and type(verdict) is type(listing), (
                f"{what}, list_records_complete raised {type(listing).__name__} but "
                f"iter_records {_verdict(verdict)} after {len(records)} records"
            )
            full = ids((await h.connector.list_records_complete(project)).records)
            assert ids(records) == full[: len(records)], (
                f"{what}, iter_records yielded {ids(records)} before the error: not a prefix "
                f"of the listing {full}"
            )
        else:
            assert verdict == listing.is_complete and ids(records) == ids(listing.records), (
                f"{what}, list_records_complete returned {ids(listing.records)} "
                f"(is_complete={listing.is_complete}) but iter_records yielded {ids(records)} "
                f"and {_verdict(verdict)}"
            )

    since = min(r.updated_at for r in seeded) + timedelta(microseconds=1)
    changed = await h.connector.list_changed_since(project, since)
    streamed = [r.id async for r in h.connector.iter_changed_since(project, since)]
    assert sorted(streamed) == sorted(changed) and len(set(streamed)) == len(streamed), (
        f"iter_changed_since yielded {streamed}, list_changed_since returned {changed}"
    )
