"""Smoke test against real GitHub; skipped unless explicitly configured.

Runs only when ``GITHUB_TOKEN`` and ``REPOSIX_GITHUB_TEST_REPO`` (``owner/repo``, a
throwaway repository) are set and ``REPOSIX_ALLOWED_ORIGINS`` allows
``https://api.github.com``. It creates one issue labelled ``kind:test`` and closes
it (as not planned) afterwards, whatever happens in between.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from reposix._audit import MemoryAuditSink
from reposix._backend import DeleteReason
from reposix._http import Allowlist, origin_of
from reposix._records import RecordDraft, RecordStatus
from reposix._runtime import Runtime
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create
from reposix_github import from_env

pytestmark = pytest.mark.live

API = "https://api.github.com"


async def test_live_create_read_update_close() -> None:
    repo = os.environ.get("REPOSIX_GITHUB_TEST_REPO", "").strip()
    if not os.environ.get("GITHUB_TOKEN", "").strip() or not repo:
        pytest.skip("set GITHUB_TOKEN and REPOSIX_GITHUB_TEST_REPO=owner/repo to run")
    allowlist = Allowlist.from_env()
    if not allowlist.allows(origin_of(API)):
        pytest.skip(f"REPOSIX_ALLOWED_ORIGINS does not include {API}")
    audit = MemoryAuditSink()
    connector = from_env(runtime=Runtime(audit=audit, allowlist=allowlist))
    created = None
    try:
        draft = RecordDraft(
            title="reposix live smoke test (safe to delete)",
            body="Created by tests/connectors/github/test_github_live.py.\n\n- [ ] closes itself",
            labels=["kind:test"],
            status=RecordStatus.IN_PROGRESS,
        )
        created = await connector.create_record(repo, sanitize_for_create(Tainted(draft)))
        assert created.status is RecordStatus.IN_PROGRESS
        assert created.labels == ["kind:test"]
        fetched = await connector.get_record(repo, created.id)
        assert fetched.title == draft.title
        assert fetched.body == draft.body

        meta = ServerMetadata(created.id, created.created_at, created.updated_at, created.version)
        patch = sanitize(Tainted(created.replace(status=RecordStatus.IN_REVIEW)), meta)
        updated = await connector.update_record(repo, created.id, patch)
        assert updated.status is RecordStatus.IN_REVIEW
        assert updated.labels == ["kind:test"]

        changed = await connector.list_changed_since(
            repo, created.created_at - timedelta(seconds=1)
        )
        assert created.id in changed
    finally:
        if created is not None:
            await connector.delete_or_close(repo, created.id, DeleteReason.ABANDONED)
            closed = await connector.get_record(repo, created.id)
            assert closed.status is RecordStatus.WONT_FIX
        await connector.aclose()
    assert all(event.connector == "github" for event in audit.events)
