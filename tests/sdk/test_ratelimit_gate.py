"""The rate gate, the proactive budget and the retry loop, in virtual time over respx."""

from __future__ import annotations

import asyncio
import copy
import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import ConfigError, RateLimited, TransportError
from reposix._http import Allowlist, ClientOpts, HttpClient, client
from reposix._ratelimit import RateGate, RateLimitPolicy, RateSignal, RetryPolicy
from reposix._runtime import Runtime

BASE = "http://127.0.0.1:8080"
URL = f"{BASE}/items"

Reply = httpx.Response | type[Exception]


class Server:
    """A respx side effect serving a fixed script and recording virtual send times."""

    def __init__(self, clock: VirtualClock, script: list[Callable[[], Reply]]) -> None:
        self.clock = clock
        self.script = list(script)
        self.sent: list[float] = []
        self.methods: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(self.clock.monotonic())
        self.methods.append(request.method)
        reply = self.script.pop(0)() if self.script else httpx.Response(200, json={"ok": True})
        if isinstance(reply, type):
            raise reply("injected", request=request)  # type: ignore[call-arg]
        return reply


def ok() -> httpx.Response:
    return httpx.Response(200, json={"ok": True})


def status(code: int, headers: dict[str, str] | None = None) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(code, headers=headers or {})


def connect_error() -> type[Exception]:
    return httpx.ConnectError


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def audit() -> MemoryAuditSink:
    return MemoryAuditSink()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def make_client(
    clock: VirtualClock,
    audit: MemoryAuditSink,
    *,
    limits: RateLimitPolicy | None = None,
    retry: RetryPolicy | None = None,
    gate: RateGate | None = None,
) -> HttpClient:
    runtime = Runtime(
        clock=clock,
        audit=audit,
        allowlist=Allowlist.parse("http://127.0.0.1:*"),
        rate_limit=limits or RateLimitPolicy(),
        retry=retry or RetryPolicy(rng=random.Random(7)),
    )
    return client(ClientOpts(connector="test", base_url=BASE, runtime=runtime, gate=gate))


def serve(router: respx.MockRouter, server: Server) -> None:
    router.route(url__startswith=BASE).mock(side_effect=server)


def outcomes(audit: MemoryAuditSink) -> list[str]:
    return [e.outcome for e in audit.events]


# --- the gate alone ---------------------------------------------------------------------------


async def test_armed_gate_waits_in_virtual_time(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(), clock)
    assert gate.arm(RateSignal(refused=True, wait=12.5)) == 12.5
    assert gate.delay() == 12.5
    assert await gate.acquire() == 12.5
    assert clock.monotonic() == 12.5
    assert gate.delay() == 0


async def test_signal_without_wait_uses_the_default(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(default_wait=42), clock)
    assert gate.arm(RateSignal(refused=True, wait=None)) == 42


async def test_gate_never_reopens_early(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(), clock)
    gate.arm(30)
    gate.arm(5)
    assert gate.delay() == 30


async def test_wait_beyond_max_wait_raises_at_once(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(max_wait=60), clock)
    gate.arm(3600)
    with pytest.raises(RateLimited) as info:
        await gate.acquire()
    assert clock.sleeps == []
    assert info.value.retry_after == 3600
    assert info.value.until == clock.now() + timedelta(seconds=3600)
    assert str(info.value).startswith("rate limited: ")


async def test_wait_beyond_the_callers_budget_raises(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(max_wait=60), clock)
    gate.arm(30)
    with pytest.raises(RateLimited):
        await gate.acquire(budget=10)
    assert clock.sleeps == []


async def test_budget_paces_requests_as_a_sliding_window(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(budget=(2, 10.0)), clock)
    times = []
    for _ in range(7):
        await gate.acquire()
        times.append(clock.monotonic())
    assert times == [0, 0, 10, 10, 20, 20, 30]


