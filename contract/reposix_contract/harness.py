"""What an invariant gets: a connector wired to a fake server, and the means to inspect both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import httpx

from reposix.audit import MemoryAuditSink
from reposix.backend import BackendConnector
from reposix.clock import VirtualClock
from reposix.records import Record, RecordDraft
from reposix_contract.fakes.base import FakeProjects, Knobs

__all__ = ["Harness", "ServerState"]


class ServerState(Protocol):
    """The server side's canonical state, as invariants may read and seed it.

    :class:`~reposix_contract.fakes.FakeStore` implements it; so does the kit's
    adapter over the simulator's own store.
    """

    mutations: int

    def add_project(self, project: str) -> None: ...
    def seed(self, project: str, drafts: list[RecordDraft]) -> list[Record]: ...
    def list(self, project: str) -> list[Record]: ...
    def get(self, project: str, record_id: int) -> Record | None: ...


class Harness(Protocol):
    """One target (the sim control or a connector) mounted on its fake, for one check.

    Every check gets a fresh harness: a new server state, knobs at their defaults,
    empty request and audit logs, and a virtual clock.
    """

    target: str
    """The target's name: ``sim`` or the connector's name."""
    connector: BackendConnector
    state: ServerState
    knobs: Knobs
    projects: FakeProjects
    clock: VirtualClock
    audit: MemoryAuditSink
    base_url: str
    canary: str
    """The secret credential value the connector was built with."""

    @property
    def requests(self) -> Sequence[httpx.Request]:
        """Every request that reached the mocked network, decoys and foreign hosts included."""
        ...

    def build(self, **runtime_overrides: Any) -> BackendConnector:
        """Another connector on the same fake (e.g. ``max_records=3``, a different allowlist)."""
        ...

    def seed_demo(self, count: int = 7) -> list[Record]:
        """Seed ``projects.seeded`` with ``count`` varied records (every status, unicode …)."""
        ...
