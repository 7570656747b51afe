"""The simulator's state: projects and records in SQLite (``:memory:`` or a file).

One code path for both storage modes, so the persistence tests exercise exactly
what the in-memory default runs. The store is thread-safe (one lock around one
connection) and knows nothing about HTTP; the app maps its exceptions to statuses.

Invariants it keeps (each closes a way a simulator can mislead a client):

- ids are global, assigned by ``AUTOINCREMENT`` and never reused, even after the
  highest id is deleted and the file is reopened;
- timestamps have microsecond precision and strictly increase across writes, so
  ``updated_at > since`` is exact;
- a write that changes nothing (an empty PATCH, a close to the current status) does
  not bump the version, the timestamp or `mutations`;
- unknown projects are errors, never silently created by a write.
"""

from __future__ import annotations

import builtins
import hashlib
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from reposix._backend import DeleteReason
from reposix._clock import Clock, SystemClock
from reposix._errors import InvalidRecord
from reposix._records import SERVER_FIELDS, Record, RecordDraft, RecordStatus

_RECORDS = TypeAdapter(list[Record])

__all__ = [
    "USER_FIELDS",
    "Conflict",
    "IdempotencyReuse",
    "InvalidChange",
    "Project",
    "ProjectExists",
    "SimStore",
    "StoreError",
    "UnknownProject",
    "UnknownRecord",
    "fingerprint",
    "format_ts",
    "valid_slug",
]

USER_FIELDS: frozenset[str] = frozenset(RecordDraft.model_fields)
"""Fields a client may send on create or update."""

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_ONE_MICRO = timedelta(microseconds=1)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL REFERENCES projects(slug),
    updated_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_project ON records(project, id);
CREATE TABLE IF NOT EXISTS idempotency (
    project TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (project, key)
);
"""


class StoreError(Exception):
    """Base of the store's refusals; ``code`` is the stable machine-readable reason."""

    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnknownProject(StoreError, KeyError):
    """No project with this slug (create it with ``POST /projects`` or in the seed)."""

    code = "not_found"

    def __init__(self, project: str) -> None:
        super().__init__(f"project {project!r} does not exist")
        self.project = project


class UnknownRecord(StoreError, KeyError):
    """No record with this id in this project."""

    code = "not_found"

    def __init__(self, project: str, record_id: int) -> None:
        super().__init__(f"record {record_id} does not exist in project {project!r}")
        self.project = project
        self.record_id = record_id


class ProjectExists(StoreError):
    """``POST /projects`` for a slug that is taken."""

    code = "conflict"

    def __init__(self, project: str) -> None:
        super().__init__(f"project {project!r} already exists")


class Conflict(StoreError):
    """The caller's expected version is stale (HTTP 409)."""

    code = "version_mismatch"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"expected version {expected}, but the record is at version {actual}; "
            're-read it and retry with If-Match: "' + str(actual) + '"'
        )
        self.expected = expected
        self.actual = actual


class InvalidChange(StoreError, ValueError):
    """A create or update the record schema refuses (HTTP 400); ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class IdempotencyReuse(StoreError):
    """An ``Idempotency-Key`` replayed with a different request body (HTTP 422)."""

    code = "idempotency_key_reused"


@dataclass(frozen=True, slots=True)
class Project:
    """A project: a slug (its path component) and a display name."""

    slug: str
    name: str
    created_at: datetime


def valid_slug(slug: str) -> bool:
    """Whether ``slug`` is a usable project slug: 1-64 of ``[A-Za-z0-9._-]``, not ``.``/``..``."""
    return bool(_SLUG.match(slug))


def format_ts(value: datetime) -> str:
    """Fixed-width UTC with microseconds and ``Z``: sorts lexicographically = chronologically."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fingerprint(body: bytes) -> str:
    """Identity of a request body, to tell a replay from a key reused for another request."""
    return hashlib.sha256(body).hexdigest()


