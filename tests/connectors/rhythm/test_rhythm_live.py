"""Smoke test against a real Rhythm server; skipped unless explicitly configured.

Runs only when ``RHYTHM_URL``, ``RHYTHM_EMAIL`` and ``RHYTHM_PASSWORD`` (or
``RHYTHM_REFRESH_TOKEN``) and ``REPOSIX_RHYTHM_TEST_PROJECT`` (``org/project``, a throwaway
project where the account is admin) are set and ``REPOSIX_ALLOWED_ORIGINS`` allows the
server. It creates one issue, reads, updates, searches for it, and deletes it afterwards.
"""

from __future__ import annotations

import os

import pytest

from reposix._audit import MemoryAuditSink
from reposix._backend import DeleteReason
from reposix._http import Allowlist, origin_of
from reposix._records import RecordDraft, RecordStatus
from reposix._runtime import Runtime
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create
from reposix_rhythm import from_env

pytestmark = pytest.mark.live


async def test_live_create_read_update_search_delete() -> None:
    url = os.environ.get("RHYTHM_URL", "").strip()
    project = os.environ.get("REPOSIX_RHYTHM_TEST_PROJECT", "").strip()
    login = os.environ.get("RHYTHM_EMAIL") and os.environ.get("RHYTHM_PASSWORD")
    if not url or not project or not (login or os.environ.get("RHYTHM_REFRESH_TOKEN")):
        pytest.skip("set RHYTHM_URL, RHYTHM_EMAIL/RHYTHM_PASSWORD and REPOSIX_RHYTHM_TEST_PROJECT")
    allowlist = Allowlist.from_env()
    if not allowlist.allows(origin_of(url)):
        pytest.skip(f"REPOSIX_ALLOWED_ORIGINS does not include {url}")
    connector = from_env(runtime=Runtime(audit=MemoryAuditSink(), allowlist=allowlist))
    created = None
    try:
        draft = RecordDraft(title="reposix live xylophonic smoke", labels=["kind:test"])
        created = await connector.create_record(project, sanitize_for_create(Tainted(draft)))
        assert (await connector.get_record(project, created.id)).title == draft.title
        meta = ServerMetadata(created.id, created.created_at, created.updated_at, created.version)
        patch = sanitize(Tainted(created.replace(status=RecordStatus.IN_PROGRESS)), meta)
        assert (await connector.update_record(project, created.id, patch)).status is (
            RecordStatus.IN_PROGRESS
        )
        hits = await connector.search_records(project, "xylophonic smoke")
        assert created.id in [r.id for r in hits]
    finally:
        if created is not None:
            await connector.delete_or_close(project, created.id, DeleteReason.ABANDONED)
        await connector.aclose()
