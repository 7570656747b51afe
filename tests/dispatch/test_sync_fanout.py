"""``reposix sync`` lists a source once per run and streams it to every target.

In-memory connectors stand in for the trackers: the source yields its records page by page
and counts how often it is listed; the targets keep what they are sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reposix import (
    BackendConnector,
    Capabilities,
    DeleteModel,
    DeleteReason,
    Listing,
    NotFound,
    ParsedRemote,
    Record,
    RecordDraft,
    RecordStatus,
    RecordStream,
    TransportError,
    Untainted,
    require_untainted,
)
from reposix._sync import SyncJob, SyncState, run_jobs

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _record(i: int, *, parent: int | None = None, title: str | None = None) -> Record:
    return Record(
        id=i,
        title=title or f"record {i}",
        status=RecordStatus.OPEN,
        created_at=T0,
        updated_at=T0 + timedelta(seconds=i),
        version=1,
        parent_id=parent,
    )


class Source(BackendConnector):
    """A read-only source: ``pages`` of records, then (optionally) a failure or truncation."""

    name = "memory"
    capabilities = Capabilities(hierarchy=True)

    def __init__(self, pages: list[list[Record]], log: list[str]) -> None:
        super().__init__()
        self.pages, self.log = pages, log
        self.listings = 0
        self.fail_after: int | None = None
        self.complete = True

    def iter_records(self, project: str) -> RecordStream:
        self.listings += 1

        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            for n, page in enumerate(self.pages, start=1):
                if self.fail_after is not None and n > self.fail_after:
                    raise TransportError("the source dropped the connection (injected)")
                self.log.append(f"page {n}")
                yield page
            stream.finish(complete=self.complete, reason="truncated (injected)")

        return RecordStream(source)

    async def list_records_complete(self, project: str) -> Listing:
        self.listings += 1
        return Listing([r for page in self.pages for r in page], self.complete)

    async def get_record(self, project: str, record_id: int) -> Record:
        raise NotFound(f"{record_id}")


class Target(BackendConnector):
    """A writable in-memory target; ``fail_after`` creates, it raises ``TransportError``."""

    name = "memory"
    capabilities = Capabilities(create=True, update=True, delete=DeleteModel.DELETE, hierarchy=True)

    def __init__(self, label: str, log: list[str]) -> None:
        super().__init__()
        self.label, self.log = label, log
        self.records: dict[int, Record] = {}
        self.fail_after: int | None = None

    async def list_records_complete(self, project: str) -> Listing:
        return Listing(list(self.records.values()), True)

    async def get_record(self, project: str, record_id: int) -> Record:
        if record_id not in self.records:
            raise NotFound(f"{record_id}")
        return self.records[record_id]

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        if self.fail_after is not None and len(self.records) >= self.fail_after:
            raise TransportError(f"{self.label} reset the connection (injected)")
        value = require_untainted(draft, RecordDraft)
        new_id = len(self.records) + 1
        self.log.append(f"{self.label} create {value.title}")
        made = Record(id=new_id, created_at=T0, updated_at=T0, version=1, **value.model_dump())
        self.records[new_id] = made
        return made

    async def update_record(
        self, project: str, record_id: int, patch: Untainted[Record], expected_version: Any = None
    ) -> Record:
        value = require_untainted(patch, Record)
        self.records[record_id] = value
        return value

    async def delete_or_close(self, project: str, record_id: int, reason: DeleteReason) -> None:
        self.records.pop(record_id)


class World:
    def __init__(self, pages: list[list[Record]], targets: Sequence[str]) -> None:
        self.log: list[str] = []
        self.source = Source(pages, self.log)
        self.targets = {name: Target(name, self.log) for name in targets}

    def connect(self, parsed: ParsedRemote) -> BackendConnector:
        if parsed.project == "src":
            return self.source
        return self.targets[parsed.project]

    def jobs(self, state: Path, **kw: Any) -> list[SyncJob]:
        return [SyncJob("sim::src", f"sim::{t}", str(state), **kw) for t in self.targets]


def _pages(n: int, per_page: int = 1) -> list[list[Record]]:
    ids = iter(range(1, n * per_page + 1))
    return [[_record(next(ids)) for _ in range(per_page)] for _ in range(n)]


async def test_the_source_is_listed_once_for_every_target(tmp_path: Path) -> None:
    world = World(_pages(12), ["t1", "t2", "t3"])
    results = await run_jobs(world.jobs(tmp_path / "s.db"), connect=world.connect)
    assert world.source.listings == 1  # not once per target
    for result, target in zip(results, world.targets.values(), strict=True):
        assert result.report is not None, result.error
        assert result.report.count("create") == 12
        assert sorted(r.title for r in target.records.values()) == sorted(
            f"record {i}" for i in range(1, 13)
        )
    again = await run_jobs(world.jobs(tmp_path / "s.db"), connect=world.connect)
    assert world.source.listings == 2  # one more run, one more listing
    assert [r.report.count("unchanged") for r in again if r.report] == [12, 12, 12]


async def test_targets_write_while_the_listing_is_still_arriving(tmp_path: Path) -> None:
    world = World(_pages(20), ["t1", "t2"])
    await run_jobs(world.jobs(tmp_path / "s.db"), connect=world.connect)
    first_write = world.log.index("t1 create record 1")
    assert first_write < world.log.index("page 20"), "the targets waited for the whole listing"
    # a bounded queue: the listing never runs more than a few pages ahead of a target
    for n in range(1, 21):
        created = world.log.index(f"t2 create record {n}")
        assert world.log.index(f"page {min(n + 6, 20)}") > created or n + 6 > 20


async def test_children_listed_before_their_parent_still_point_at_its_mirror(
    tmp_path: Path,
) -> None:
    pages = [[_record(2, parent=1), _record(3, parent=2)], [_record(1)]]
    world = World(pages, ["t1"])
    (result,) = await run_jobs(world.jobs(tmp_path / "s.db"), connect=world.connect)
    assert result.report is not None, result.error
    by_title = {r.title: r for r in world.targets["t1"].records.values()}
    assert by_title["record 2"].parent_id == by_title["record 1"].id
    assert by_title["record 3"].parent_id == by_title["record 2"].id


async def test_a_failing_target_stops_only_itself_and_never_stalls_the_listing(
    tmp_path: Path,
) -> None:
    world = World(_pages(15), ["t1", "t2"])
    world.targets["t1"].fail_after = 2
    ok_result: Any
    failed, ok_result = await run_jobs(world.jobs(tmp_path / "s.db"), connect=world.connect)
    assert isinstance(failed.error, TransportError)
    assert ok_result.report is not None
    assert ok_result.report.count("create") == 15
    assert len(world.targets["t2"].records) == 15
    assert world.source.listings == 1


async def test_a_failing_source_fails_every_job_and_deletes_nothing(tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    world = World(_pages(6), ["t1", "t2"])
    await run_jobs(world.jobs(state), connect=world.connect)
    world.source.fail_after = 3  # pages 4..6 never arrive
    results = await run_jobs(world.jobs(state), connect=world.connect)
    assert [type(r.error) for r in results] == [TransportError, TransportError]
    assert [len(t.records) for t in world.targets.values()] == [6, 6], "a partial listing"


async def test_a_truncated_listing_propagates_no_deletions(tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    world = World(_pages(4), ["t1"])
    await run_jobs(world.jobs(state), connect=world.connect)
    world.source.pages = world.source.pages[:2]
    world.source.complete = False
    (result,) = await run_jobs(world.jobs(state), connect=world.connect)
    assert result.report is not None
    assert result.report.count("delete") == 0
    assert "truncated" in " ".join(result.report.notes)
    world.source.complete = True
    (result,) = await run_jobs(world.jobs(state), connect=world.connect)
    assert result.report is not None
    assert result.report.count("delete") == 2


async def test_progress_counts_each_targets_records_and_learns_the_total_at_the_end(
    tmp_path: Path,
) -> None:
    world = World(_pages(5, per_page=2), ["t1", "t2"])
    seen: list[tuple[str, int, int | None]] = []
    await run_jobs(
        world.jobs(tmp_path / "s.db"),
        connect=world.connect,
        progress=lambda job, done, total: seen.append((job.target, done, total)),
    )
    for target in ("sim::t1", "sim::t2"):
        mine = [(done, total) for t, done, total in seen if t == target]
        assert [done for done, _ in mine[:-1]] == list(range(1, 11))
        assert all(total is None for _, total in mine[:-1])
        assert mine[-1] == (10, 10)


async def test_jobs_from_different_sources_are_listed_separately(tmp_path: Path) -> None:
    world = World(_pages(3), ["t1"])
    other = Source(_pages(2), world.log)

    def connect(parsed: ParsedRemote) -> BackendConnector:
        return other if parsed.project == "other" else world.connect(parsed)

    jobs = [
        SyncJob("sim::src", "sim::t1", str(tmp_path / "a.db")),
        SyncJob("sim::other", "sim::t1", str(tmp_path / "b.db")),
        SyncJob("sim::src", "sim::src", str(tmp_path / "c.db")),  # refused: its own source
    ]
    results = await run_jobs(jobs, connect=connect)
    assert (world.source.listings, other.listings) == (1, 1)
    assert [r.ok for r in results] == [True, True, False]
    assert "is the source itself" in str(results[2].error)
    state = SyncState(tmp_path / "a.db")
    assert len(state.jobs()) == 1
    state.close()


@pytest.mark.parametrize("dry_run", [True, False])
async def test_dry_run_and_real_run_plan_the_same_creates(tmp_path: Path, dry_run: bool) -> None:
    world = World(_pages(4), ["t1", "t2"])
    results = await run_jobs(world.jobs(tmp_path / "s.db", dry_run=dry_run), connect=world.connect)
    assert [r.report.count("create") for r in results if r.report] == [4, 4]
    assert [len(t.records) for t in world.targets.values()] == ([0, 0] if dry_run else [4, 4])