class SimStore:
    """Projects and records of one simulator, with versions and server timestamps.

    ``path`` is ``":memory:"`` (default) or a SQLite file that survives restarts.
    ``clock`` stamps every write; when it is virtual (has ``advance``) each stamp
    first advances it by ``tick`` seconds (sub-minute on purpose, so minute-precision
    incremental queries are caught out). Pass ``tick=None`` to advance it yourself.

    The conformance kit reads and seeds it directly (``add_project``, ``seed``,
    ``list``, ``get``, ``mutations``): it satisfies the kit's ``ServerState``.
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        clock: Clock | None = None,
        tick: float | None = 7.0,
    ) -> None:
        self.path = str(path)
        self.clock: Clock = clock or SystemClock()
        self.tick = tick
        self.mutations = 0
        """Count of record writes that changed state (create, effective update/close, delete);
        seeding and project creation are not counted."""
        self._lock = threading.RLock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        setconfig = getattr(self._conn, "setconfig", None)  # Python >= 3.12
        defensive = getattr(sqlite3, "SQLITE_DBCONFIG_DEFENSIVE", None)
        if setconfig is not None and defensive is not None:
            setconfig(defensive, True)
        self._conn.execute("PRAGMA foreign_keys=ON")
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)
        row = self._conn.execute("SELECT MAX(updated_at) FROM records").fetchone()
        self._last: datetime | None = datetime.fromisoformat(row[0]) if row and row[0] else None

    def __repr__(self) -> str:
        return f"SimStore({self.path!r})"

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    # -- internals ---------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _stamp(self) -> datetime:
        advance = getattr(self.clock, "advance", None)
        if self.tick and callable(advance):
            advance(self.tick)
        now = self.clock.now().astimezone(UTC)
        if self._last is not None and now <= self._last:
            now = self._last + _ONE_MICRO
        self._last = now
        return now

    def _require_project(self, conn: sqlite3.Connection, project: str) -> None:
        if conn.execute("SELECT 1 FROM projects WHERE slug = ?", (project,)).fetchone() is None:
            raise UnknownProject(project)

    def _load(self, conn: sqlite3.Connection, project: str, record_id: int) -> Record | None:
        row = conn.execute(
            "SELECT data FROM records WHERE project = ? AND id = ?", (project, record_id)
        ).fetchone()
        return Record.model_validate_json(row[0]) if row else None

    def _check_parent(
        self, conn: sqlite3.Connection, project: str, record_id: int | None, parent: int | None
    ) -> None:
        if parent is None:
            return
        if parent == record_id:
            raise InvalidChange("invalid_parent", "a record cannot be its own parent")
        seen: set[int] = set()
        current: int | None = parent
        while current is not None and current not in seen:
            seen.add(current)
            found = self._load(conn, project, current)
            if found is None:
                if current == parent:
                    raise InvalidChange(
                        "invalid_parent",
                        f"parent_id {parent} is not a record of project {project!r}",
                    )
                return
            if found.parent_id == record_id and record_id is not None:
                raise InvalidChange(
                    "invalid_parent", f"parent_id {parent} would make a cycle through {record_id}"
                )
            current = found.parent_id

    def _write(self, conn: sqlite3.Connection, project: str, record: Record) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO records (id, project, updated_at, data) VALUES (?, ?, ?, ?)",
            (record.id, project, format_ts(record.updated_at), record.model_dump_json()),
        )

    def _insert(
        self, conn: sqlite3.Connection, project: str, draft: RecordDraft, record_id: int | None
    ) -> Record:
        self._check_parent(conn, project, record_id, draft.parent_id)
        now = self._stamp()
        if record_id is None:
            cursor = conn.execute(
                "INSERT INTO records (project, updated_at, data) VALUES (?, '', '{}')", (project,)
            )
            assert cursor.lastrowid is not None
            record_id = cursor.lastrowid
        elif conn.execute("SELECT 1 FROM records WHERE id = ?", (record_id,)).fetchone():
            raise InvalidChange("conflict", f"record id {record_id} is taken")
        record = Record(
            id=record_id, created_at=now, updated_at=now, version=1, **draft.model_dump()
        )
        self._write(conn, project, record)
        return record

    # -- projects ----------------------------------------------------------------------------

    def add_project(self, project: str, name: str | None = None, *, exist_ok: bool = True) -> None:
        """Create an empty project (a no-op if it exists, unless ``exist_ok`` is False)."""
        if not valid_slug(project):
            raise InvalidChange(
                "invalid_slug",
                f"project slug {project!r} must be 1-64 of [A-Za-z0-9._-], "
                "starting with a letter or digit",
            )
        with self._tx() as conn:
            exists = conn.execute("SELECT 1 FROM projects WHERE slug = ?", (project,)).fetchone()
            if exists:
                if not exist_ok:
                    raise ProjectExists(project)
                return
            conn.execute(
                "INSERT INTO projects (slug, name, created_at) VALUES (?, ?, ?)",
                (project, name or project, format_ts(self.clock.now())),
            )

    def has_project(self, project: str) -> bool:
        """Whether the project exists."""
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM projects WHERE slug = ?", (project,))
            return row.fetchone() is not None

    def project(self, project: str) -> Project:
        """One project; ``UnknownProject`` if absent."""
        with self._lock:
            row = self._conn.execute(
                "SELECT slug, name, created_at FROM projects WHERE slug = ?", (project,)
            ).fetchone()
        if row is None:
            raise UnknownProject(project)
        return Project(row[0], row[1], datetime.fromisoformat(row[2]))

    def projects(self) -> builtins.list[Project]:
        """Every project, by slug."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT slug, name, created_at FROM projects ORDER BY slug"
            ).fetchall()
        return [Project(r[0], r[1], datetime.fromisoformat(r[2])) for r in rows]

    # -- reads -------------------------------------------------------------------------------

    def list(
        self,
        project: str,
        *,
        since: datetime | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> builtins.list[Record]:
        """Records of ``project`` in id order.

        ``since``: only ``updated_at`` strictly after it. ``after``/``limit``: keyset
        page (ids greater than ``after``). ``UnknownProject`` for an unknown slug.
        """
        sql = "SELECT data FROM records WHERE project = ? AND id > ?"
        args: builtins.list[Any] = [project, after]
        if since is not None:
            sql += " AND updated_at > ?"
            args.append(format_ts(since))
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._lock:
            self._require_project(self._conn, project)
            rows = self._conn.execute(sql, args).fetchall()
        # One validation pass over the whole page is markedly cheaper than one per row.
        return _RECORDS.validate_json("[" + ",".join(r[0] for r in rows) + "]")

    def count(self, project: str, *, since: datetime | None = None, after: int = 0) -> int:
        """How many records ``list(project, since=since, after=after)`` would return."""
        sql = "SELECT COUNT(*) FROM records WHERE project = ? AND id > ?"
        args: builtins.list[Any] = [project, after]
        if since is not None:
            sql += " AND updated_at > ?"
            args.append(format_ts(since))
        with self._lock:
            self._require_project(self._conn, project)
            return int(self._conn.execute(sql, args).fetchone()[0])

    def get(self, project: str, record_id: int) -> Record | None:
        """One record, or None (also for an unknown project)."""
        with self._lock:
            return self._load(self._conn, project, record_id)

    def require(self, project: str, record_id: int) -> Record:
        """One record; ``UnknownProject`` or ``UnknownRecord`` if absent."""
        with self._lock:
            self._require_project(self._conn, project)
            record = self._load(self._conn, project, record_id)
        if record is None:
            raise UnknownRecord(project, record_id)
        return record

    # -- writes ------------------------------------------------------------------------------

    def seed(self, project: str, drafts: Sequence[RecordDraft]) -> builtins.list[Record]:
        """Create ``project`` if needed and insert ``drafts``; not counted as mutations."""
        return self.seed_with_ids(project, [(None, d) for d in drafts])

    def seed_with_ids(
        self, project: str, entries: Sequence[tuple[int | None, RecordDraft]]
    ) -> builtins.list[Record]:
        """Like `seed`, but an entry may fix its id (so seed files can name parents)."""
        self.add_project(project)
        with self._tx() as conn:
            return [self._insert(conn, project, draft, rid) for rid, draft in entries]

    def create(
        self,
        project: str,
        draft: RecordDraft,
        *,
        idempotency_key: str | None = None,
        request_fingerprint: str = "",
    ) -> tuple[Record, bool]:
        """Create a record: ``(record, replayed)``.

        With ``idempotency_key``, a second call with the same key and fingerprint
        returns the first record and ``replayed=True`` without creating anything; the
        same key with another fingerprint raises ``IdempotencyReuse``.
        """
        with self._tx() as conn:
            self._require_project(conn, project)
            if idempotency_key is not None:
                row = conn.execute(
                    "SELECT fingerprint, data FROM idempotency WHERE project = ? AND key = ?",
                    (project, idempotency_key),
                ).fetchone()
                if row is not None:
                    if row[0] != request_fingerprint:
                        raise IdempotencyReuse(
                            f"Idempotency-Key {idempotency_key!r} was already used for a "
                            "different request body; use a fresh key for a new record"
                        )
                    return Record.model_validate_json(row[1]), True
            record = self._insert(conn, project, draft, None)
            if idempotency_key is not None:
                conn.execute(
                    "INSERT INTO idempotency (project, key, fingerprint, data) VALUES (?,?,?,?)",
                    (project, idempotency_key, request_fingerprint, record.model_dump_json()),
                )
            self.mutations += 1
            return record, False

    def update(
        self,
        project: str,
        record_id: int,
        changes: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> Record:
        """Apply user-field ``changes``; version + 1 unless nothing actually changed.

        ``changes`` may hold only user fields (``assignee``/``parent_id`` null clears
        them). Raises ``UnknownProject``, ``UnknownRecord``, ``Conflict`` (stale
        ``expected_version``) or ``InvalidChange`` (unknown field, server field, bad value).
        """
        server = sorted(SERVER_FIELDS & set(changes))
        if server:
            raise InvalidChange(
                "server_field",
                f"{', '.join(server)} set by the server; remove "
                + ("it" if len(server) == 1 else "them")
                + " from the request body",
            )
        unknown = sorted(set(changes) - USER_FIELDS)
        if unknown:
            raise InvalidChange(
                "unknown_field",
                f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(USER_FIELDS))}",
            )
        with self._tx() as conn:
            self._require_project(conn, project)
            current = self._load(conn, project, record_id)
            if current is None:
                raise UnknownRecord(project, record_id)
            if expected_version is not None and expected_version != current.version:
                raise Conflict(expected_version, current.version)
            try:
                candidate = current.replace(**dict(changes))
            except InvalidRecord as exc:  # names each refused field, never its value
                detail = exc.message.removeprefix("Record.replace(): ")
                raise InvalidChange("invalid_field", detail) from None
            if candidate == current:
                return current
            if "parent_id" in changes:
                self._check_parent(conn, project, record_id, candidate.parent_id)
            updated = candidate.replace(updated_at=self._stamp(), version=current.version + 1)
            self._write(conn, project, updated)
            self.mutations += 1
            return updated

    def close_record(
        self,
        project: str,
        record_id: int,
        reason: DeleteReason,
        expected_version: int | None = None,
    ) -> Record:
        """Close with ``reason``: status becomes ``reason.closed_status`` (done / wont_fix)."""
        status: RecordStatus = reason.closed_status
        return self.update(project, record_id, {"status": status}, expected_version)

    def delete(self, project: str, record_id: int, expected_version: int | None = None) -> None:
        """Delete a record for good; its id is never handed out again."""
        with self._tx() as conn:
            self._require_project(conn, project)
            current = self._load(conn, project, record_id)
            if current is None:
                raise UnknownRecord(project, record_id)
            if expected_version is not None and expected_version != current.version:
                raise Conflict(expected_version, current.version)
            conn.execute("DELETE FROM records WHERE id = ?", (record_id,))
            self.mutations += 1

    def dump(self) -> dict[str, Any]:
        """The whole state as a seed-file-shaped dict (ids included), for export and tests."""
        out: builtins.list[dict[str, Any]] = []
        for p in self.projects():
            records = [{"id": r.id, **r.draft().model_dump(mode="json")} for r in self.list(p.slug)]
            out.append({"slug": p.slug, "name": p.name, "records": records})
        return {"projects": out}
