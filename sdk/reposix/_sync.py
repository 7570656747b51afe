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
from typing import TYPE_CHECKING, Literal

from reposix._backend import DeleteModel, DeleteReason
from reposix._errors import ConfigError, NotFound, ReposixError
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
Progress = Callable[["SyncJob", int, int], None]
"""``progress(job, done, total)`` after each source record."""

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


async def run_job(
    job: SyncJob,
    *,
    connect: Connect | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Mirror ``job.source`` into ``job.target``; see the module docstring for the rules."""
    from reposix._dispatch import instantiate, resolve

    src_remote = resolve(job.source, environ=environ)
    dst_remote = resolve(job.target, environ=environ)
    if (src_remote.connector, src_remote.origin, src_remote.project) == (
        dst_remote.connector,
        dst_remote.origin,
        dst_remote.project,
    ):
        from reposix._errors import ConfigError

        raise ConfigError(f"{job.target} is the source itself; pick another target")
    build = connect or (lambda parsed: instantiate(parsed, environ=environ))
    key = job_key(src_remote, dst_remote)
    report = SyncReport(job)
    state = SyncState(job.state_path)
    try:
        async with build(src_remote) as source, build(dst_remote) as target:
            listing = await source.list_records_complete(src_remote.project)
            if job.dry_run:
                await _probe(target, dst_remote.project)
            await _mirror(
                job,
                key,
                listing.records,
                source,
                target,
                src_remote,
                dst_remote,
                state,
                report,
                progress,
            )
            if not listing.is_complete:
                report.notes.append("source listing truncated: deletions not propagated")
            elif job.propagate_deletes:
                await _propagate_deletes(
                    job, key, listing.records, target, dst_remote, state, report
                )
    finally:
        state.close()
    return report


async def _probe(target: BackendConnector, project: str) -> None:
    """Read the first page of ``project`` on ``target``, so a dry run fails as the real
    run would on a missing project, a refused credential or an origin off the allowlist
    (raises that typed error), instead of planning creates that cannot happen."""
    async with target.iter_records(project) as stream:
        async for _page in stream.pages():
            break


async def _mirror(
    job: SyncJob,
    key: str,
    records: Sequence[Record],
    source: BackendConnector,
    target: BackendConnector,
    src_remote: ParsedRemote,
    dst_remote: ParsedRemote,
    state: SyncState,
    report: SyncReport,
    progress: Progress | None,
) -> None:
    rows = state.rows(key)
    project = dst_remote.project
    target_listing: list[Record] | None = None
    same_kind = source.name == target.name
    # parents first, so a child can point at its parent's mirror
    ordered = sorted(records, key=lambda r: (r.parent_id is not None, r.id))
    planned: set[int] = set()
    for done, record in enumerate(ordered, start=1):
        token = _token(key, record.id)
        parent_row = rows.get(record.parent_id) if record.parent_id else None
        parent_target = parent_row.target_id if parent_row and parent_row.state == "done" else None
        if job.dry_run and record.parent_id in planned:
            parent_target = record.parent_id  # stands in for the id its planned create gets
        draft = _translate(record, target, same_kind, parent_target, report.uncarried)
        draft = draft.model_copy(
            update={"body": f"{draft.body.rstrip()}\n\n{_footer(src_remote, record.id, token)}"}
        )
        fingerprint = _fingerprint(draft)
        row = rows.get(record.id)
        if row is not None and row.state == "pending":
            if target_listing is None:
                target_listing = (await target.list_records_complete(project)).records
            found = next((r for r in target_listing if token in r.body), None)
            if found is not None:
                report.actions.append(Action("adopt", record.id, found.id, "resumed a create"))
                row = _Row(
                    record.id,
                    "done",
                    token,
                    found.id,
                    _locator(dst_remote, found.id),
                    record.version if row.fingerprint == fingerprint else None,
                    row.fingerprint,
                )
                if not job.dry_run:
                    state.done(key, row)
                if row.fingerprint == fingerprint:
                    if progress is not None:
                        progress(job, done, len(ordered))
                    continue
            else:
                row = None
        if row is None or row.state == "gone":
            if job.dry_run:
                planned.add(record.id)
                report.actions.append(Action("create", record.id))
            else:
                state.pending(key, record.id, token, fingerprint)
                made = await target.create_record(project, sanitize_for_create(Tainted(draft)))
                new = _Row(
                    record.id,
                    "done",
                    token,
                    made.id,
                    _locator(dst_remote, made.id),
                    record.version,
                    fingerprint,
                )
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
                current = await target.get_record(project, row.target_id)
            except NotFound:
                report.notes.append(
                    f"record {record.id}: its mirror {row.target_id} is gone from the target; "
                    "it will be created again on the next run"
                )
                state.done(key, _Row(record.id, "gone", token, None, None, None, ""))
                continue
            patch = current.replace(**draft.model_dump(exclude={"extensions"}))
            meta = ServerMetadata(
                id=current.id,
                created_at=current.created_at,
                updated_at=current.updated_at,
                version=current.version,
            )
            await target.update_record(project, current.id, sanitize(Tainted(patch), meta))
            state.done(
                key,
                _Row(
                    record.id,
                    "done",
                    token,
                    current.id,
                    _locator(dst_remote, current.id),
                    record.version,
                    fingerprint,
                ),
            )
            report.actions.append(Action("update", record.id, current.id))
        if progress is not None:
            progress(job, done, len(ordered))


async def _propagate_deletes(
    job: SyncJob,
    key: str,
    records: Sequence[Record],
    target: BackendConnector,
    dst_remote: ParsedRemote,
    state: SyncState,
    report: SyncReport,
) -> None:
    present = {r.id for r in records}
    model = target.capabilities.delete
    for source_id, row in sorted(state.rows(key).items()):
        if source_id in present or row.state != "done" or row.target_id is None:
            continue
        if model is DeleteModel.NONE:
            report.actions.append(
                Action("keep", source_id, row.target_id, "target cannot delete or close")
            )
            continue
        kind: ActionKind = "delete" if model is DeleteModel.DELETE else "close"
        if not job.dry_run:
            with contextlib.suppress(NotFound):  # already gone on the target: the goal holds
                await target.delete_or_close(
                    dst_remote.project, row.target_id, DeleteReason.NOT_PLANNED
                )
            state.done(key, _Row(source_id, "gone", row.token, None, None, None, ""))
        report.actions.append(Action(kind, source_id, row.target_id))


async def run_jobs(
    jobs: Sequence[SyncJob],
    *,
    connect: Connect | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> list[JobResult]:
    """Run ``jobs`` concurrently; each gets a result, a failing one never cancels another.

    Errors that are not ``Exception`` (a ``KeyboardInterrupt``, a kill) propagate: the
    state file already holds every finished step and every in-flight create's pending row.
    """

    async def one(job: SyncJob) -> JobResult:
        try:
            report = await run_job(job, connect=connect, environ=environ, progress=progress)
        except ReposixError as exc:
            return JobResult(job, error=exc)
        except Exception as exc:
            return JobResult(job, error=exc)
        return JobResult(job, report=report)

    return list(await asyncio.gather(*(one(job) for job in jobs)))