async def test_budget_is_a_sliding_window_not_fixed_buckets(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(budget=(3, 10.0)), clock)
    times = []
    for pause in (0, 4, 4, 0, 0, 0):
        clock.advance(pause)
        await gate.acquire()
        times.append(clock.monotonic())
    assert times == [0, 4, 8, 10, 14, 18]
    assert all(later - earlier >= 10 for earlier, later in zip(times, times[3:], strict=False))


async def test_budget_wait_longer_than_max_wait_is_refused(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(budget=(1, 3600.0), max_wait=60), clock)
    await gate.acquire()
    with pytest.raises(RateLimited) as info:
        await gate.acquire()
    assert info.value.retry_after == pytest.approx(3600)


async def test_concurrent_acquires_share_one_wait(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(), clock)
    gate.arm(20)
    await asyncio.gather(*(gate.acquire() for _ in range(5)))
    assert clock.monotonic() == 20  # one 20 s wait, not five


def test_copies_share_the_gate(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(), clock)
    assert copy.copy(gate) is gate
    holder = {"gate": gate}
    assert copy.deepcopy(holder)["gate"] is gate


def test_gate_works_across_event_loops(clock: VirtualClock) -> None:
    gate = RateGate(RateLimitPolicy(), clock)
    gate.arm(1)
    asyncio.run(gate.acquire())
    gate.arm(1)
    asyncio.run(gate.acquire())
    assert clock.monotonic() == 2


@pytest.mark.parametrize(
    "make",
    [
        lambda: RateLimitPolicy(max_attempts=0),
        lambda: RateLimitPolicy(max_wait=-1),
        lambda: RateLimitPolicy(max_total_wait=float("inf")),
        lambda: RateLimitPolicy(budget=(0, 1.0)),
        lambda: RateLimitPolicy(budget=(1, 0.0)),
        lambda: RetryPolicy(max_attempts=0),
        lambda: RetryPolicy(base_delay=10, max_delay=1),
    ],
)
def test_policies_reject_nonsense(make: Callable[[], object]) -> None:
    with pytest.raises(ConfigError):
        make()


def test_backoff_is_exponential_jittered_capped_and_seedable() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=8, rng=random.Random(3))
    delays = [policy.backoff(n) for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(8, 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    again = RetryPolicy(base_delay=1, max_delay=8, rng=random.Random(3))
    assert [again.backoff(n) for n in range(1, 8)] == delays
    assert policy.backoff(10_000) <= 8


# --- through HttpClient -----------------------------------------------------------------------


async def test_429_retry_after_waits_then_succeeds(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(429, {"Retry-After": "30"}), ok])
    serve(router, server)
    async with make_client(clock, audit) as http:
        response = await http.get("/items", op="list")
    assert response.status_code == 200
    assert server.sent == [0, 30]
    assert outcomes(audit) == ["rate_limited", "ok"]


async def test_429_http_date_is_honoured(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    date = format_datetime(clock.now() + timedelta(seconds=45), usegmt=True)
    server = Server(clock, [status(429, {"Retry-After": date}), ok])
    serve(router, server)
    async with make_client(clock, audit) as http:
        assert (await http.get("/items", op="list")).status_code == 200
    assert server.sent == [0, 45]


async def test_bare_429_uses_the_default_wait(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(429), ok])
    serve(router, server)
    async with make_client(clock, audit, limits=RateLimitPolicy(default_wait=17)) as http:
        await http.get("/items", op="list")
    assert server.sent == [0, 17]


async def test_long_wait_raises_at_once_without_sleeping(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(429, {"Retry-After": "3600"})])
    serve(router, server)
    async with make_client(clock, audit, limits=RateLimitPolicy(max_wait=60)) as http:
        with pytest.raises(RateLimited) as info:
            await http.get("/items", op="list")
    assert info.value.retry_after == 3600
    assert info.value.until == clock.now() + timedelta(seconds=3600)
    assert clock.sleeps == []
    assert server.sent == [0]
    assert "max_wait" in str(info.value)


