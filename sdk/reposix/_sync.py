"""``reposix sync``: mirror one source project's records into one or more targets.

The unit of work is a `SyncJob` (one source project → one target), a plain,
JSON-serializable dataclass. The default runner (`run_jobs`) runs jobs
concurrently in-process with asyncio; a job that fails (auth, rate limit, outage,
egress denied) yields its typed error in its `JobResult` and never cancels the
others.

Idempotence lives in a local SQLite state file (`SyncState`): for each job and
source record, the target's remote id and locator (``<remote-url>#<id>``), the source
version last mirrored and a fingerprint of the fields mirrored. A second run creates
nothing and updates only records whose mirrored fields changed.

The crash window (a target created the record but the process died before the state
row was written) is closed by a *pending* row written and committed **before** each
create. The record is created with a reference token in a footer line of its body
(``ref rsx<job>x<id>x``). On the next run a pending row is resolved by listing the
target once and adopting the record whose body carries the token; only if none does is
the record created again. A job creates one record at a time, so at most one create is
in flight per job. The residual risk is a target whose listing lags its writes (a search
index) *and* a crash inside that lag: at most one duplicate per job per crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, cast

from reposix._backend import DeleteModel, DeleteReason
from reposix._errors import ConfigError, NotFound
from reposix._records import Record, RecordDraft
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create

if TYPE_CHECKING:
    from reposix._backend import BackendConnector
    from reposix._dispatch import ParsedRemote

__all__ = [
    "Action",
    "Connect",
    "JobResult",
    "SyncJob",
    "SyncReport",
    "SyncState",
    "default_state_path",
    "job_key",
    "run_job",
    "run_jobs",
]

Connect = Callable[["ParsedRemote"], "BackendConnector"]
"""Builds the connector a parsed remote names (default: [`instantiate`][reposix.instantiate])."""
Progress = Callable[["SyncJob", int, "int | None"], None]
"""``progress(job, done, total)`` after each source record a job has mirrored; ``total``
is None while the source listing is still arriving."""

ActionKind = Literal["create", "update", "adopt", "unchanged", "close", "delete", "keep"]


def default_state_path() -> str:
    """``$REPOSIX_SYNC_STATE``, else ``sync.db`` beside the default audit database."""
    from reposix._audit import default_audit_path
    from reposix._env import SYNC_STATE

    explicit = SYNC_STATE.get()
    if explicit:
        return explicit
    return str(Path(default_audit_path()).with_name("sync.db"))


@dataclass(frozen=True, slots=True)
class SyncJob:
    """One source project mirrored into one target: plain data, serializable.

    ``source`` and ``target`` are remote URLs or specs (``sim::demo``); ``state_path``
    the SQLite state file. ``propagate_deletes``: mirror source deletions as the
    target's capabilities allow (delete, or close as ``not_planned``).
    """

    source: str
    target: str
    state_path: str
    dry_run: bool = False
    propagate_deletes: bool = True

    def to_json(self) -> str:
        """The job as a JSON object (for a queue or a distributed engine)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SyncJob:
        """The inverse of `to_json`."""
        return cls(**json.loads(text))


@dataclass(frozen=True, slots=True)
class Action:
    """One planned or performed step of a job."""

    kind: ActionKind
    source_id: int
    target_id: int | None = None
    note: str = ""


@dataclass(slots=True)
class SyncReport:
    """What a job did (or, with ``dry_run``, would do)."""

    job: SyncJob
    actions: list[Action] = field(default_factory=list)
    uncarried: dict[str, int] = field(default_factory=dict)
    """Field name → how many records the target could not carry it for."""
    notes: list[str] = field(default_factory=list)

    def count(self, kind: ActionKind) -> int:
        """How many actions of ``kind``."""
        return sum(1 for a in self.actions if a.kind == kind)

    def summary(self) -> str:
        """One line: counts per action kind and the fields not carried."""
        kinds: tuple[ActionKind, ...] = (
            "create",
            "update",
            "adopt",
            "close",
            "delete",
            "unchanged",
            "keep",
        )
        parts = [f"{k} {self.count(k)}" for k in kinds if self.count(k)]
        text = ", ".join(parts) or "nothing to do"
        if self.uncarried:
            lost = ", ".join(f"{name} ({n})" for name, n in sorted(self.uncarried.items()))
            text += f"; not carried: {lost}"
        return text


