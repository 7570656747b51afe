"""Shared fixtures for the Jira connector tests: a runtime, the wire fake mounted with respx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import respx

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._http import Allowlist
from reposix._runtime import Runtime
from reposix._secret import Secret
from reposix_contract._fakes import FakeStore, Knobs
from reposix_jira.connector import JiraConnector
from reposix_jira.fake import JiraFake

FIXTURES = Path(__file__).parent / "fixtures"
SITE = "https://reposix-test.atlassian.net"
EMAIL = "reposix-bot@example.com"
CANARY = "ATATT3xCANARYcanary0123456789CANARY"


def load(name: str) -> Any:
    """A vendor example payload (``value``) from ``fixtures/``."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["value"]


def make_runtime(**overrides: Any) -> Runtime:
    kw: dict[str, Any] = {
        "audit": MemoryAuditSink(),
        "allowlist": Allowlist.parse(SITE),
        "clock": VirtualClock(),
    }
    kw.update(overrides)
    return Runtime(**kw)


@pytest.fixture
def runtime() -> Runtime:
    return make_runtime()


@pytest.fixture
def fake(mock: respx.MockRouter) -> JiraFake:
    """The wire fake, mounted at the test site, with the canary as API token."""
    jira = JiraFake(FakeStore(), Knobs(), token=CANARY)
    mock.route(url__startswith=SITE).mock(side_effect=jira.handle)
    return jira


@pytest.fixture
async def connector(runtime: Runtime) -> AsyncIterator[JiraConnector]:
    c = JiraConnector(EMAIL, Secret(CANARY), base_url=SITE, runtime=runtime)
    yield c
    await c.aclose()


Seeder = Callable[..., Any]
