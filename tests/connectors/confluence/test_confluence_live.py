"""Smoke test against a real Confluence Cloud site; skipped unless explicitly configured.

Runs only when ``ATLASSIAN_EMAIL``, ``ATLASSIAN_API_KEY``, ``REPOSIX_CONFLUENCE_TENANT`` and
``REPOSIX_CONFLUENCE_TEST_SPACE`` (a throwaway space key) are set and
``REPOSIX_ALLOWED_ORIGINS`` allows ``https://{tenant}.atlassian.net``. It creates one page
labelled ``kind-test`` (Confluence labels cannot hold ``:``, so not ``kind:test``) and
deletes it afterwards (to the space trash; purge it there, see docs/connectors/confluence.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest

from reposix import DeleteReason, NotFound, RecordDraft, RecordId, RecordStatus
from reposix_confluence import ConfluenceConnector, base_url_for, from_env
from reposix_contract import live_session

pytestmark = pytest.mark.live


def _site(env: Mapping[str, str]) -> str:
    return base_url_for(env["REPOSIX_CONFLUENCE_TENANT"])


async def _delete(connector: ConfluenceConnector, space: str, page_id: RecordId) -> None:
    await connector.delete_or_close(space, page_id, DeleteReason.ABANDONED)
    with pytest.raises(NotFound):
        await connector.get_record(space, page_id)


async def test_live_create_read_update_delete() -> None:
    async with live_session(
        from_env,
        project_var="REPOSIX_CONFLUENCE_TEST_SPACE",
        credentials=[("ATLASSIAN_EMAIL", "ATLASSIAN_API_KEY", "REPOSIX_CONFLUENCE_TENANT")],
        origin=_site,
        cleanup=_delete,
    ) as live:
        space, connector = live.project, live.connector
        draft = RecordDraft(
            title="reposix live smoke test (safe to delete)",
            body="Created by tests/connectors/confluence/test_confluence_live.py.\n\n- deletes itself",
            labels=["kind-test"],
            status=RecordStatus.IN_PROGRESS,
        )
        created = await live.create(draft)
        assert created.status is RecordStatus.IN_PROGRESS
        assert created.labels == ["kind-test"]
        fetched = await connector.get_record(space, created.id)
        assert fetched.title == draft.title
        assert fetched.body == draft.body

        patch = live.patch(fetched, status=RecordStatus.IN_REVIEW)
        updated = await connector.update_record(space, created.id, patch, fetched.version)
        assert updated.status is RecordStatus.IN_REVIEW
        assert updated.version == fetched.version + 1

        changed = await connector.list_changed_since(
            space, created.created_at - timedelta(minutes=2)
        )
        assert (
            created.id in changed
        )  # CQL is eventually consistent: may need a retry on a slow site