async def test_github_primary_403_waits_for_the_reset(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    reset = str(int(clock.now().timestamp()) + 25)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    server = Server(clock, [status(403, headers), ok])
    serve(router, server)
    async with make_client(clock, audit) as http:
        assert (await http.get("/items", op="list")).status_code == 200
    assert server.sent == [0, 25]


async def test_plain_403_is_returned_not_retried(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(403)])
    serve(router, server)
    async with make_client(clock, audit) as http:
        assert (await http.get("/items", op="list")).status_code == 403
    assert server.sent == [0]
    assert outcomes(audit) == ["http_error"]


async def test_remaining_zero_on_success_arms_the_next_call(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    reset = str(int(clock.now().timestamp()) + 40)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    server = Server(clock, [status(200, headers), ok])
    serve(router, server)
    async with make_client(clock, audit) as http:
        await http.get("/items", op="list")
        await http.get("/items", op="list")
    assert server.sent == [0, 40]


async def test_remaining_zero_with_a_far_reset_refuses_the_next_call_unsent(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    reset = str(int(clock.now().timestamp()) + 1800)
    server = Server(
        clock, [status(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})]
    )
    serve(router, server)
    async with make_client(clock, audit) as http:
        await http.get("/items", op="list")
        with pytest.raises(RateLimited) as info:
            await http.get("/items", op="list")
    assert info.value.retry_after == 1800
    assert server.sent == [0]
    assert outcomes(audit) == ["ok", "rate_limited"]
    assert audit.events[-1].status is None


async def test_concurrent_requests_after_a_429_all_wait(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(429, {"Retry-After": "20"})])
    serve(router, server)
    async with make_client(clock, audit) as http:
        with pytest.raises(RateLimited):  # a POST is not retried, but it arms the gate
            await http.post("/items", op="create", json={})
        assert clock.monotonic() == 0
        results = await asyncio.gather(*(http.get(f"/items/{i}", op="get") for i in range(6)))
    assert all(r.status_code == 200 for r in results)
    assert server.sent == [0] + [20] * 6  # none before the allowed time
    assert clock.sleeps == [20]  # one shared wait, not six


async def test_concurrency_cannot_bypass_a_429(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    # Ten requests race; the first response is a 429. Nothing after it goes before t=30.
    server = Server(clock, [status(429, {"Retry-After": "30"})])
    serve(router, server)
    shared = RateGate(RateLimitPolicy(), clock)
    async with (
        make_client(clock, audit, gate=shared) as one,
        make_client(clock, audit, gate=shared) as two,
    ):
        await one.get("/items/warmup", op="get")
        assert server.sent == [0, 30]
        server.script = [status(429, {"Retry-After": "15"})]
        results = await asyncio.gather(
            *(c.get(f"/items/{i}", op="get") for i in range(5) for c in (one, two))
        )
    assert all(r.status_code == 200 for r in results)
    assert server.sent[2] == 30
    assert all(t >= 45 for t in server.sent[3:])
    assert len(server.sent) == 2 + 10 + 1


async def test_budget_paces_requests_through_the_client(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [])
    serve(router, server)
    async with make_client(clock, audit, limits=RateLimitPolicy(budget=(3, 60.0))) as http:
        await asyncio.gather(*(http.get(f"/items/{i}", op="get") for i in range(7)))
    assert server.sent == [0, 0, 0, 60, 60, 60, 120]


async def test_get_retries_5xx_with_seeded_backoff(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(500), status(502), status(503), ok])
    serve(router, server)
    retry = RetryPolicy(max_attempts=4, base_delay=1, max_delay=8, rng=random.Random(11))
    expected = RetryPolicy(max_attempts=4, base_delay=1, max_delay=8, rng=random.Random(11))
    async with make_client(clock, audit, retry=retry) as http:
        assert (await http.get("/items", op="list")).status_code == 200
    assert clock.sleeps == [expected.backoff(n) for n in (1, 2, 3)]
    assert outcomes(audit) == ["retried", "retried", "retried", "ok"]


