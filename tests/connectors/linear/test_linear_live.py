"""Smoke test against real Linear; skipped unless explicitly configured.

Runs only when ``LINEAR_API_KEY`` (or ``LINEAR_OAUTH_TOKEN``) and
``REPOSIX_LINEAR_TEST_TEAM`` (a team key of a throwaway team, e.g. ``SANDBOX``) are set
and ``REPOSIX_ALLOWED_ORIGINS`` allows ``https://api.linear.app``. It creates one issue
titled ``reposix live smoke test (safe to delete)`` with the label ``kind:test``, reads,
updates, lists and closes it, then trashes it (``issueDelete``: restorable for 30 days
from Linear's trash) whatever happens in between. Leftovers of an interrupted run: search
the team for that title and delete them (see docs/connectors/linear.md, Cleanup).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from reposix import DeleteReason, RecordDraft, RecordId, RecordStatus
from reposix_contract import live_session
from reposix_linear import LinearConnector, from_env

pytestmark = pytest.mark.live

API = "https://api.linear.app"


async def _trash(connector: LinearConnector, team: str, issue: RecordId) -> None:
    await connector.trash(team, issue)


async def test_live_create_read_update_close() -> None:
    async with live_session(
        from_env,
        project_var="REPOSIX_LINEAR_TEST_TEAM",
        credentials=[("LINEAR_API_KEY",), ("LINEAR_OAUTH_TOKEN",)],
        origin=API,
        cleanup=_trash,
    ) as live:
        team, connector = live.project, live.connector
        draft = RecordDraft(
            title="reposix live smoke test (safe to delete)",
            body="Created by tests/connectors/linear/test_linear_live.py.",
            labels=["kind:test"],
            status=RecordStatus.IN_PROGRESS,
        )
        created = await live.create(draft)
        assert created.status is RecordStatus.IN_PROGRESS
        assert created.labels == ["kind:test"]
        fetched = await connector.get_record(team, created.id)
        assert fetched.title == draft.title
        assert fetched.body == draft.body

        patch = live.patch(created, status=RecordStatus.OPEN)
        updated = await connector.update_record(team, created.id, patch)
        assert updated.status is RecordStatus.OPEN

        changed = await connector.list_changed_since(
            team, created.created_at - timedelta(seconds=1)
        )
        assert created.id in changed
        await connector.delete_or_close(team, created.id, DeleteReason.COMPLETED)
        assert (await connector.get_record(team, created.id)).status is RecordStatus.DONE
