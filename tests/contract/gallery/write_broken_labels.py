"""Broken connectors around label normalization: Confluence carries labels (lowercased), so
losing them must fail, and ``stored_form`` must not be able to excuse the loss.

The Confluence entries run against the ``confluence`` connector on its own wire fake.
"""

from __future__ import annotations

from reposix._records import Record, RecordDraft
from reposix._taint import Tainted, Untainted, require_untainted, sanitize_for_create
from reposix.sim._backend import SimBackend
from reposix_confluence import plugin as confluence_plugin
from reposix_confluence.connector import ConfluenceConnector
from reposix_contract._gallery import broken
from reposix_contract._targets import Target, from_plugin


def _confluence() -> Target:
    return from_plugin(confluence_plugin)


def _without_labels(draft: Untainted[RecordDraft]) -> Untainted[RecordDraft]:
    value = require_untainted(draft, RecordDraft)
    return sanitize_for_create(Tainted(value.model_copy(update={"labels": []})))


@broken("confluence-drops-labels-on-create", kills={"W01", "W03", "D01"}, base=_confluence)
class ConfluenceDropsLabelsOnCreate(ConfluenceConnector):
    """Confluence connector that creates the page but never adds its labels (status label
    only): passed the kit while labels were declared uncarried."""

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        return await super().create_record(project, _without_labels(draft))


@broken("confluence-undeclared-lowercasing", kills={"W03", "D01"}, base=_confluence)
class ConfluenceUndeclaredLowercasing(ConfluenceConnector):
    """Confluence connector whose stored_form claims labels are kept as written, while the
    server lowercases them (`Needs-Triage` reads back as `needs-triage`)."""

    def stored_form(self, draft: RecordDraft) -> RecordDraft:
        return draft


@broken("stored-form-hides-dropped-labels", kills={"W09"})
class StoredFormHidesDroppedLabels(SimBackend):
    """Drops labels on create and declares a stored_form without labels to excuse it."""

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        return await super().create_record(project, _without_labels(draft))

    def stored_form(self, draft: RecordDraft) -> RecordDraft:
        return draft.model_copy(update={"labels": []})
