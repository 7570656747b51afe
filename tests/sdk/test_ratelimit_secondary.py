"""GitHub's secondary rate limits signalled only in the body, through the client, in virtual time.

Vendor source: GitHub, "Rate limits for the REST API", section "Exceeding the rate limit"
(https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit):
a secondary limit answers 403 or 429 with an error message; with no ``retry-after`` and
``x-ratelimit-remaining`` not 0, "wait for at least one minute before retrying", and if it
continues, "wait for an exponentially increasing amount of time between retries, and
throw an error after a specific number of retries". Also "Best practices for using the
REST API" (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately).
The body below is the one GitHub sends (message, documentation_url; reported e.g. in
mozilla-mobile/firefox-android CI logs and go-github's SecondaryRateLimitDocumentationURLs).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator

import httpx
import pytest
import respx

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import RateLimited
from reposix._http import Allowlist, ClientOpts, HttpClient, client
from reposix._ratelimit import RateLimitPolicy, RetryPolicy
from reposix._runtime import Runtime

BASE = "http://127.0.0.1:8080"
SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
    "you try again. If you reach out to GitHub Support for help, please include the request "
    "ID E198:4063:33BD6:375FF:652AAB04.",
    "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "rate-limits-for-the-rest-api#about-secondary-rate-limits",
    "status": "403",
}


def secondary() -> httpx.Response:
    """403, no Retry-After, no x-ratelimit-*: only the body says it is a rate limit."""
    return httpx.Response(403, json=SECONDARY)


def ok() -> httpx.Response:
    return httpx.Response(200, json={"ok": True})


class Server:
    def __init__(self, clock: VirtualClock, script: list[httpx.Response]) -> None:
        self.clock = clock
        self.script = list(script)
        self.sent: list[tuple[str, float]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, self.clock.monotonic()))
        return self.script.pop(0) if self.script else ok()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def make(clock: VirtualClock, limits: RateLimitPolicy | None = None) -> HttpClient:
    runtime = Runtime(
        clock=clock,
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse("http://127.0.0.1:*"),
        # a small default wait: the 60 s floor must come from GitHub's rule, not the policy
        rate_limit=limits or RateLimitPolicy(default_wait=1.0),
        retry=RetryPolicy(rng=random.Random(7)),
    )
    return client(ClientOpts(connector="github", base_url=BASE, runtime=runtime))


def serve(router: respx.MockRouter, server: Server) -> None:
    router.route(url__startswith=BASE).mock(side_effect=server)


async def test_a_read_waits_at_least_a_minute_then_succeeds(
    clock: VirtualClock, router: respx.MockRouter
) -> None:
    server = Server(clock, [secondary(), ok()])
    serve(router, server)
    async with make(clock) as http:
        response = await http.get("/repos/o/r/issues", op="list")
    assert response.status_code == 200
    assert server.sent == [("GET", 0.0), ("GET", 60.0)]
    assert clock.sleeps == [60.0]


async def test_repeats_wait_exponentially_longer(
    clock: VirtualClock, router: respx.MockRouter
) -> None:
    server = Server(clock, [secondary(), secondary(), secondary(), ok()])
    serve(router, server)
    limits = RateLimitPolicy(default_wait=1.0, max_wait=600.0, max_total_wait=1000.0)
    async with make(clock, limits) as http:
        assert (await http.get("/items", op="list")).status_code == 200
    # 60 s, then 120 s, then 240 s between the sends
    assert [t for _, t in server.sent] == [0.0, 60.0, 180.0, 420.0]


async def test_repeats_beyond_max_wait_raise_and_keep_the_gate_closed(
    clock: VirtualClock, router: respx.MockRouter
) -> None:
    """GitHub: "throw an error after a specific number of retries"; the next request waits too."""
    server = Server(clock, [secondary(), secondary()])
    serve(router, server)
    async with make(clock, RateLimitPolicy(default_wait=1.0, max_wait=60.0)) as http:
        with pytest.raises(RateLimited, match="refused for rate limiting") as info:
            await http.get("/items", op="list")
        assert info.value.retry_after == pytest.approx(120.0)
        # the shared gate is armed: the next request is refused unsent (120 s > max_wait)
        with pytest.raises(RateLimited, match="rate gate stays closed"):
            await http.get("/items/2", op="get")
    assert [t for _, t in server.sent] == [0.0, 60.0]


async def test_a_success_resets_the_escalation(
    clock: VirtualClock, router: respx.MockRouter
) -> None:
    server = Server(clock, [secondary(), ok(), secondary(), ok()])
    serve(router, server)
    async with make(clock) as http:
        await http.get("/a", op="list")
        await http.get("/b", op="list")
    # each refusal waits the first step again (60 s), not 120 s
    assert [t for _, t in server.sent] == [0.0, 60.0, 60.0, 120.0]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_write_is_never_resent_but_arms_the_gate(
    clock: VirtualClock, router: respx.MockRouter, method: str
) -> None:
    server = Server(clock, [secondary()])
    serve(router, server)
    async with make(clock) as http:
        with pytest.raises(RateLimited, match="not retried"):
            await http.request(method, "/repos/o/r/issues", op="create", json={"title": "t"})
        # the next request (a read) waits the minute at the gate before it is sent
        assert (await http.get("/repos/o/r/issues", op="list")).status_code == 200
    assert server.sent == [(method, 0.0), ("GET", 60.0)]


async def test_concurrent_reads_all_wait_for_the_armed_gate(
    clock: VirtualClock, router: respx.MockRouter
) -> None:
    server = Server(clock, [secondary()])
    serve(router, server)
    async with make(clock) as http:
        with pytest.raises(RateLimited, match="not retried"):
            await http.post("/a", op="create", json={})
        results = await asyncio.gather(*(http.get(f"/x{i}", op="get") for i in range(3)))
    assert [r.status_code for r in results] == [200, 200, 200]
    assert server.sent == [("POST", 0.0), ("GET", 60.0), ("GET", 60.0), ("GET", 60.0)]


async def test_a_permission_403_is_still_returned_at_once(
    clock: VirtualClock, router: respx.MockRouter
) -> None:
    server = Server(
        clock,
        [httpx.Response(403, json={"message": "Resource not accessible by integration"})],
    )
    serve(router, server)
    async with make(clock) as http:
        assert (await http.get("/items", op="list")).status_code == 403
    assert server.sent == [("GET", 0.0)]
    assert clock.sleeps == []
