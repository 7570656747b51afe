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

import os
from datetime import timedelta

import pytest

from reposix import (
    Allowlist,
    DeleteReason,
    MemoryAuditSink,
    RecordDraft,
    RecordStatus,
    Runtime,
    ServerMetadata,
    Tainted,
    origin_of,
    sanitize,
    sanitize_for_create,
)
from reposix_linear import from_env

pytestmark = pytest.mark.live

API = "https://api.linear.app"


async def test_live_create_read_update_close() -> None:
    team = os.environ.get("REPOSIX_LINEAR_TEST_TEAM", "").strip()
    has_key = any(os.environ.get(v, "").strip() for v in ("LINEAR_API_KEY", "LINEAR_OAUTH_TOKEN"))
    if not has_key or not team:
        pytest.skip("set LINEAR_API_KEY (or LINEAR_OAUTH_TOKEN) and REPOSIX_LINEAR_TEST_TEAM")
    allowlist = Allowlist.from_env()
    if not allowlist.allows(origin_of(API)):
        pytest.skip(f"REPOSIX_ALLOWED_ORIGINS does not include {API}")
    connector = from_env(runtime=Runtime(audit=MemoryAuditSink(), allowlist=allowlist))
    created = None
    try:
        draft = RecordDraft(
            title="reposix live smoke test (safe to delete)",
            body="Created by tests/connectors/linear/test_linear_live.py.",
            labels=["kind:test"],
            status=RecordStatus.IN_PROGRESS,
        )
        created = await connector.create_record(team, sanitize_for_create(Tainted(draft)))
        assert created.status is RecordStatus.IN_PROGRESS
        assert created.labels == ["kind:test"]
        fetched = await connector.get_record(team, created.id)
        assert fetched.title == draft.title
        assert fetched.body == draft.body

        meta = ServerMetadata(created.id, created.created_at, created.updated_at, created.version)
        patch = sanitize(Tainted(created.replace(status=RecordStatus.OPEN)), meta)
        updated = await connector.update_record(team, created.id, patch)
        assert updated.status is RecordStatus.OPEN

        changed = await connector.list_changed_since(
            team, created.created_at - timedelta(seconds=1)
        )
        assert created.id in changed
        await connector.delete_or_close(team, created.id, DeleteReason.COMPLETED)
        assert (await connector.get_record(team, created.id)).status is RecordStatus.DONE
    finally:
        if created is not None:
            await connector.trash(team, created.id)
        await connector.aclose()