async def test_5xx_retries_run_out_and_the_5xx_is_returned(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(503)] * 10)
    serve(router, server)
    async with make_client(clock, audit, retry=RetryPolicy(max_attempts=3)) as http:
        assert (await http.get("/items", op="list")).status_code == 503
    assert len(server.sent) == 3
    assert outcomes(audit) == ["retried", "retried", "http_error"]


async def test_503_retry_after_stretches_the_backoff(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(503, {"Retry-After": "20"}), ok])
    serve(router, server)
    async with make_client(clock, audit) as http:
        assert (await http.get("/items", op="list")).status_code == 200
    assert server.sent == [0, 20]


async def test_get_retries_transport_errors(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [connect_error, connect_error, ok])
    serve(router, server)
    async with make_client(clock, audit) as http:
        assert (await http.get("/items", op="list")).status_code == 200
    assert outcomes(audit) == ["retried", "retried", "ok"]


async def test_transport_errors_run_out(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [connect_error] * 10)
    serve(router, server)
    async with make_client(clock, audit, retry=RetryPolicy(max_attempts=2)) as http:
        with pytest.raises(TransportError) as info:
            await http.get("/items", op="list")
    assert "ConnectError" in str(info.value)
    assert len(server.sent) == 2
    assert outcomes(audit) == ["retried", "transport_error"]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(
    "failure",
    [
        status(500),
        status(503, {"Retry-After": "1"}),
        connect_error,
        status(429, {"Retry-After": "1"}),
    ],
    ids=["500", "503", "transport", "429"],
)
async def test_post_and_patch_are_never_retried(
    clock: VirtualClock,
    audit: MemoryAuditSink,
    router: respx.MockRouter,
    method: str,
    failure: Callable[[], Reply],
) -> None:
    server = Server(clock, [failure, ok])
    serve(router, server)
    async with make_client(clock, audit) as http:
        try:
            response = await http.request(method, "/items", op="write", json={"a": 1})
        except (RateLimited, TransportError):
            pass
        else:
            assert response.status_code >= 500
    assert server.sent == [0]
    assert clock.sleeps == []


async def test_post_with_idempotency_key_is_retried(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(500), connect_error, status(429, {"Retry-After": "5"}), ok])
    serve(router, server)
    async with make_client(clock, audit) as http:
        response = await http.post("/items", op="create", json={}, idempotency_key="k-1")
    assert response.status_code == 200
    assert server.methods == ["POST"] * 4
    assert outcomes(audit) == ["retried", "retried", "rate_limited", "ok"]


async def test_429_attempt_bound(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(429, {"Retry-After": "1"})] * 10)
    serve(router, server)
    async with make_client(clock, audit, limits=RateLimitPolicy(max_attempts=3)) as http:
        with pytest.raises(RateLimited, match="max_attempts=3"):
            await http.get("/items", op="list")
    assert server.sent == [0, 1, 2]


async def test_total_wait_bound(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    server = Server(clock, [status(429, {"Retry-After": "40"})] * 10)
    serve(router, server)
    limits = RateLimitPolicy(max_attempts=10, max_wait=60, max_total_wait=100)
    async with make_client(clock, audit, limits=limits) as http:
        with pytest.raises(RateLimited, match="max_total_wait"):
            await http.get("/items", op="list")
    assert server.sent == [0, 40, 80]


async def test_rate_limited_error_names_the_jira_reason(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    headers = {"Retry-After": "600", "RateLimit-Reason": "jira-quota-tenant-based"}
    serve(router, Server(clock, [status(429, headers)]))
    async with make_client(clock, audit) as http:
        with pytest.raises(RateLimited, match="jira-quota-tenant-based"):
            await http.get("/items", op="list")