@dataclass(frozen=True, slots=True)
class JobResult:
    """A job's outcome: a report, or the typed error that stopped it."""

    job: SyncJob
    report: SyncReport | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True when the job finished."""
        return self.error is None


@dataclass(frozen=True, slots=True)
class _Row:
    source_id: int
    state: str  # pending | done | gone
    token: str
    target_id: int | None
    target_url: str | None
    source_version: int | None
    fingerprint: str


class SyncState:
    """The SQLite state file: per job and source record, where its mirror lives.

    Every write commits at once, so a killed process loses at most the step in flight.
    """

    def __init__(self, path: str | Path) -> None:
        """Open (creating it and its folder if needed) the state file at ``path``.

        Raises ``ConfigError`` naming the file when it cannot be created or is not a
        SQLite database (a bare ``OSError`` text reached the user before).
        """
        self.path = str(path)
        conn: sqlite3.Connection | None = None
        try:
            if self.path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            self._open(conn)
        except (OSError, sqlite3.Error) as exc:
            if conn is not None:
                conn.close()
            raise ConfigError(
                f"cannot open the sync state file {self.path!r}: {exc}",
                hint="pass a writable path for a SQLite file with --state (or REPOSIX_SYNC_STATE)",
            ) from None
        self._conn = conn

    @staticmethod
    def _open(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            """CREATE TABLE IF NOT EXISTS mirror (
                job TEXT NOT NULL,
                source_id INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'gone')),
                token TEXT NOT NULL,
                target_id INTEGER,
                target_url TEXT,
                source_version INTEGER,
                fingerprint TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (job, source_id)
            )"""
        )

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def jobs(self) -> list[str]:
        """Every job key with rows in this file."""
        return [r[0] for r in self._conn.execute("SELECT DISTINCT job FROM mirror ORDER BY job")]

    def rows(self, job: str) -> dict[int, _Row]:
        """Every row of ``job`` by source id."""
        cur = self._conn.execute(
            "SELECT source_id, state, token, target_id, target_url, source_version, fingerprint"
            " FROM mirror WHERE job = ?",
            (job,),
        )
        return {r[0]: _Row(*r) for r in cur.fetchall()}

    def _put(self, job: str, row: _Row) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO mirror VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job,
                row.source_id,
                row.state,
                row.token,
                row.target_id,
                row.target_url,
                row.source_version,
                row.fingerprint,
                datetime.now(UTC).isoformat(),
            ),
        )

    def pending(self, job: str, source_id: int, token: str, fingerprint: str) -> None:
        """Record that a create is about to be sent (committed before it is)."""
        self._put(job, _Row(source_id, "pending", token, None, None, None, fingerprint))

    def done(self, job: str, row: _Row) -> None:
        """Record the mirror of a source record."""
        self._put(job, row)


def job_key(source: ParsedRemote, target: ParsedRemote) -> str:
    """The state's key for a job: connector, API root and project of both ends.

    Built from what identifies a project, not from the URL as typed, so ``sim::demo``
    and ``http://127.0.0.1:7878/projects/demo`` (or GitHub's web and API forms) share
    one mapping and never mirror twice.
    """

    def end(remote: ParsedRemote) -> str:
        return f"{remote.connector}:{remote.base_url}:{remote.project}"

    return f"{end(source)} -> {end(target)}"


def _token(job_key: str, source_id: int) -> str:
    digest = hashlib.sha256(job_key.encode()).hexdigest()[:10]
    return f"rsx{digest}x{source_id}x"


def _footer(source: ParsedRemote, source_id: int, token: str) -> str:
    return f"mirrored by reposix sync from {source.spec} record {source_id}, ref {token}"


def _locator(remote: ParsedRemote, record_id: int) -> str:
    """Where a mirrored record lives: the target's remote URL with ``#<id>``.

    Connectors do not hand out web URLs (URLs are not record data), so the state keeps
    the locator ``reposix get <remote-url> <id>`` takes.
    """
    return f"{remote.url}#{record_id}"


def _fingerprint(draft: RecordDraft) -> str:
    return hashlib.sha256(draft.model_dump_json().encode()).hexdigest()


def _translate(
    record: Record,
    target: BackendConnector,
    same_kind: bool,
    parent_target: int | None,
    uncarried: dict[str, int],
) -> RecordDraft:
    """The draft ``target`` can carry for ``record``; what it cannot is counted."""

    def lose(name: str) -> None:
        uncarried[name] = uncarried.get(name, 0) + 1

    labels = [name for name in record.labels if target.accepts_label(name)]
    if len(labels) != len(record.labels):
        lose("labels")
    if "labels" in target.uncarried_fields and labels:
        lose("labels")
        labels = []
    assignee = record.assignee
    if assignee is not None and (not same_kind or "assignee" in target.uncarried_fields):
        lose("assignee")  # users are not mapped across trackers
        assignee = None
    parent = None
    if record.parent_id is not None:
        if target.capabilities.hierarchy and parent_target is not None:
            parent = parent_target
        else:
            lose("parent_id")
    if record.extensions:
        lose("extensions")  # connector-specific by definition
    return RecordDraft(
        title=record.title,
        status=record.status,
        assignee=assignee,
        labels=labels,
        body=record.body,
        parent_id=parent,
    )


class _Failed:
    """Put on a lane's queue when the source listing failed: the lane ends with ``error``."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


