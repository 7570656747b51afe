"""Smoke test against real GitHub; skipped unless explicitly configured.

Runs only when ``GITHUB_TOKEN`` and ``REPOSIX_GITHUB_TEST_REPO`` (``owner/repo``, a
throwaway repository) are set and ``REPOSIX_ALLOWED_ORIGINS`` allows
``https://api.github.com``. It creates one issue labelled ``kind:test`` and closes
it (as not planned) afterwards, whatever happens in between.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from reposix import DeleteReason, RecordDraft, RecordId, RecordStatus
from reposix_contract import live_session
from reposix_github import GitHubConnector, from_env

pytestmark = pytest.mark.live

API = "https://api.github.com"


async def _close(connector: GitHubConnector, repo: str, number: RecordId) -> None:
    await connector.delete_or_close(repo, number, DeleteReason.ABANDONED)
    assert (await connector.get_record(repo, number)).status is RecordStatus.WONT_FIX


async def test_live_create_read_update_close() -> None:
    async with live_session(
        from_env,
        project_var="REPOSIX_GITHUB_TEST_REPO",
        credentials=[("GITHUB_TOKEN",)],
        origin=API,
        cleanup=_close,
    ) as live:
        repo, connector = live.project, live.connector
        draft = RecordDraft(
            title="reposix live smoke test (safe to delete)",
            body="Created by tests/connectors/github/test_github_live.py.\n\n- [ ] closes itself",
            labels=["kind:test"],
            status=RecordStatus.IN_PROGRESS,
        )
        created = await live.create(draft)
        assert created.status is RecordStatus.IN_PROGRESS
        assert created.labels == ["kind:test"]
        fetched = await connector.get_record(repo, created.id)
        assert fetched.title == draft.title
        assert fetched.body == draft.body

        patch = live.patch(created, status=RecordStatus.IN_REVIEW)
        updated = await connector.update_record(repo, created.id, patch)
        assert updated.status is RecordStatus.IN_REVIEW
        assert updated.labels == ["kind:test"]

        changed = await connector.list_changed_since(
            repo, created.created_at - timedelta(seconds=1)
        )
        assert created.id in changed
