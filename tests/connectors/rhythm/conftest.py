"""Shared fixtures for the Rhythm tests: the wire fake on a virtual clock, mounted as the
runtime's transport, and a builder for connectors with any credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._http import Allowlist
from reposix._runtime import Runtime
from reposix._secret import Secret
from reposix_contract._fakes import FakeStore, Knobs
from reposix_rhythm.connector import RhythmConnector
from reposix_rhythm.fake import RhythmFake

BASE = "https://rhythm.example.com"
EMAIL = "kit@rhythm.example"
PASSWORD = "pw-CANARY-0123456789abcdef"


@pytest.fixture
def fake() -> RhythmFake:
    fk = RhythmFake(FakeStore(VirtualClock()), Knobs(decoys=False))
    fk.set_credentials({"RHYTHM_EMAIL": EMAIL, "RHYTHM_PASSWORD": PASSWORD})
    return fk


@pytest.fixture
def runtime(fake: RhythmFake) -> Runtime:
    return Runtime(
        clock=fake.store.clock,
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(BASE),
        transport=httpx.MockTransport(fake.handle),
    )


Build = Callable[..., RhythmConnector]


@pytest.fixture
async def build(runtime: Runtime) -> AsyncIterator[Build]:
    """``build(email=..., password=..., refresh_token=..., token_store=...)``: a connector
    on the fake (the kit user's login by default); all are closed afterwards."""
    made: list[RhythmConnector] = []

    def make(**kw: Any) -> RhythmConnector:
        if "refresh_token" not in kw:
            kw.setdefault("email", EMAIL)
            kw.setdefault("password", Secret(PASSWORD))
        conn = RhythmConnector(base_url=BASE, runtime=runtime, **kw)
        made.append(conn)
        return conn

    yield make
    for conn in made:
        await conn.aclose()


async def call(fake: RhythmFake, method: str, path: str, **kw: Any) -> httpx.Response:
    """One raw request to the fake (``path`` under ``/api/v1``)."""
    request = httpx.Request(method, BASE + "/api/v1" + path, **kw)
    return await fake.handle(request)


async def login(fake: RhythmFake, email: str = EMAIL, password: str = PASSWORD) -> dict[str, Any]:
    response = await call(fake, "POST", "/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
