"""Smoke test against real Bitbucket Cloud; skipped unless explicitly configured.

Runs only when a credential pair (``BITBUCKET_EMAIL`` + ``BITBUCKET_API_TOKEN``, or
``BITBUCKET_USERNAME`` + ``BITBUCKET_APP_PASSWORD``, or ``BITBUCKET_OAUTH_TOKEN``) and
``REPOSIX_BITBUCKET_TEST_REPO`` (``workspace/repo_slug`` of a throwaway repository with the
issue tracker enabled) are set and ``REPOSIX_ALLOWED_ORIGINS`` allows
``https://api.bitbucket.org``. It creates one issue titled "reposix live smoke test" and
deletes it afterwards, whatever happens in between.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from reposix import RecordDraft, RecordStatus
from reposix_bitbucket import DEFAULT_BASE_URL, from_env
from reposix_contract import live_session

pytestmark = pytest.mark.live

CREDENTIALS = [
    ("BITBUCKET_EMAIL", "BITBUCKET_API_TOKEN"),
    ("BITBUCKET_USERNAME", "BITBUCKET_APP_PASSWORD"),
    ("BITBUCKET_OAUTH_TOKEN",),
]


async def test_live_create_read_update_delete() -> None:
    async with live_session(
        from_env,
        project_var="REPOSIX_BITBUCKET_TEST_REPO",
        credentials=CREDENTIALS,
        origin=DEFAULT_BASE_URL,
    ) as live:
        repo, connector = live.project, live.connector
        draft = RecordDraft(
            title="reposix live smoke test (safe to delete)",
            body="Created by tests/connectors/bitbucket/test_bitbucket_live.py.",
            status=RecordStatus.IN_PROGRESS,
            extensions={"bitbucket": {"kind": "task", "priority": "trivial"}},
        )
        created = await live.create(draft)
        assert created.status is RecordStatus.IN_PROGRESS
        fetched = await connector.get_record(repo, created.id)
        assert fetched.title == draft.title
        assert fetched.body == draft.body
        patch = live.patch(created, status=RecordStatus.WONT_FIX)
        updated = await connector.update_record(repo, created.id, patch)
        assert updated.status is RecordStatus.WONT_FIX
        changed = await connector.list_changed_since(
            repo, created.created_at - timedelta(seconds=1)
        )
        assert created.id in changed
