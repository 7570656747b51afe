"""Broken connectors for the differential invariant (D01), each a small SimBackend subclass.

Only comparing whole behaviour with the simulator is sure to expose them (single-rule
invariants may or may not). Each is registered with ``@broken(name, kills=...)``.
"""

from __future__ import annotations

from datetime import datetime

from reposix._records import Record, RecordId, RecordStatus
from reposix._taint import ServerMetadata, Tainted, Untainted, require_untainted, sanitize
from reposix.sim._backend import SimBackend
from reposix_contract._gallery import broken


@broken("change-feed-uses-created-at", kills={"D01"})
class ChangeFeedUsesCreatedAt(SimBackend):
    """list_changed_since filters on created_at instead of updated_at (misses updates)."""

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        return [r.id for r in await self.list_records(project) if r.created_at > since]


@broken("closing-clears-assignee", kills={"D01"})
class ClosingClearsAssignee(SimBackend):
    """An update that moves a record to done/wont_fix also unassigns it."""

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        value = require_untainted(patch, Record)
        if value.status in (RecordStatus.DONE, RecordStatus.WONT_FIX):
            meta = ServerMetadata(value.id, value.created_at, value.updated_at, value.version)
            patch = sanitize(Tainted(value.replace(assignee=None)), meta)
        return await super().update_record(project, record_id, patch, expected_version)
