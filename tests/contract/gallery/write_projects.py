"""Broken project isolation on writes (W13) and a silently dropped parent (W14).

The simulator's ids are global (like Jira's and Confluence's), so a connector can find a
record without its project, which is exactly the mistake these make.
"""

from __future__ import annotations

from dataclasses import replace

from reposix._backend import DeleteReason
from reposix._errors import NotFound
from reposix._records import Record, RecordDraft, RecordId
from reposix._taint import Tainted, Untainted, require_untainted, sanitize_for_create
from reposix.sim._backend import SimBackend
from reposix_contract._gallery import broken


class _GlobalIds(SimBackend):
    async def home_of(self, record_id: RecordId) -> str:
        """The project that holds ``record_id``, found by asking every project."""
        response = await self._http.get("projects", op="list_projects")
        for entry in response.json():
            slug = str(entry["slug"])
            probe = await self._http.get(self._one(slug, record_id), op="find_record")
            if probe.status_code == 200:
                return slug
        raise NotFound(f"record {record_id}")


@broken("deletes-by-global-id", kills={"W13"})
class DeletesByGlobalId(_GlobalIds):
    """Deletes the record wherever it lives, ignoring the project it was asked for: one
    mistyped project and another team's record is gone."""

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        await super().delete_or_close(await self.home_of(record_id), record_id, reason)


@broken("updates-by-global-id", kills={"W13"})
class UpdatesByGlobalId(_GlobalIds):
    """Updates the record wherever it lives, ignoring the project it was asked for."""

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        home = await self.home_of(record_id)
        return await super().update_record(home, record_id, patch, expected_version)


@broken("drops-parent-without-hierarchy", kills={"W14"})
class DropsParentWithoutHierarchy(SimBackend):
    """Reads parents but does not declare hierarchy, and drops `parent_id` on create: W12
    does not apply, so before W14 it passed while flattening every new tree."""

    capabilities = replace(SimBackend.capabilities, hierarchy=False)

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        value = require_untainted(draft, RecordDraft)
        flat = sanitize_for_create(Tainted(value.model_copy(update={"parent_id": None})))
        return await super().create_record(project, flat)