_END: Final = object()
"""Put on a lane's queue after the last page: the listing ended (see ``_Source.complete``)."""

_QUEUE_PAGES: Final = 4
"""Pages a lane may hold before the source listing waits for it (backpressure: a slow
target slows the listing down, it never makes the fan-out drop or buffer without bound)."""


@dataclass(slots=True)
class _Source:
    """What every lane learns about the source listing once it has ended."""

    complete: bool = False
    reason: str | None = None


class _Lane:
    """One job of a fan-out: one target, fed the source listing page by page."""

    def __init__(
        self,
        job: SyncJob,
        key: str,
        src_remote: ParsedRemote,
        dst_remote: ParsedRemote,
        source_name: str,
        target: BackendConnector,
        state: SyncState,
        progress: Progress | None,
    ) -> None:
        self.job, self.key, self.target, self.state = job, key, target, state
        self.src_remote, self.dst_remote, self.progress = src_remote, dst_remote, progress
        self.report = SyncReport(job)
        self.queue: asyncio.Queue[object] = asyncio.Queue(maxsize=_QUEUE_PAGES)
        self.rows = state.rows(key)
        self.same_kind = source_name == target.name
        self.target_listing: list[Record] | None = None
        self.planned: set[int] = set()
        self.seen: set[int] = set()
        self.handled: set[int] = set()
        self.done = 0
        self.ended = False
        """The queue has delivered its last item (the end or the source's failure)."""

    async def _next(self) -> object:
        item = await self.queue.get()
        self.ended = item is _END or isinstance(item, _Failed)
        return item

    async def run(self, listing: _Source) -> SyncReport:
        """Mirror every record the queue brings; then deletions, if the listing was whole.

        A record whose parent has not been mirrored yet waits until the listing ends, so a
        child can point at its parent's mirror whatever order the source lists them in.
        """
        waiting: list[Record] = []
        while (item := await self._next()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            for record in cast("list[Record]", item):
                self.seen.add(record.id)
                if record.parent_id is None or record.parent_id in self.handled:
                    await self._mirror(record, total=None)
                else:
                    waiting.append(record)
        total = len(self.seen)
        for record in sorted(waiting, key=lambda r: (r.parent_id is not None, r.id)):
            await self._mirror(record, total=total)
        if self.progress is not None:
            self.progress(self.job, self.done, total)
        if not listing.complete:
            self.report.notes.append("source listing truncated: deletions not propagated")
        elif self.job.propagate_deletes:
            await self._propagate_deletes()
        return self.report

    async def drain(self) -> None:
        """Take what is left of the listing after a failure, so the source never waits."""
        while not self.ended:
            await self._next()

    async def _mirror(self, record: Record, *, total: int | None) -> None:
        await self._mirror_one(record)
        self.handled.add(record.id)
        self.done += 1
        if self.progress is not None:
            self.progress(self.job, self.done, total)

    def _mirrored(
        self, source_id: int, token: str, target_id: int, version: int | None, fingerprint: str
    ) -> _Row:
        """The state row of a record mirrored as ``target_id`` (with its locator)."""
        locator = _locator(self.dst_remote, target_id)
        return _Row(source_id, "done", token, target_id, locator, version, fingerprint)

    async def _mirror_one(self, record: Record) -> None:
        job, key, state, rows, report = self.job, self.key, self.state, self.rows, self.report
        project = self.dst_remote.project
        token = _token(key, record.id)
        parent_row = rows.get(record.parent_id) if record.parent_id else None
        parent_target = parent_row.target_id if parent_row and parent_row.state == "done" else None
        if job.dry_run and record.parent_id in self.planned:
            parent_target = record.parent_id  # stands in for the id its planned create gets
        draft = _translate(record, self.target, self.same_kind, parent_target, report.uncarried)
        footer = _footer(self.src_remote, record.id, token)
        draft = draft.model_copy(update={"body": f"{draft.body.rstrip()}\n\n{footer}"})
        fingerprint = _fingerprint(draft)
        row = rows.get(record.id)
        if row is not None and row.state == "pending":
            if self.target_listing is None:
                self.target_listing = (await self.target.list_records_complete(project)).records
            found = next((r for r in self.target_listing if token in r.body), None)
            if found is not None:
                report.actions.append(Action("adopt", record.id, found.id, "resumed a create"))
                version = record.version if row.fingerprint == fingerprint else None
                row = self._mirrored(record.id, token, found.id, version, row.fingerprint)
                if not job.dry_run:
                    state.done(key, row)
                rows[record.id] = row
                if row.fingerprint == fingerprint:
                    return
            else:
                row = None
        if row is None or row.state == "gone":
            if job.dry_run:
                self.planned.add(record.id)
                report.actions.append(Action("create", record.id))
                return
            state.pending(key, record.id, token, fingerprint)
            made = await self.target.create_record(project, sanitize_for_create(Tainted(draft)))
            new = self._mirrored(record.id, token, made.id, record.version, fingerprint)
            state.done(key, new)
            rows[record.id] = new
            report.actions.append(Action("create", record.id, made.id))
        elif row.fingerprint == fingerprint:
            report.actions.append(Action("unchanged", record.id, row.target_id))
        elif job.dry_run:
            report.actions.append(Action("update", record.id, row.target_id))
        else:
            assert row.target_id is not None
            try:
                current = await self.target.get_record(project, row.target_id)
            except NotFound:
                report.notes.append(
                    f"record {record.id}: its mirror {row.target_id} is gone from the target; "
                    "it will be created again on the next run"
                )
                state.done(key, _Row(record.id, "gone", token, None, None, None, ""))
                return
            patch = current.replace(**draft.model_dump(exclude={"extensions"}))
            meta = ServerMetadata(
                id=current.id,
                created_at=current.created_at,
                updated_at=current.updated_at,
                version=current.version,
            )
            await self.target.update_record(project, current.id, sanitize(Tainted(patch), meta))
            new = self._mirrored(record.id, token, current.id, record.version, fingerprint)
            state.done(key, new)
            rows[record.id] = new
            report.actions.append(Action("update", record.id, current.id))

    async def _propagate_deletes(self) -> None:
        job, key, state, report = self.job, self.key, self.state, self.report
        model = self.target.capabilities.delete
        for source_id, row in sorted(state.rows(key).items()):
            if source_id in self.seen or row.state != "done" or row.target_id is None:
                continue
            if model is DeleteModel.NONE:
                report.actions.append(
                    Action("keep", source_id, row.target_id, "target cannot delete or close")
                )
                continue
            kind: ActionKind = "delete" if model is DeleteModel.DELETE else "close"
            if not job.dry_run:
                with contextlib.suppress(NotFound):  # already gone on the target: the goal holds
                    await self.target.delete_or_close(
                        self.dst_remote.project, row.target_id, DeleteReason.NOT_PLANNED
                    )
                state.done(key, _Row(source_id, "gone", row.token, None, None, None, ""))
            report.actions.append(Action(kind, source_id, row.target_id))


def _source_key(remote: ParsedRemote) -> tuple[str, str, str]:
    return (remote.connector, remote.base_url, remote.project)


async def _probe(target: BackendConnector, project: str) -> None:
    """Read the first page of ``project`` on ``target``, so a dry run fails as the real
    run would on a missing project, a refused credential or an origin off the allowlist
    (raises that typed error), instead of planning creates that cannot happen."""
    async with target.iter_records(project) as stream:
        async for _page in stream.pages():
            break


async def _fan_out(
    jobs: Sequence[SyncJob],
    src_remote: ParsedRemote,
    dst_remotes: Sequence[ParsedRemote],
    build: Connect,
    progress: Progress | None,
) -> list[SyncReport | Exception]:
    """List ``src_remote`` once and mirror each page into every job's target as it arrives.

    Returns, per job, its report or the ``Exception`` that stopped it (one failing target
    never stops the others; a failing source listing fails every job). Anything that is
    not an ``Exception`` (a kill) cancels every lane and propagates.
    """
    outcomes: list[SyncReport | Exception] = []
    async with contextlib.AsyncExitStack() as stack:
        source = await stack.enter_async_context(build(src_remote))
        lanes: list[_Lane | None] = []
        for job, dst_remote in zip(jobs, dst_remotes, strict=True):
            try:
                target = await stack.enter_async_context(build(dst_remote))
                if job.dry_run:
                    await _probe(target, dst_remote.project)
                state = SyncState(job.state_path)
            except Exception as exc:
                outcomes.append(exc)
                lanes.append(None)
                continue
            stack.callback(state.close)
            key = job_key(src_remote, dst_remote)
            lanes.append(
                _Lane(job, key, src_remote, dst_remote, source.name, target, state, progress)
            )
            outcomes.append(Exception("not run"))
        live = [lane for lane in lanes if lane is not None]
        listing = _Source()

        async def produce() -> None:
            stream = source.iter_records(src_remote.project)
            end: object = _END
            try:
                async for page in stream.pages():
                    for lane in live:
                        await lane.queue.put(list(page))
                listing.complete, listing.reason = stream.is_complete, stream.reason
            except Exception as exc:  # every lane fails with the source's error
                end = _Failed(exc)
            for lane in live:
                await lane.queue.put(end)

        async def consume(lane: _Lane) -> SyncReport | Exception:
            try:
                return await lane.run(listing)
            except Exception as exc:
                await lane.drain()
                return exc

        tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(produce())]
        tasks += [asyncio.ensure_future(consume(lane)) for lane in live]
        try:
            done = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        results = iter(done[1:])
        for i, lane in enumerate(lanes):
            if lane is not None:
                outcomes[i] = cast("SyncReport | Exception", next(results))
    return outcomes


