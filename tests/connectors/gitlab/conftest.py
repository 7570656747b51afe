"""Shared fixtures for the GitLab connector tests: a runtime, the wire fake, respx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import respx

from reposix import MemoryAuditSink, Runtime, Secret, VirtualClock
from reposix._http import Allowlist
from reposix_contract import FakeStore, Knobs
from reposix_gitlab.connector import GitLabConnector
from reposix_gitlab.fake import GitLabFake

API = "https://gitlab.example.com/gitlab/api/v4"
CANARY = "glpat-CANARYcanary0123456789CANARY"
DEVELOPER = "glpat-DEVELOPERdeveloper012345678"


def make_runtime(**overrides: Any) -> Runtime:
    """The deterministic runtime every test uses."""
    kw: dict[str, Any] = {
        "audit": MemoryAuditSink(),
        "allowlist": Allowlist.parse("https://gitlab.example.com"),
        "clock": VirtualClock(),
    }
    kw.update(overrides)
    return Runtime(**kw)


@pytest.fixture
def fake(mock: respx.MockRouter) -> GitLabFake:
    """The wire fake under ``/gitlab/api/v4``, holding the canary as the owner's token."""
    gl = GitLabFake(FakeStore(VirtualClock()), Knobs(), token=CANARY, developer_token=DEVELOPER)
    mock.route(host="gitlab.example.com").mock(side_effect=gl.handle)
    return gl


Build = Callable[..., GitLabConnector]


@pytest.fixture
async def build() -> AsyncIterator[Build]:
    """Build connectors (other runtimes, tokens or auth modes); closed at teardown."""
    made: list[GitLabConnector] = []

    def make(
        token: str = CANARY, base_url: str = API, auth: str = "private-token", **runtime: Any
    ) -> GitLabConnector:
        conn = GitLabConnector(
            Secret(token),
            base_url=base_url,
            auth=auth,  # type: ignore[arg-type]
            runtime=make_runtime(**runtime),
        )
        made.append(conn)
        return conn

    yield make
    for conn in made:
        await conn.aclose()


@pytest.fixture
def connector(build: Build) -> GitLabConnector:
    """A connector with the canary token on the fake's prefixed base URL."""
    return build()
