"""Property: over any schedule of 429s, 5xx, transport errors and successes, the client
never sends early, never exceeds its attempt bound, never retries a POST without an
idempotency key, and always ends (a response or a typed error) -- all in virtual time."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import respx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import RateLimited, TransportError
from reposix._http import Allowlist, ClientOpts, client
from reposix._ratelimit import RateLimitPolicy, RetryPolicy
from reposix._runtime import Runtime

BASE = "http://127.0.0.1:8080"
EPS = 1e-6
REFUSALS = {"429s", "429date", "429bare", "rem0-429", "rem0-403", "secondary403"}
KINDS = [*sorted(REFUSALS), "rem0-200", "500", "502", "503", "504", "transport", "200", "403plain"]
METHODS = ["GET", "HEAD", "PUT", "DELETE", "POST", "POST+key", "PATCH", "PATCH+key"]

events = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 120)), max_size=8)
requests = st.lists(st.sampled_from(METHODS), min_size=1, max_size=3)


@st.composite
def policies(draw: st.DrawFn) -> tuple[bool, RateLimitPolicy, RetryPolicy]:
    generous = draw(st.booleans())
    budget = draw(st.sampled_from([None, (2, 5.0), (1, 3.0)]))
    rng = random.Random(draw(st.integers(0, 2**16)))
    if generous:  # every wait fits: a retryable request must end in the server's answer
        return (
            True,
            RateLimitPolicy(12, 200.0, 1e6, 30.0, budget),
            RetryPolicy(max_attempts=12, rng=rng),
        )
    limits = RateLimitPolicy(
        max_attempts=draw(st.integers(1, 4)),
        max_wait=float(draw(st.integers(0, 120))),
        max_total_wait=float(draw(st.integers(0, 300))),
        default_wait=float(draw(st.integers(0, 90))),
        budget=budget,
    )
    return False, limits, RetryPolicy(max_attempts=draw(st.integers(1, 4)), rng=rng)


@dataclass
class Model:
    """The fake server: serves the schedule, records sends, knows the earliest legal send."""

    clock: VirtualClock
    schedule: list[tuple[str, int]]
    default_wait: float
    allowed_at: float = 0.0
    early: list[tuple[float, float]] = field(default_factory=list)
    sends: list[list[float]] = field(default_factory=list)
    served: list[list[str]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        t = self.clock.monotonic()
        if t < self.allowed_at - EPS:
            self.early.append((t, self.allowed_at))
        self.sends[-1].append(t)
        kind, n = self.schedule.pop(0) if self.schedule else ("200", 0)
        self.served[-1].append(kind)
        now = self.clock.now()
        wait = 0.0
        headers: dict[str, str] = {}
        code = 200
        if kind == "429s":
            code, headers, wait = 429, {"Retry-After": str(n)}, float(n)
        elif kind == "429date":
            date = format_datetime(now + timedelta(seconds=n), usegmt=True)
            code, headers = 429, {"Retry-After": date}
            wait = max(0.0, (parsedate_to_datetime(date) - now).total_seconds())
        elif kind == "429bare":
            code, wait = 429, self.default_wait
        elif kind.startswith("rem0-"):
            reset = int(now.timestamp()) + n
            code = int(kind[5:])
            headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
            wait = max(0.0, reset - now.timestamp())
        elif kind == "secondary403":
            code, wait = 403, float(n)
            headers = {"Retry-After": str(n), "X-RateLimit-Remaining": "10"}
        elif kind == "transport":
            raise httpx.ConnectError("injected", request=request)
        elif kind == "403plain":
            code = 403
        elif kind != "200":
            code = int(kind)
        self.allowed_at = max(self.allowed_at, t + wait)
        return httpx.Response(code, headers=headers)


async def scenario(
    schedule: list[tuple[str, int]],
    methods: list[str],
    generous: bool,
    limits: RateLimitPolicy,
    retry: RetryPolicy,
) -> None:
    clock = VirtualClock()
    audit = MemoryAuditSink()
    model = Model(clock, list(schedule), limits.default_wait)
    runtime = Runtime(
        clock=clock,
        audit=audit,
        allowlist=Allowlist.parse("http://127.0.0.1:*"),
        rate_limit=limits,
        retry=retry,
    )
    bound = max(limits.max_attempts, retry.max_attempts)
    rate_limited_calls = 0
    with respx.mock(assert_all_called=False) as router:
        router.route(url__startswith=BASE).mock(side_effect=model)
        async with client(ClientOpts(base_url=BASE, runtime=runtime)) as http:
            for spec in methods:
                method, _, key = spec.partition("+")
                retryable = method not in ("POST", "PATCH") or bool(key)
                model.sends.append([])
                model.served.append([])
                result: httpx.Response | Exception
                try:
                    async with asyncio.timeout(10):  # wall clock: a hang fails, never blocks
                        result = await http.request(
                            method, "/items", op="op", idempotency_key="k" if key else None
                        )
                except (RateLimited, TransportError) as exc:
                    result = exc
                sends, served = model.sends[-1], model.served[-1]

                # (b) the attempt bound; (c) no retried POST/PATCH without a key
                assert len(sends) <= bound
                if not retryable:
                    assert len(sends) <= 1
                # (d) the request ends in what the server last said, or a typed error
                if isinstance(result, httpx.Response):
                    assert served, "a response without a send"
                    assert result.status_code in (200, 403, 500, 502, 503, 504)
                    assert served[-1] not in REFUSALS
                    if result.status_code == 403:
                        assert served[-1] == "403plain"
                elif isinstance(result, RateLimited):
                    assert not served or served[-1] in REFUSALS
                    rate_limited_calls += 1
                    assert result.until is not None
                else:
                    assert served
                    assert served[-1] == "transport"
                if generous and retryable:
                    assert isinstance(result, httpx.Response)
                    assert result.status_code in (200, 403)

    # (a) nothing was ever sent before the time the server (or the budget) allowed
    assert model.early == []
    times = sorted(t for sends in model.sends for t in sends)
    if limits.budget is not None:
        count, window = limits.budget
        assert all(b - a >= window - EPS for a, b in zip(times, times[count:], strict=False))
    # every send is audited exactly once; the gate's unsent refusals are audited too, and
    # only ever end a call with RateLimited (at most one per such call)
    unsent = [e for e in audit.events if e.outcome == "rate_limited" and e.status is None]
    assert len(audit.events) - len(unsent) == len(times)
    assert len(unsent) <= rate_limited_calls


def generous() -> tuple[bool, RateLimitPolicy, RetryPolicy]:
    return True, RateLimitPolicy(12, 200.0, 1e6, 30.0, None), RetryPolicy(12, rng=random.Random(0))


# At least 60 examples; more when the loaded profile (HYPOTHESIS_PROFILE) asks for more.
@settings(max_examples=max(60, settings().max_examples), deadline=None)
@given(events, requests, policies())
# Always exercised, whatever hypothesis draws: the cases (c) and (a) are about.
@example([("500", 0)], ["POST"], generous())
@example([("transport", 0)], ["PATCH"], generous())
@example([("429s", 1)], ["POST", "GET"], generous())
@example([("429bare", 0), ("rem0-200", 50)], ["GET", "PUT"], generous())
@example([("429date", 30), ("503", 0), ("transport", 0)], ["POST+key"], generous())
def test_retry_and_rate_limit_properties(
    schedule: list[tuple[str, int]],
    methods: list[str],
    policy: tuple[bool, RateLimitPolicy, RetryPolicy],
) -> None:
    generous, limits, retry = policy
    asyncio.run(scenario(schedule, methods, generous, limits, retry))
