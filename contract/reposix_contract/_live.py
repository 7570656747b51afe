"""Live (real-account) smoke tests: one helper for the env lookups, skips and cleanup.

A connector's live test creates a few records in a throwaway project of a real tracker
and must leave nothing behind. What every such test repeats lives here:

* the **skip**: the test runs only when the project variable and one full set of
  credential variables are set, and ``REPOSIX_ALLOWED_ORIGINS`` allows the tracker's
  origin; otherwise it is skipped with a message naming what to set;
* the **runtime**: the connector is built with an in-memory audit sink and the
  environment's allowlist, and at the end every audit row must carry the connector's
  name (every request went through the SDK's client);
* the **cleanup**: every record the test created is deleted or closed afterwards,
  whatever happened in between, and the connector is closed.

```python
from reposix_contract import live_session

async def test_live_round_trip() -> None:
    async with live_session(
        from_env,
        project_var="ACME_TEST_PROJECT",
        credentials=[("ACME_TOKEN",)],
        origin="https://tracker.acme.example",
    ) as live:
        created = await live.create(RecordDraft(title="reposix live smoke test"))
        updated = await live.connector.update_record(
            live.project, created.id, live.patch(created, status=RecordStatus.DONE)
        )
```
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pytest

from reposix._audit import MemoryAuditSink
from reposix._backend import BackendConnector, DeleteReason
from reposix._http.allowlist import Allowlist, origin_of
from reposix._records import Record, RecordDraft, RecordId
from reposix._runtime import Runtime
from reposix._taint import (
    ServerMetadata,
    Tainted,
    Untainted,
    sanitize,
    sanitize_for_create,
)

__all__ = ["LiveSession", "live_session"]

C = TypeVar("C", bound=BackendConnector)

Cleanup = Callable[[C, str, RecordId], Awaitable[None]]
"""How one created record is removed: ``(connector, project, record_id)``."""


async def _delete_or_close(connector: BackendConnector, project: str, record_id: RecordId) -> None:
    await connector.delete_or_close(project, record_id, DeleteReason.ABANDONED)


@dataclass
class LiveSession(Generic[C]):
    """A connector against a real tracker's throwaway ``project``, with its cleanup.

    ``env`` holds the environment's values (stripped) of the variables the test asked
    for; ``audit`` is the in-memory audit sink the connector writes to.
    """

    connector: C
    project: str
    audit: MemoryAuditSink
    env: Mapping[str, str]
    created: list[RecordId] = field(default_factory=list)
    """Ids of the records to remove at the end, in creation order."""

    async def create(self, draft: RecordDraft, *, project: str | None = None) -> Record:
        """Create ``draft`` (sanitized) and remember it for the cleanup."""
        record = await self.connector.create_record(
            project or self.project, sanitize_for_create(Tainted(draft))
        )
        self.created.append(record.id)
        return record

    def track(self, record_id: RecordId) -> None:
        """Remove this record at the end too (one created some other way)."""
        self.created.append(record_id)

    @staticmethod
    def patch(record: Record, **changes: Any) -> Untainted[Record]:
        """``record`` with ``changes``, vetted for ``update_record`` with its own metadata."""
        meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
        return sanitize(Tainted(record.replace(**changes)), meta)


def _value(name: str) -> str:
    return os.environ.get(name, "").strip()


def _configured(credentials: Sequence[Sequence[str]]) -> Sequence[str] | None:
    """The first credential set whose every variable is set, or None."""
    return next((group for group in credentials if all(_value(v) for v in group)), None)


def _skip_reason(project_var: str, credentials: Sequence[Sequence[str]]) -> str:
    sets = [" + ".join(group) for group in credentials]
    need = sets[0] if len(sets) == 1 else "one of " + " | ".join(sets)
    return f"live test: set {need} and {project_var} (a throwaway project) to run"


@asynccontextmanager
async def live_session(
    build: Callable[[str, Runtime], C],
    *,
    project_var: str,
    credentials: Sequence[Sequence[str]],
    origin: str | Callable[[Mapping[str, str]], str],
    cleanup: Cleanup[C] | None = None,
    extra_vars: Sequence[str] = (),
) -> AsyncIterator[LiveSession[C]]:
    """A [`LiveSession`][reposix_contract.LiveSession], or a pytest skip saying what to set.

    ``build(base_url, runtime)`` makes the connector for the tracker's base URL (a
    plugin's ``from_env`` fits as it is).
    ``project_var`` names the variable holding the throwaway project. ``credentials``
    lists the accepted credential sets, each a tuple of variables that must all be set
    (``[("EMAIL", "TOKEN"), ("OAUTH_TOKEN",)]``). ``origin`` is the tracker's base URL,
    or a function of the variables' values that computes it (a tenant's site).
    ``cleanup(connector, project, id)`` removes one created record (default:
    ``delete_or_close`` with ``ABANDONED``); it runs for each created record, newest
    first, even when the test failed, and a cleanup failure fails the test after the
    others ran. ``extra_vars`` are optional variables copied into ``session.env``.
    On a clean exit every audit row must carry the connector's name.
    """
    project = _value(project_var)
    chosen = _configured(credentials)
    if not project or chosen is None:
        pytest.skip(_skip_reason(project_var, credentials))
    names = {project_var, *chosen, *extra_vars}
    env = {name: _value(name) for name in sorted(names) if _value(name)}
    base = origin(env) if callable(origin) else origin
    allowlist = Allowlist.from_env()
    if not allowlist.allows(origin_of(base)):
        pytest.skip(f"live test: REPOSIX_ALLOWED_ORIGINS does not include {origin_of(base)}")
    audit = MemoryAuditSink()
    connector = build(base, Runtime(audit=audit, allowlist=allowlist))
    session = LiveSession(connector, project, audit, env)
    remove: Cleanup[C] = cleanup or _delete_or_close
    failed: BaseException | None = None
    try:
        yield session
    except BaseException as exc:
        failed = exc
        raise
    finally:
        problems: list[Exception] = []
        for record_id in reversed(session.created):
            try:
                await remove(connector, project, record_id)
            except Exception as exc:  # every record gets its cleanup; report after
                problems.append(exc)
        await connector.aclose()
        if problems and failed is not None:  # the test's own failure stays the error
            failed.add_note(f"live cleanup failed too: {problems!r}")
        elif problems:
            raise problems[0]
    strangers = {e.connector for e in audit.events} - {connector.name}
    assert not strangers, f"audit rows under other names than {connector.name!r}: {strangers}"
