"""The wire-fake contract: a canonical store, the kit's knobs, and the fake protocol."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import httpx

from reposix._clock import VirtualClock
from reposix._faults import DECOY_ORIGIN, FOREIGN_ORIGIN, PageFaults
from reposix._records import Record, RecordDraft, RecordStatus

__all__ = [
    "DECOY_ORIGIN",
    "FOREIGN_ORIGIN",
    "FakeConflict",
    "FakeProjects",
    "FakeStore",
    "Knobs",
    "Served",
    "WireFake",
]


@dataclass(frozen=True)
class Served:
    """Telemetry: one listing page a fake served (appended to `served`).

    The pagination emitters record it, so invariants can count page requests
    without knowing the backend's paths.
    """

    style: str
    """``link``, ``offset``, ``token``, ``cursor`` or ``graphql``."""
    index: int
    """Which page of the server's plan (0-based; beyond the plan: past the end)."""
    count: int
    """Records on the page."""
    has_next: bool
    """Whether the page offered a continuation (next link, token, cursor, more)."""
    ids: tuple[int, ...] = ()
    """The record ids on the page, in order (when the emitter can tell)."""
    order: tuple[int, ...] = ()
    """The whole listing's ids in the server's order when the page was served."""


class FakeConflict(Exception):
    """Raised by `update` when the expected version is stale."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, record is at {actual}")
        self.expected = expected
        self.actual = actual


@dataclass
class Knobs(PageFaults):
    """The kit's fault knobs: `PageFaults` (the vocabulary the
    simulator's ``Faults`` shares) plus what only a wire fake or the kit can do.

    Fakes honour the pagination knobs through the shared emitters; the kit applies the
    per-request ones (``schedule``, ``latency``, ``redirect_to``) and ``mid_listing``
    around ``handle``. ``schedule`` entries the kit understands: "ok", "429", "429:N"
    (Retry-After N seconds), "429-date", "remaining0", "403-ratelimit", "500", "502",
    "503", "504", "transport", "500-after"/"503-after"/"transport-after" (the fake
    handles the request, so a write commits, then the response is lost), "malformed",
    "truncated", "wrong-types" and "missing-fields" (the fake's JSON with the record
    objects' values replaced by wrong types / removed), "302" (a redirect back to the
    same URL), "401" and "403". See `SCHEDULE_ENTRIES`.
    """

    ignore_offset: bool = False
    """The server ignores the offset parameter (offset style only)."""
    omit_total: bool = False
    """Totals and counts are left out (GitLab above 10k, Jira enhanced search)."""
    decoys: bool = True
    """Server URL fields point at `DECOY_ORIGIN` (on by default in the kit)."""
    max_requests: int = 400
    """Runaway guard: the kit aborts a check whose connector sends more requests than this
    (a connector looping on a repeating cursor fails instead of hanging)."""
    # -- telemetry, written by the fakes ------------------------------------------------------
    served: list[Served] = field(default_factory=list)
    """Every listing page served, in order (see [`Served`][reposix_contract.Served])."""


@dataclass(frozen=True)
class FakeProjects:
    """Project identifiers in the backend's own form."""

    seeded: str
    empty: str
    unknown: str


class FakeStore:
    """Canonical records per project, with versions and a virtual clock.

    Each write advances the clock by ``tick`` (sub-minute on purpose, so that
    minute-precision incremental queries are caught out).
    """

    def __init__(self, clock: VirtualClock | None = None, tick: timedelta = timedelta(seconds=7)):
        self.clock = clock or VirtualClock()
        self.tick = tick
        self.projects: dict[str, dict[int, Record]] = {}
        self.next_id = 1
        self.mutations = 0
        """Count of state-changing operations (creates, updates, deletes)."""

    def add_project(self, project: str) -> None:
        """Create an empty project."""
        self.projects.setdefault(project, {})

    def has_project(self, project: str) -> bool:
        return project in self.projects

    def _stamp(self) -> Any:
        self.clock.advance(self.tick.total_seconds())
        return self.clock.now()

    def seed(self, project: str, drafts: list[RecordDraft]) -> list[Record]:
        """Create records without counting them as mutations."""
        self.add_project(project)
        return [self._insert(project, d) for d in drafts]

    def _insert(self, project: str, draft: RecordDraft) -> Record:
        now = self._stamp()
        record = Record(
            id=self.next_id, created_at=now, updated_at=now, version=1, **draft.model_dump()
        )
        self.next_id += 1
        self.projects[project][record.id] = record
        return record

    def list(self, project: str) -> list[Record]:
        """Records in id order (KeyError for an unknown project: fakes map it to 404)."""
        return [self.projects[project][k] for k in sorted(self.projects[project])]

    def get(self, project: str, record_id: int) -> Record | None:
        return self.projects.get(project, {}).get(record_id)

    def find(self, record_id: int) -> tuple[str, Record] | None:
        """Locate a record by id across projects (for APIs whose paths carry only the id)."""
        for project, records in self.projects.items():
            if record_id in records:
                return project, records[record_id]
        return None

    def create(self, project: str, draft: RecordDraft) -> Record:
        self.mutations += 1
        return self._insert(project, draft)

    def update(
        self,
        project: str,
        record_id: int,
        changes: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> Record:
        """Apply user-field changes; version + 1. Raises FakeConflict or KeyError."""
        current = self.projects[project][record_id]
        if expected_version is not None and expected_version != current.version:
            raise FakeConflict(expected_version, current.version)
        self.mutations += 1
        updated = current.replace(
            **dict(changes), updated_at=self._stamp(), version=current.version + 1
        )
        self.projects[project][record_id] = updated
        return updated

    def close(self, project: str, record_id: int, status: RecordStatus) -> Record:
        return self.update(project, record_id, {"status": status})

    def delete(self, project: str, record_id: int) -> None:
        del self.projects[project][record_id]
        self.mutations += 1


class WireFake(Protocol):
    """A stateful in-process emulation of one backend's real HTTP API.

    The kit mounts ``handle`` with respx at ``base_url`` and wraps it with the
    transport-level knobs. ``credentials`` are the env-var values the kit builds
    the connector with; ``handle`` must answer any other credential with the
    backend's real 401 body.
    """

    name: str
    base_url: str
    store: FakeStore
    knobs: Knobs
    projects: FakeProjects
    credentials: Mapping[str, str]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve one request from ``store``."""
        ...
