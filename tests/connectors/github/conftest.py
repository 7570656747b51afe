"""Shared fixtures for the GitHub connector tests: a runtime, the wire fake, respx."""

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
from reposix_contract._fakes import FakeStore, Knobs
from reposix_github.connector import GitHubConnector
from reposix_github.fake import GitHubFake

API = "https://api.github.com"
CANARY = "ghp_CANARYcanary0123456789abcdefCANARY99"


def make_runtime(**overrides: Any) -> Runtime:
    """The deterministic runtime every test uses."""
    kw: dict[str, Any] = {
        "audit": MemoryAuditSink(),
        "allowlist": Allowlist.parse(API),
        "clock": VirtualClock(),
    }
    kw.update(overrides)
    return Runtime(**kw)


@pytest.fixture
def runtime() -> Runtime:
    return make_runtime()


@pytest.fixture
async def connector(runtime: Runtime) -> AsyncIterator[GitHubConnector]:
    """A connector with the canary token, talking to ``api.github.com`` (mocked)."""
    conn = GitHubConnector(Secret(CANARY), runtime=runtime)
    yield conn
    await conn.aclose()


@pytest.fixture
def fake(mock: respx.MockRouter) -> GitHubFake:
    """The wire fake mounted at api.github.com, holding the canary as the valid token."""
    gh = GitHubFake(FakeStore(VirtualClock()), Knobs(), token=CANARY)
    mock.route(host="api.github.com").mock(side_effect=gh.handle)
    return gh


Build = Callable[..., GitHubConnector]


@pytest.fixture
async def build() -> AsyncIterator[Build]:
    """Build extra connectors (other runtimes or tokens); closed at teardown."""
    made: list[GitHubConnector] = []

    def make(token: str = CANARY, base_url: str = API, **runtime: Any) -> GitHubConnector:
        conn = GitHubConnector(Secret(token), base_url=base_url, runtime=make_runtime(**runtime))
        made.append(conn)
        return conn

    yield make
    for conn in made:
        await conn.aclose()
