"""Smoke test against a real GitLab; skipped unless explicitly configured.

Runs only when ``GITLAB_TOKEN`` (or ``GITLAB_OAUTH_TOKEN``) and ``REPOSIX_GITLAB_TEST_PROJECT``
(a throwaway project's full path or id) are set and ``REPOSIX_ALLOWED_ORIGINS`` allows the
instance (``REPOSIX_GITLAB_URL``, default ``https://gitlab.com/api/v4``). It creates one
issue labelled ``kind::test`` and deletes it afterwards (an Owner token), or closes it as
won't-fix when the token may not delete.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import timedelta

import pytest

from reposix import AuthError, DeleteReason, RecordDraft, RecordId, RecordStatus
from reposix_contract import live_session
from reposix_gitlab import DEFAULT_BASE_URL, GitLabConnector, from_env

pytestmark = pytest.mark.live


def _instance(env: Mapping[str, str]) -> str:
    return env.get("REPOSIX_GITLAB_URL") or DEFAULT_BASE_URL


async def _delete(connector: GitLabConnector, project: str, iid: RecordId) -> None:
    # not an Owner: AuthError, and the issue stays closed as won't-fix (see the README)
    with contextlib.suppress(AuthError):
        await connector.delete_or_close(project, iid, DeleteReason.ABANDONED)


async def test_live_create_read_update_delete() -> None:
    async with live_session(
        from_env,
        project_var="REPOSIX_GITLAB_TEST_PROJECT",
        credentials=[("GITLAB_TOKEN",), ("GITLAB_OAUTH_TOKEN",)],
        origin=_instance,
        cleanup=_delete,
        extra_vars=("REPOSIX_GITLAB_URL",),
    ) as live:
        project, connector = live.project, live.connector
        draft = RecordDraft(
            title="reposix live smoke test (safe to delete)",
            body="Created by tests/connectors/gitlab/test_gitlab_live.py.",
            labels=["kind::test"],
            status=RecordStatus.IN_PROGRESS,
        )
        created = await live.create(draft)
        assert created.status is RecordStatus.IN_PROGRESS
        assert created.labels == ["kind::test"]
        fetched = await connector.get_record(project, created.id)
        assert fetched.title == draft.title
        assert fetched.body == draft.body
        patch = live.patch(created, status=RecordStatus.WONT_FIX)
        updated = await connector.update_record(project, created.id, patch)
        assert updated.status is RecordStatus.WONT_FIX
        assert updated.labels == ["kind::test"]
        changed = await connector.list_changed_since(
            project, created.created_at - timedelta(seconds=1)
        )
        assert created.id in changed
