"""Smoke test against a real Confluence Cloud site; skipped unless explicitly configured.

Runs only when ``ATLASSIAN_EMAIL``, ``ATLASSIAN_API_KEY``, ``REPOSIX_CONFLUENCE_TENANT`` and
``REPOSIX_CONFLUENCE_TEST_SPACE`` (a throwaway space key) are set and
``REPOSIX_ALLOWED_ORIGINS`` allows ``https://{tenant}.atlassian.net``. It creates one page
labelled ``kind-test`` (Confluence labels cannot hold ``:``, so not ``kind:test``) and
deletes it afterwards (to the space trash; purge it there, see docs/connectors/confluence.md).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from reposix._audit import MemoryAuditSink
from reposix._backend import DeleteReason
from reposix._errors import NotFound
from reposix._http import Allowlist, origin_of
from reposix._records import RecordDraft, RecordStatus
from reposix._runtime import Runtime
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create
from reposix_confluence import base_url_for, from_env

pytestmark = pytest.mark.live

_VARS = ("ATLASSIAN_EMAIL", "ATLASSIAN_API_KEY", "REPOSIX_CONFLUENCE_TENANT")


async def test_live_create_read_update_delete() -> None:
    space = os.environ.get("REPOSIX_CONFLUENCE_TEST_SPACE", "").strip()
    if not space or not all(os.environ.get(v, "").strip() for v in _VARS):
        pytest.skip(f"set {', '.join(_VARS)} and REPOSIX_CONFLUENCE_TEST_SPACE to run")
    site = base_url_for(os.environ["REPOSIX_CONFLUENCE_TENANT"].strip())
    allowlist = Allowlist.from_env()
    if not allowlist.allows(origin_of(site)):
        pytest.skip(f"REPOSIX_ALLOWED_ORIGINS does not include {site}")
    audit = MemoryAuditSink()
    connector = from_env(runtime=Runtime(audit=audit, allowlist=allowlist))
    created = None
    try:
        draft = RecordDraft(
            title="reposix live smoke test (safe to delete)",
            body="Created by tests/connectors/confluence/test_confluence_live.py.\n\n- deletes itself",
            labels=["kind-test"],
            status=RecordStatus.IN_PROGRESS,
        )
        created = await connector.create_record(space, sanitize_for_create(Tainted(draft)))
        assert created.status is RecordStatus.IN_PROGRESS
        assert created.labels == ["kind-test"]
        fetched = await connector.get_record(space, created.id)
        assert fetched.title == draft.title
        assert fetched.body == draft.body

        meta = ServerMetadata(created.id, created.created_at, created.updated_at, created.version)
        patch = sanitize(Tainted(fetched.replace(status=RecordStatus.IN_REVIEW)), meta)
        updated = await connector.update_record(space, created.id, patch, fetched.version)
        assert updated.status is RecordStatus.IN_REVIEW
        assert updated.version == fetched.version + 1

        changed = await connector.list_changed_since(
            space, created.created_at - timedelta(minutes=2)
        )
        assert (
            created.id in changed
        )  # CQL is eventually consistent: may need a retry on a slow site
    finally:
        if created is not None:
            await connector.delete_or_close(space, created.id, DeleteReason.ABANDONED)
            with pytest.raises(NotFound):
                await connector.get_record(space, created.id)
        await connector.aclose()
    assert all(event.connector == "confluence" for event in audit.events)
