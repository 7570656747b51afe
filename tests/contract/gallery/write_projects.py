"""Broken project isolation on writes (W13), a silently dropped parent (W14) and a label
pattern declared to dodge the kit (W15), and an assignee pattern declared the same way (W16).

The simulator's ids are global (like Jira's and Confluence's), so a connector can find a
record without its project, which is exactly the mistake these make.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from reposix._backend import DeleteReason
from reposix._errors import NotFound
from reposix._records import Record, RecordDraft, RecordId
from reposix._taint import (
    ServerMetadata,
    Tainted,
    Untainted,
    require_untainted,
    sanitize,
    sanitize_for_create,
)
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


class _TidiesOutsideItsPattern(SimBackend):
    """Writes ``_tidy(draft fields)`` instead of the fields asked for: the shape of a
    connector that declares a narrow pattern and quietly drops what falls outside it."""

    def _tidy(self, fields: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        value = require_untainted(draft, RecordDraft)
        tidy = value.model_copy(update=self._tidy(value.model_dump()))
        return await super().create_record(project, sanitize_for_create(Tainted(tidy)))

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        value = require_untainted(patch, Record)
        meta = ServerMetadata(value.id, value.created_at, value.updated_at, value.version)
        tidy = sanitize(Tainted(value.replace(**self._tidy(value.model_dump()))), meta)
        return await super().update_record(project, record_id, tidy, expected_version)


@broken("narrow-label-pattern-drops", kills={"W15"})
class NarrowLabelPatternDrops(_TidiesOutsideItsPattern):
    """Declares `label_pattern = [a-z0-9-]+` so the kit only generates tidy labels, then
    silently drops every other label on create and update instead of refusing it."""

    label_pattern = re.compile(r"[a-z0-9-]+")

    def _tidy(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {"labels": [n for n in fields["labels"] if self.accepts_label(n)]}


@broken("narrow-assignee-pattern-drops", kills={"W16"})
class NarrowAssigneePatternDrops(_TidiesOutsideItsPattern):
    """Declares `assignee_pattern = [a-z0-9-]+` so the kit only generates tidy handles, then
    silently unassigns every other handle on create and update instead of refusing it."""

    assignee_pattern = re.compile(r"[a-z0-9-]+")

    def _tidy(self, fields: dict[str, Any]) -> dict[str, Any]:
        handle = fields["assignee"]
        return {"assignee": handle if handle is None or self.accepts_assignee(handle) else None}
