"""Smoke test against a real {{ cookiecutter.connector_title }}; skipped unless configured.

Runs only when ``{{ cookiecutter.credential_env_var }}`` and ``PROJECT_VAR`` (below: a
throwaway project) are set and ``REPOSIX_ALLOWED_ORIGINS`` allows ``DEFAULT_BASE_URL``.
It creates one item, reads and updates it, and deletes it afterwards, whatever happens in
between (``reposix_contract.live_session`` does the skip, the audited runtime and the
cleanup).

TODO(connector author): if your tracker closes instead of deleting, pass ``cleanup=``
a function that closes the item; add the calls your connector adds.
"""

from __future__ import annotations

import asyncio

import pytest
from reposix import RecordDraft, RecordStatus
from reposix_contract import live_session

from {{ cookiecutter.package_name }} import DEFAULT_BASE_URL, ENV_VARS, NAME, from_env

pytestmark = pytest.mark.live

PROJECT_VAR = "REPOSIX_" + NAME.upper().replace("-", "_") + "_TEST_PROJECT"


async def _round_trip() -> None:
    async with live_session(
        from_env,
        project_var=PROJECT_VAR,
        credentials=[ENV_VARS],
        origin=DEFAULT_BASE_URL,
    ) as live:
        draft = RecordDraft(title="reposix live smoke test (safe to delete)", labels=["kind-test"])
        created = await live.create(draft)
        fetched = await live.connector.get_record(live.project, created.id)
        assert fetched.title == draft.title
        patch = live.patch(fetched, status=RecordStatus.IN_PROGRESS)
        updated = await live.connector.update_record(live.project, created.id, patch)
        assert updated.status is RecordStatus.IN_PROGRESS


def test_live_create_read_update_delete() -> None:
    asyncio.run(_round_trip())
