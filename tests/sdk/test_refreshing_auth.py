"""``RefreshingAuth``: renew ahead of a known expiry or once on a 401, one renewal shared by
concurrent requests, never a re-send for anything but a 401, rotated tokens stored and
redacted, a refused renewal surfacing as ``AuthError``."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import httpx
import pytest

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import AuthError, ConfigError
from reposix._http import Allowlist, ClientOpts, HttpClient
from reposix._http.auth import (
    FileTokenStore,
    MemoryTokenStore,
    RefreshingAuth,
    TokenPair,
)
from reposix._runtime import Runtime
from reposix._secret import Secret

BASE = "https://tracker.example.com"


class Server:
    """Accepts one access token at a time; counts what it processed."""

    def __init__(self) -> None:
        self.valid: str | None = None
        self.processed: list[str] = []
        self.refused = 0
        self.answer = 200
        self.always_401 = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        expected = f"Bearer {self.valid}"
        if self.always_401 or request.headers.get("authorization") != expected:
            self.refused += 1
            return httpx.Response(401, json={"error": "expired"})
        self.processed.append(f"{request.method} {request.url.path}")
        return httpx.Response(self.answer, json={})


def _setup(
    server: Server,
    *,
    expires_in: float | None = None,
    refuse: bool = False,
    store: FileTokenStore | None = None,
) -> tuple[HttpClient, RefreshingAuth, list[Secret | None], VirtualClock]:
    clock = VirtualClock()
    calls: list[Secret | None] = []

    async def refresher(refresh: Secret | None) -> TokenPair:
        calls.append(refresh)
        await asyncio.sleep(0)  # let concurrent requests pile up behind the lock
        if refuse:
            raise AuthError("refresh refused", hint="log in again")
        n = len(calls)
        server.valid = f"access-token-number-{n:04d}"
        return TokenPair(Secret(server.valid), Secret(f"refresh-token-number-{n:04d}"), expires_in)

    auth = RefreshingAuth(
        refresher, clock=clock, refresh_token=Secret("refresh-token-initial"), store=store
    )
    runtime = Runtime(
        clock=clock,
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(BASE),
        transport=httpx.MockTransport(server.handler),
    )
    http = HttpClient(ClientOpts(connector="t", base_url=BASE, auth=auth, runtime=runtime))
    return http, auth, calls, clock


async def test_a_401_renews_once_and_resends_once() -> None:
    server = Server()
    http, _auth, calls, _ = _setup(server)
    assert (await http.post("items", op="create", json={"a": 1})).status_code == 200
    server.valid = "revoked-by-the-server"
    response = await http.post("items", op="create", json={"a": 2})
    assert response.status_code == 200
    assert server.processed == ["POST /items", "POST /items"]  # each write processed once
    assert [c.reveal() if c else None for c in calls] == [
        "refresh-token-initial",
        "refresh-token-number-0001",  # the rotated token was used for the second renewal
    ]
    await http.aclose()


async def test_a_second_401_is_returned_not_looped() -> None:
    server = Server()
    http, auth, _calls, _ = _setup(server)
    await http.get("x", op="get")
    server.always_401 = True
    assert (await http.get("x", op="get")).status_code == 401
    assert auth.refreshes == 2
    await http.aclose()


async def test_no_resend_for_anything_but_401() -> None:
    server = Server()
    http, _auth, _, clock = _setup(server, expires_in=900)
    await http.get("warm", op="get")
    server.answer = 409
    clock.advance(10)
    assert (await http.post("items", op="create", json={})).status_code == 409
    assert server.processed.count("POST /items") == 1
    await http.aclose()


async def test_renews_ahead_of_a_known_expiry_without_a_401() -> None:
    server = Server()
    http, _auth, calls, clock = _setup(server, expires_in=900)
    await http.get("x", op="get")
    clock.advance(900 - 29)  # inside the 30 s leeway
    await http.get("x", op="get")
    assert len(calls) == 2
    assert server.refused == 0
    await http.aclose()


async def test_concurrent_requests_share_one_renewal() -> None:
    server = Server()
    http, _auth, calls, _ = _setup(server)
    await http.get("x", op="get")
    server.valid = "revoked"
    results = await asyncio.gather(*(http.get(f"x{i}", op="get") for i in range(6)))
    assert all(r.status_code == 200 for r in results)
    assert len(calls) == 2
    await http.aclose()


async def test_refused_renewal_is_auth_error() -> None:
    http, _, _, _ = _setup(Server(), refuse=True)
    with pytest.raises(AuthError, match="log in again"):
        await http.get("x", op="get")
    await http.aclose()


async def test_rotated_tokens_are_redacted_and_stored(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "sub" / "token")
    server = Server()
    http, auth, _, _ = _setup(server, store=store)
    await http.get("x", op="get")
    saved = store.load()
    assert saved is not None
    assert saved.reveal() == "refresh-token-number-0001"
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    text = http.redact("a access-token-number-0001 b refresh-token-number-0001 c")
    assert "number-0001" not in text
    assert "token" not in repr(auth).lower().replace("refreshingauth", "")
    await http.aclose()


def test_stores_and_sync_use() -> None:
    memory = MemoryTokenStore()
    assert memory.load() is None
    memory.save(Secret("abc"))
    assert memory.load() is not None
    assert "abc" not in repr(memory)
    assert FileTokenStore("/nonexistent/dir/token").load() is None

    async def refresher(refresh: Secret | None) -> TokenPair:
        raise AssertionError("not called")

    auth = RefreshingAuth(refresher, clock=VirtualClock())
    with pytest.raises(ConfigError):
        next(auth.sync_auth_flow(httpx.Request("GET", BASE)))
