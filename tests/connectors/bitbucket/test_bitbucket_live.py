"""Smoke test against real Bitbucket Cloud; skipped unless explicitly configured.

Runs only when a credential pair (``BITBUCKET_EMAIL`` + ``BITBUCKET_API_TOKEN``, or
``BITBUCKET_USERNAME`` + ``BITBUCKET_APP_PASSWORD``, or ``BITBUCKET_OAUTH_TOKEN``) and
``REPOSIX_BITBUCKET_TEST_REPO`` (``workspace/repo_slug`` of a throwaway repository with the
issue tracker enabled) are set and ``REPOSIX_ALLOWED_ORIGINS`` allows
``https://api.bitbucket.org``. It creates one issue titled "reposix live smoke test" and
deletes it afterwards, whatever happens in between.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from reposix import (
    DeleteReason,
    MemoryAuditSink,
    RecordDraft,
    RecordStatus,
    Runtime,
    ServerMetadata,
    Tainted,
    sanitize,
    sanitize_for_create,
)
from reposix._http import Allowlist, origin_of
from reposix_bitbucket import DEFAULT_BASE_URL, from_env

pytestmark = pytest.mark.live


def _configured() -> bool:
    env = os.environ
    return bool(
        (env.get("BITBUCKET_EMAIL") and env.get("BITBUCKET_API_TOKEN"))
        or (env.get("BITBUCKET_USERNAME") and env.get("BITBUCKET_APP_PASSWORD"))
        or env.get("BITBUCKET_OAUTH_TOKEN")
    )


async def test_live_create_read_update_delete() -> None:
    repo = os.environ.get("REPOSIX_BITBUCKET_TEST_REPO", "").strip()
    if not _configured() or not repo:
        pytest.skip("set a Bitbucket credential pair and REPOSIX_BITBUCKET_TEST_REPO to run")
    allowlist = Allowlist.from_env()
    if not allowlist.allows(origin_of(DEFAULT_BASE_URL)):
        pytest.skip(f"REPOSIX_ALLOWED_ORIGINS does not include {DEFAULT_BASE_URL}")
    audit = MemoryAuditSink()
    connector = from_env(runtime=Runtime(audit=audit, allowlist=allowlist))
    created = None
    try:
        draft = RecordDraft(
            title="reposix live smoke test (safe to delete)",
            body="Created by tests/connectors/bitbucket/test_bitbucket_live.py.",
            status=RecordStatus.IN_PROGRESS,
            extensions={"bitbucket": {"kind": "task", "priority": "trivial"}},
        )
        created = await connector.create_record(repo, sanitize_for_create(Tainted(draft)))
        assert created.status is RecordStatus.IN_PROGRESS
        fetched = await connector.get_record(repo, created.id)
        assert fetched.title == draft.title
        assert fetched.body == draft.body
        meta = ServerMetadata(created.id, created.created_at, created.updated_at, created.version)
        patch = sanitize(Tainted(created.replace(status=RecordStatus.WONT_FIX)), meta)
        updated = await connector.update_record(repo, created.id, patch)
        assert updated.status is RecordStatus.WONT_FIX
        changed = await connector.list_changed_since(
            repo, created.created_at - timedelta(seconds=1)
        )
        assert created.id in changed
    finally:
        if created is not None:
            await connector.delete_or_close(repo, created.id, DeleteReason.ABANDONED)
        await connector.aclose()
    assert all(event.connector == "bitbucket" for event in audit.events)
