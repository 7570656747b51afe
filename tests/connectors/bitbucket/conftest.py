"""Shared fixtures for the Bitbucket connector tests: a runtime, the wire fake, respx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import respx

from reposix import MemoryAuditSink, Runtime, Secret, VirtualClock
from reposix._http import Allowlist
from reposix_bitbucket.connector import BitbucketConnector
from reposix_bitbucket.fake import BitbucketFake
from reposix_contract import FakeStore, Knobs

API = "https://api.bitbucket.org/2.0"
EMAIL = "agent@example.com"
CANARY = "ATATT3xCANARYcanary0123456789CANARY"
OAUTH = "oauth-CANARY-0123456789abcdef"


def make_runtime(**overrides: Any) -> Runtime:
    """The deterministic runtime every test uses."""
    kw: dict[str, Any] = {
        "audit": MemoryAuditSink(),
        "allowlist": Allowlist.parse("https://api.bitbucket.org"),
        "clock": VirtualClock(),
    }
    kw.update(overrides)
    return Runtime(**kw)


@pytest.fixture
def fake(mock: respx.MockRouter) -> BitbucketFake:
    """The wire fake at api.bitbucket.org, accepting the canary pair and an OAuth token."""
    bb = BitbucketFake(FakeStore(VirtualClock()), Knobs(), token=CANARY, oauth_token=OAUTH)
    mock.route(host="api.bitbucket.org").mock(side_effect=bb.handle)
    return bb


Build = Callable[..., BitbucketConnector]


@pytest.fixture
async def build() -> AsyncIterator[Build]:
    """Build connectors (Basic by default, ``bearer=`` for OAuth); closed at teardown."""
    made: list[BitbucketConnector] = []

    def make(token: str = CANARY, bearer: str | None = None, **runtime: Any) -> BitbucketConnector:
        if bearer is not None:
            conn = BitbucketConnector.with_bearer(
                Secret(bearer), base_url=API, runtime=make_runtime(**runtime)
            )
        else:
            conn = BitbucketConnector.with_basic(
                EMAIL, Secret(token), base_url=API, runtime=make_runtime(**runtime)
            )
        made.append(conn)
        return conn

    yield make
    for conn in made:
        await conn.aclose()


@pytest.fixture
def connector(build: Build) -> BitbucketConnector:
    """A connector with the canary API token."""
    return build()
