"""Shared fixtures for the Confluence connector tests: a runtime, the wire fake, respx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import respx

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._http import Allowlist
from reposix._runtime import Runtime
from reposix._secret import Secret
from reposix_confluence.connector import ConfluenceConnector
from reposix_confluence.fake import ConfluenceFake
from reposix_contract._fakes import FakeStore, Knobs

SITE = "https://reposix-test.atlassian.net"
EMAIL = "bot@example.com"
CANARY = "ATATT3xCANARYcanary0123456789abcdefCANARY99"


def make_runtime(**overrides: Any) -> Runtime:
    """The deterministic runtime every test uses."""
    kw: dict[str, Any] = {
        "audit": MemoryAuditSink(),
        "allowlist": Allowlist.parse(SITE),
        "clock": VirtualClock(),
    }
    kw.update(overrides)
    return Runtime(**kw)


@pytest.fixture
def fake(mock: respx.MockRouter) -> ConfluenceFake:
    """The wire fake mounted at the test site, holding the canary as the valid API key."""
    cf = ConfluenceFake(
        FakeStore(VirtualClock()), Knobs(), base_url=SITE, email=EMAIL, api_key=CANARY
    )
    mock.route(host="reposix-test.atlassian.net").mock(side_effect=cf.handle)
    return cf


Build = Callable[..., ConfluenceConnector]


@pytest.fixture
async def build() -> AsyncIterator[Build]:
    """Build connectors (other runtimes or keys); closed at teardown."""
    made: list[ConfluenceConnector] = []

    def make(key: str = CANARY, email: str = EMAIL, **runtime: Any) -> ConfluenceConnector:
        conn = ConfluenceConnector(
            email, Secret(key), base_url=SITE, runtime=make_runtime(**runtime)
        )
        made.append(conn)
        return conn

    yield make
    for conn in made:
        await conn.aclose()


@pytest.fixture
async def connector(build: Build) -> ConfluenceConnector:
    """A connector with the canary key."""
    return build()
