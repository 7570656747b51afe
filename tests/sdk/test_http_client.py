"""The gated client: user agent, timeouts, deadline, userinfo, redirects, typed errors."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel, TypeAdapter

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import (
    AuthError,
    ConfigError,
    NotFound,
    ProtocolError,
    RateLimited,
    TransportError,
    VersionMismatch,
)
from reposix._http import (
    Allowlist,
    BasicAuth,
    BearerAuth,
    ClientOpts,
    HeaderAuth,
    HttpClient,
    client,
    decode,
    protocol_error,
    raise_for_status,
)
from reposix._ratelimit.policy import RetryPolicy
from reposix._runtime import Runtime
from reposix._secret import Secret
from reposix._version import __version__

BASE = "http://127.0.0.1:8080"
ALLOW = Allowlist.parse("http://127.0.0.1:*,http://localhost:*,https://cdn.example")


def make(
    audit: MemoryAuditSink | None = None, clock: VirtualClock | None = None, **kw: Any
) -> HttpClient:
    runtime = Runtime(
        clock=clock or VirtualClock(),
        audit=audit if audit is not None else MemoryAuditSink(),
        allowlist=ALLOW,
        retry=RetryPolicy(rng=random.Random(0)),
    )
    return client(ClientOpts(connector="test", runtime=runtime, **kw))


# --- basics ----------------------------------------------------------------------


async def test_user_agent_and_default_timeouts() -> None:
    with respx.mock as router:
        route = router.get(f"{BASE}/x").respond(200, json={})
        async with make() as http:
            await http.get(f"{BASE}/x", op="probe")
    request = route.calls.last.request
    assert request.headers["user-agent"] == f"reposix/{__version__}"
    timeout = request.extensions["timeout"]
    assert timeout["connect"] == 5.0
    assert timeout["read"] == 30.0


async def test_custom_timeouts() -> None:
    with respx.mock as router:
        route = router.get(f"{BASE}/x").respond(200)
        async with make(connect_timeout=1.5, read_timeout=7.0) as http:
            await http.get(f"{BASE}/x", op="probe")
    timeout = route.calls.last.request.extensions["timeout"]
    assert (timeout["connect"], timeout["read"]) == (1.5, 7.0)


@pytest.mark.parametrize(
    "kw",
    [
        {"connect_timeout": 0},
        {"read_timeout": -1},
        {"deadline": 0},
        {"max_redirects": -1},
    ],
)
def test_bad_options_are_config_errors(kw: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        ClientOpts(**kw)


def test_client_never_exposes_the_httpx_client() -> None:
    http = make()
    public = {name: getattr(http, name) for name in dir(http) if not name.startswith("_")}
    raw_client = httpx.AsyncClient  # noqa: TID251 - only to look for it, never to build one
    assert not any(isinstance(v, raw_client) for v in public.values())


async def test_base_url_and_relative_paths() -> None:
    with respx.mock as router:
        route = router.get(f"{BASE}/api/items").respond(200)
        async with make(base_url=f"{BASE}/api/") as http:
            await http.get("items", op="list")
    assert route.called


async def test_audit_event_fields() -> None:
    audit = MemoryAuditSink()
    clock = VirtualClock()
    with respx.mock as router:
        router.get(f"{BASE}/x").respond(404)
        async with make(audit, clock) as http:
            await http.get(f"{BASE}/x?token=abc&page=2", op="get_record")
    (event,) = audit.events
    assert event.connector == "test"
    assert event.op == "get_record"
    assert event.method == "GET"
    assert event.url == f"{BASE}/x?token=***&page=2"
    assert event.status == 404
    assert event.outcome == "http_error"
    assert event.ts == clock.now()
    assert event.duration_ms >= 0


async def test_every_attempt_is_audited() -> None:
    audit = MemoryAuditSink()
    with respx.mock as router:
        router.get(f"{BASE}/x").mock(
            side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200)]
        )
        async with make(audit) as http:
            response = await http.get(f"{BASE}/x", op="probe")
    assert response.status_code == 200
    assert [(e.status, e.outcome) for e in audit.events] == [
        (503, "retried"),
        (502, "retried"),
        (200, "ok"),
    ]


# --- userinfo ------------------------------------------------------------------


async def test_userinfo_is_stripped_and_never_sent() -> None:
    audit = MemoryAuditSink()
    with respx.mock as router:
        route = router.get(f"{BASE}/x").respond(200)
        async with make(audit) as http:
            await http.get("http://alice:hunter2@127.0.0.1:8080/x", op="probe")
            await http.get(httpx.URL("http://bob:pw@127.0.0.1:8080/x"), op="probe")
    for call in route.calls:
        assert "authorization" not in call.request.headers
        assert call.request.url.userinfo == b""
    assert all("hunter2" not in e.url and "alice" not in e.url for e in audit.events)


async def test_base_url_userinfo_is_stripped() -> None:
    with respx.mock as router:
        route = router.get(f"{BASE}/api/x").respond(200)
        async with make(base_url="http://u:secretpw@127.0.0.1:8080/api/") as http:
            assert "secretpw" not in repr(http)
            await http.get("x", op="probe")
    assert "authorization" not in route.calls.last.request.headers


# --- redirects -----------------------------------------------------------------


async def test_same_origin_redirect_keeps_auth() -> None:
    token = Secret("same-origin-token-1")
    with respx.mock as router:
        router.get(f"{BASE}/a").respond(301, headers={"Location": "/b"})
        b = router.get(f"{BASE}/b").respond(200)
        async with make(auth=BearerAuth(token), follow_redirects=True) as http:
            response = await http.get(f"{BASE}/a", op="probe")
    assert response.status_code == 200
    assert b.calls.last.request.headers["authorization"] == "Bearer same-origin-token-1"


@pytest.mark.parametrize(
    "auth",
    [
        BearerAuth(Secret("tok-cross-1")),
        BasicAuth("me", Secret("tok-cross-1")),
        HeaderAuth("PRIVATE-TOKEN", Secret("tok-cross-1")),
    ],
)
async def test_cross_origin_redirect_strips_credentials(auth: httpx.Auth) -> None:
    audit = MemoryAuditSink()
    with respx.mock as router:
        router.get(f"{BASE}/a").respond(302, headers={"Location": "https://cdn.example/blob"})
        cdn = router.get("https://cdn.example/blob").respond(
            302, headers={"Location": f"{BASE}/back"}
        )
        back = router.get(f"{BASE}/back").respond(200)
        opts: dict[str, Any] = {
            "auth": auth,
            "follow_redirects": True,
            "headers": {"Cookie": "sid=1", "X-Custom": "tok-cross-1", "Accept": "text/plain"},
        }
        async with make(audit, **opts) as http:
            response = await http.get(f"{BASE}/a", op="probe")
    assert response.status_code == 200
    for call in (cdn.calls.last, back.calls.last):
        headers = call.request.headers
        assert "authorization" not in headers
        assert "private-token" not in headers
        assert "cookie" not in headers
        assert "x-custom" not in headers
        assert headers["accept"] == "text/plain"
    assert [e.outcome for e in audit.events] == ["ok", "ok", "ok"]


async def test_303_turns_post_into_get_without_body() -> None:
    with respx.mock as router:
        router.post(f"{BASE}/create").respond(303, headers={"Location": "/done"})
        done = router.get(f"{BASE}/done").respond(200)
        async with make(follow_redirects=True) as http:
            await http.post(f"{BASE}/create", op="create", json={"a": 1}, params={"q": "1"})
    request = done.calls.last.request
    assert request.content == b""
    assert "content-type" not in request.headers
    assert request.url.query == b""


async def test_307_keeps_method_and_body() -> None:
    with respx.mock as router:
        router.put(f"{BASE}/a").respond(307, headers={"Location": "/b"})
        b = router.put(f"{BASE}/b").respond(200)
        async with make(follow_redirects=True) as http:
            await http.put(f"{BASE}/a", op="update", json={"a": 1})
    assert json.loads(b.calls.last.request.content) == {"a": 1}


async def test_too_many_redirects() -> None:
    with respx.mock as router:
        router.get(f"{BASE}/loop").respond(302, headers={"Location": "/loop"})
        async with make(follow_redirects=True, max_redirects=3) as http:
            with pytest.raises(TransportError, match="more than 3 redirects"):
                await http.get(f"{BASE}/loop", op="probe")


# --- deadline and transport failures ------------------------------------------


async def test_deadline_covers_retries_and_backoff() -> None:
    audit = MemoryAuditSink()
    clock = VirtualClock()
    with respx.mock as router:
        route = router.get(f"{BASE}/x").respond(503)
        async with make(audit, clock, deadline=1.0) as http:
            with pytest.raises(TransportError, match="deadline") as info:
                await http.get(f"{BASE}/x", op="probe")
    assert "1s deadline" in str(info.value)
    assert clock.monotonic() < 1.0  # refused the wait instead of sleeping past it
    assert route.call_count >= 1
    assert audit.events[-1].outcome == "timeout"


async def test_deadline_covers_rate_limit_waits() -> None:
    audit = MemoryAuditSink()
    clock = VirtualClock()
    with respx.mock as router:
        route = router.get(f"{BASE}/x").respond(429, headers={"Retry-After": "30"})
        async with make(audit, clock, deadline=10.0) as http:
            with pytest.raises(TransportError, match="deadline"):
                await http.get(f"{BASE}/x", op="probe")
    assert route.call_count == 1
    assert clock.monotonic() < 10.0
    assert [e.outcome for e in audit.events] == ["rate_limited", "timeout"]


async def test_deadline_measured_on_the_runtime_clock() -> None:
    clock = VirtualClock()

    def slow(request: httpx.Request) -> httpx.Response:
        clock.advance(6.0)  # the server took 6 virtual seconds
        return httpx.Response(500)

    with respx.mock as router:
        route = router.get(f"{BASE}/x").mock(side_effect=slow)
        async with make(clock=clock, deadline=5.0) as http:
            with pytest.raises(TransportError, match="deadline"):
                await http.get(f"{BASE}/x", op="probe")
    assert route.call_count == 1


async def test_deadline_interrupts_a_hanging_send() -> None:
    audit = MemoryAuditSink()

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    with respx.mock as router:
        router.get(f"{BASE}/x").mock(side_effect=hang)
        async with make(audit, deadline=0.05) as http:
            with pytest.raises(TransportError, match="deadline"):
                await http.get(f"{BASE}/x", op="probe")
    assert audit.events[-1].outcome == "timeout"


async def test_no_deadline_by_default() -> None:
    clock = VirtualClock()
    with respx.mock as router:
        router.get(f"{BASE}/x").mock(side_effect=[httpx.Response(503)] * 3 + [httpx.Response(200)])
        async with make(clock=clock) as http:
            assert (await http.get(f"{BASE}/x", op="probe")).status_code == 200
    assert clock.monotonic() > 0


@pytest.mark.parametrize(
    ("exc", "outcome", "word"),
    [
        (httpx.ConnectError("refused"), "transport_error", "failed"),
        (httpx.ReadTimeout("slow"), "timeout", "timed out"),
    ],
)
async def test_transport_errors_are_typed(exc: Exception, outcome: str, word: str) -> None:
    audit = MemoryAuditSink()
    with respx.mock as router:
        router.post(f"{BASE}/x").mock(side_effect=exc)
        async with make(audit) as http:
            with pytest.raises(TransportError) as info:
                await http.post(f"{BASE}/x", op="create", json={})
    assert word in str(info.value)
    assert [e.outcome for e in audit.events] == [outcome]


@pytest.mark.parametrize(
    ("url", "simulator"),
    [("http://127.0.0.1:7878/x", True), ("https://cdn.example/x", False)],
)
async def test_a_refused_connection_says_what_to_check(url: str, simulator: bool) -> None:
    # A newcomer running 'reposix list' before 'reposix sim' got only "ConnectError (All
    # connection attempts failed)"; the error now names the origin and, on loopback, the
    # simulator command.
    with respx.mock as router:
        router.get(url).mock(side_effect=httpx.ConnectError("All connection attempts failed"))
        async with make() as http:
            with pytest.raises(TransportError) as info:
                await http.get(url, op="probe")
    origin = url.rsplit("/", 1)[0]
    assert info.value.hint is not None
    assert f"nothing answered at {origin}" in info.value.hint
    assert ("'reposix sim'" in info.value.hint) is simulator


async def test_undecodable_body_is_a_protocol_error() -> None:
    with respx.mock as router:
        router.get(f"{BASE}/x").mock(
            side_effect=lambda request: httpx.Response(
                200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
            )
        )
        async with make() as http:
            with pytest.raises(ProtocolError, match="undecodable"):
                await http.get(f"{BASE}/x", op="probe")


# --- typed errors -------------------------------------------------------------


def _response(status: int, body: bytes = b"", **headers: str) -> httpx.Response:
    request = httpx.Request("GET", f"{BASE}/projects/demo/records/7?token=s3cr3t")
    return httpx.Response(status, content=body, headers=headers, request=request)


def test_raise_for_status_passes_2xx() -> None:
    raise_for_status(_response(204), what="record 7")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, NotFound),
        (410, NotFound),
        (401, AuthError),
        (403, AuthError),
        (409, VersionMismatch),
        (412, VersionMismatch),
        (429, RateLimited),
        (400, ProtocolError),
        (422, ProtocolError),
        (500, ProtocolError),
        (302, ProtocolError),
    ],
)
def test_raise_for_status_types(status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        raise_for_status(_response(status, b'{"oops": true}'), what="record 7")
    assert "s3cr3t" not in str(info.value)


def test_auth_error_names_env_vars() -> None:
    with pytest.raises(AuthError) as info:
        raise_for_status(_response(401), what="list", env_vars=["GITHUB_TOKEN"])
    assert info.value.env_vars == ("GITHUB_TOKEN",)
    assert "GITHUB_TOKEN" in str(info.value)


def test_version_mismatch_carries_expected() -> None:
    with pytest.raises(VersionMismatch) as info:
        raise_for_status(_response(409), what="update", conflict_version=3)
    assert info.value.expected == 3


def test_protocol_error_carries_context() -> None:
    err = protocol_error(_response(500, b"boom " * 100), "bad")
    assert err.method == "GET"
    assert err.url == f"{BASE}/projects/demo/records/7?token=***"
    assert err.status == 500
    assert err.excerpt is not None
    assert err.excerpt.startswith("boom")
    assert len(err.excerpt) <= 200


class Item(BaseModel):
    id: int
    title: str


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"not json", "<root>"),
        (b"", "<root>"),
        (b'[{"id": 1}]', "0.title"),
        (b'[{"id": "x", "title": "t"}]', "0.id"),
        (b'{"id": 1, "title": "t"}', "<root>"),
        (b"\xff\xfe", "<root>"),
    ],
)
def test_decode_errors_are_protocol_errors(body: bytes, where: str) -> None:
    with pytest.raises(ProtocolError) as info:
        decode(_response(200, body), TypeAdapter(list[Item]), "listing")
    assert where in str(info.value)
    assert info.value.status == 200


def test_decode_success() -> None:
    items = decode(_response(200, b'[{"id": 1, "title": "t"}]'), TypeAdapter(list[Item]))
    assert items == [Item(id=1, title="t")]