def _resolve(job: SyncJob, environ: Mapping[str, str] | None) -> tuple[ParsedRemote, ParsedRemote]:
    from reposix._dispatch import resolve
    from reposix._errors import ConfigError

    src_remote = resolve(job.source, environ=environ)
    dst_remote = resolve(job.target, environ=environ)
    if (src_remote.connector, src_remote.origin, src_remote.project) == (
        dst_remote.connector,
        dst_remote.origin,
        dst_remote.project,
    ):
        raise ConfigError(f"{job.target} is the source itself; pick another target")
    return src_remote, dst_remote


async def run_job(
    job: SyncJob,
    *,
    connect: Connect | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Mirror ``job.source`` into ``job.target``; raise the typed error that stops it.

    See the module docstring for the rules; `run_jobs` runs several jobs, listing each
    source once.
    """
    (result,) = await run_jobs([job], connect=connect, environ=environ, progress=progress)
    if result.error is not None:
        raise result.error
    assert result.report is not None
    return result.report


async def run_jobs(
    jobs: Sequence[SyncJob],
    *,
    connect: Connect | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> list[JobResult]:
    """Run ``jobs`` concurrently; each gets a result, a failing one never cancels another.

    Jobs that share a source project list it **once**: each page is handed to every one of
    their targets as it arrives (a bounded queue per target, so a slow target slows the
    listing instead of anything being dropped). ``progress(job, done, total)`` is called
    after each record a job mirrors; ``total`` is None until the listing has ended.

    Errors that are not ``Exception`` (a ``KeyboardInterrupt``, a kill) propagate: the
    state file already holds every finished step and every in-flight create's pending row.
    """
    from reposix._dispatch import instantiate

    build: Connect = connect or (lambda parsed: instantiate(parsed, environ=environ))
    results: list[JobResult | None] = [None] * len(jobs)
    groups: dict[tuple[str, str, str], list[tuple[int, ParsedRemote, ParsedRemote]]] = {}
    for i, job in enumerate(jobs):
        try:
            src_remote, dst_remote = _resolve(job, environ)
        except Exception as exc:
            results[i] = JobResult(job, error=exc)
            continue
        groups.setdefault(_source_key(src_remote), []).append((i, src_remote, dst_remote))

    async def group(members: list[tuple[int, ParsedRemote, ParsedRemote]]) -> None:
        chosen = [jobs[i] for i, _, _ in members]
        try:
            outcomes = await _fan_out(
                chosen, members[0][1], [dst for _, _, dst in members], build, progress
            )
        except Exception as exc:  # the source could not be opened or closed
            outcomes = [exc] * len(members)
        for (i, _, _), outcome in zip(members, outcomes, strict=True):
            if isinstance(outcome, Exception):
                results[i] = JobResult(jobs[i], error=outcome)
            else:
                results[i] = JobResult(jobs[i], report=outcome)

    await asyncio.gather(*(group(members) for members in groups.values()))
    return [r for r in results if r is not None]
