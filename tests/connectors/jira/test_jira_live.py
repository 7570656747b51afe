"""Smoke test against a real Jira Cloud site; skipped unless explicitly configured.

Runs only when ``JIRA_EMAIL``, ``JIRA_API_TOKEN``, ``REPOSIX_JIRA_INSTANCE`` and
``REPOSIX_JIRA_TEST_PROJECT`` (a throwaway project key) are set and
``REPOSIX_ALLOWED_ORIGINS`` allows ``https://{instance}.atlassian.net``. It creates one
issue labelled ``kind:test`` and closes it as won't-do afterwards, whatever happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest

from reposix import RecordDraft
from reposix_contract import live_session
from reposix_jira import base_url_for, from_env

pytestmark = pytest.mark.live


def _site(env: Mapping[str, str]) -> str:
    return base_url_for(env["REPOSIX_JIRA_INSTANCE"])


async def test_live_create_read_update_close() -> None:
    async with live_session(
        from_env,
        project_var="REPOSIX_JIRA_TEST_PROJECT",
        credentials=[("JIRA_EMAIL", "JIRA_API_TOKEN", "REPOSIX_JIRA_INSTANCE")],
        origin=_site,
    ) as live:
        project, connector = live.project, live.connector
        body = "Created by reposix's live smoke test.\n\n- safe to delete\n- *kind:test*"
        draft = RecordDraft(title="reposix live smoke test", body=body, labels=["kind:test"])
        created = await live.create(draft)
        assert created.labels == ["kind:test"]
        assert created.body == body
        fetched = await connector.get_record(project, created.id)
        assert fetched.title == draft.title
        patch = live.patch(created, title="reposix live smoke test (edited)")
        updated = await connector.update_record(project, created.id, patch)
        assert updated.title.endswith("(edited)")
        since = created.created_at - timedelta(seconds=1)
        assert created.id in await connector.list_changed_since(project, since)
