"""Smoke test against a real Rhythm server; skipped unless explicitly configured.

Runs only when ``RHYTHM_URL``, ``RHYTHM_EMAIL`` and ``RHYTHM_PASSWORD`` (or
``RHYTHM_REFRESH_TOKEN``) and ``REPOSIX_RHYTHM_TEST_PROJECT`` (``org/project``, a throwaway
project where the account is admin) are set and ``REPOSIX_ALLOWED_ORIGINS`` allows the
server. It creates one issue, reads, updates, searches for it, and deletes it afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from reposix import RecordDraft, RecordStatus
from reposix_contract import live_session
from reposix_rhythm import from_env

pytestmark = pytest.mark.live


def _server(env: Mapping[str, str]) -> str:
    return env["RHYTHM_URL"]


async def test_live_create_read_update_search_delete() -> None:
    async with live_session(
        from_env,
        project_var="REPOSIX_RHYTHM_TEST_PROJECT",
        credentials=[
            ("RHYTHM_URL", "RHYTHM_EMAIL", "RHYTHM_PASSWORD"),
            ("RHYTHM_URL", "RHYTHM_REFRESH_TOKEN"),
        ],
        origin=_server,
    ) as live:
        project, connector = live.project, live.connector
        draft = RecordDraft(title="reposix live xylophonic smoke", labels=["kind:test"])
        created = await live.create(draft)
        assert (await connector.get_record(project, created.id)).title == draft.title
        patch = live.patch(created, status=RecordStatus.IN_PROGRESS)
        assert (await connector.update_record(project, created.id, patch)).status is (
            RecordStatus.IN_PROGRESS
        )
        hits = await connector.search_records(project, "xylophonic smoke")
        assert created.id in [r.id for r in hits]
