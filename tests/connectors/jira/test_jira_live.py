"""Smoke test against a real Jira Cloud site; skipped unless explicitly configured.

Runs only when ``JIRA_EMAIL``, ``JIRA_API_TOKEN``, ``REPOSIX_JIRA_INSTANCE`` and
``REPOSIX_JIRA_TEST_PROJECT`` (a throwaway project key) are set and
``REPOSIX_ALLOWED_ORIGINS`` allows ``https://{instance}.atlassian.net``. It creates one
issue labelled ``kind:test`` and closes it as won't-do afterwards, whatever happens.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from reposix._audit import MemoryAuditSink
from reposix._backend import DeleteReason
from reposix._http import Allowlist, origin_of
from reposix._records import RecordDraft
from reposix._runtime import Runtime
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create
from reposix_jira import base_url_for, from_env

pytestmark = pytest.mark.live

NEEDED = ("JIRA_EMAIL", "JIRA_API_TOKEN", "REPOSIX_JIRA_INSTANCE", "REPOSIX_JIRA_TEST_PROJECT")


async def test_live_create_read_update_close() -> None:
    missing = [n for n in NEEDED if not os.environ.get(n, "").strip()]
    if missing:
        pytest.skip("set " + ", ".join(missing) + " to run")
    site = base_url_for(os.environ["REPOSIX_JIRA_INSTANCE"].strip())
    allowlist = Allowlist.from_env()
    if not allowlist.allows(origin_of(site)):
        pytest.skip(f"REPOSIX_ALLOWED_ORIGINS does not include {site}")
    project = os.environ["REPOSIX_JIRA_TEST_PROJECT"].strip()
    connector = from_env(runtime=Runtime(audit=MemoryAuditSink(), allowlist=allowlist))
    created = None
    try:
        body = "Created by reposix's live smoke test.\n\n- safe to delete\n- *kind:test*"
        draft = RecordDraft(title="reposix live smoke test", body=body, labels=["kind:test"])
        created = await connector.create_record(project, sanitize_for_create(Tainted(draft)))
        assert created.labels == ["kind:test"]
        assert created.body == body
        fetched = await connector.get_record(project, created.id)
        assert fetched.title == draft.title
        meta = ServerMetadata(created.id, created.created_at, created.updated_at, created.version)
        patch = sanitize(Tainted(created.replace(title="reposix live smoke test (edited)")), meta)
        updated = await connector.update_record(project, created.id, patch)
        assert updated.title.endswith("(edited)")
        since = created.created_at - timedelta(seconds=1)
        assert created.id in await connector.list_changed_since(project, since)
    finally:
        if created is not None:
            await connector.delete_or_close(project, created.id, DeleteReason.ABANDONED)
        await connector.aclose()
