"""The SDK's GraphQL call helper: typed errors, rate-limit signals in bodies, retries.

Linear's error vocabulary (``extensions.type``: "authentication error", "forbidden",
"ratelimited", "invalid input", …) is the one its SDK reads,
https://github.com/linear/linear/blob/master/packages/sdk/src/error.ts; its rate limits
come as HTTP 400 with code ``RATELIMITED`` and ``X-RateLimit-Requests-*`` /
``X-RateLimit-Complexity-*`` headers (resets in epoch ms),
https://linear.app/developers/rate-limiting.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel, TypeAdapter

from reposix import (
    Allowlist,
    AuthError,
    ClientOpts,
    EgressDenied,
    HttpClient,
    InvalidRecord,
    MemoryAuditSink,
    NotFound,
    ProtocolError,
    RateLimited,
    RateLimitPolicy,
    RetryPolicy,
    Runtime,
    VirtualClock,
    client,
    graphql_call,
    graphql_error,
    operation_of,
    parse_signal,
)

BASE = "https://api.linear.test"
URL = f"{BASE}/graphql"


class Viewer(BaseModel):
    id: str
    name: str


class ViewerData(BaseModel):
    viewer: Viewer


ADAPTER = TypeAdapter(ViewerData)
QUERY = "query Me { viewer { id name } }"
MUTATION = 'mutation Rename($id: String!) { userUpdate(id: $id, input: {name: "x"}) { success } }'


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


def make_client(clock: VirtualClock, audit: MemoryAuditSink) -> HttpClient:
    runtime = Runtime(
        clock=clock,
        audit=audit,
        allowlist=Allowlist.parse(BASE),
        rate_limit=RateLimitPolicy(),
        retry=RetryPolicy(rng=random.Random(7)),
    )
    return client(ClientOpts(connector="linear", base_url=BASE, runtime=runtime))


def reply(
    status: int, body: Any, headers: dict[str, str] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return handler


def sequence(*responses: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


OK = {"data": {"viewer": {"id": "u1", "name": "Ada"}}}
RATELIMITED_BODY = {
    "errors": [
        {
            "message": "Rate limit exceeded",
            "extensions": {"code": "RATELIMITED", "type": "ratelimited"},
        }
    ]
}


def test_operation_of_reads_kind_and_name() -> None:
    assert operation_of(QUERY).kind == "query"
    assert operation_of(QUERY).name == "Me"
    assert operation_of("# c\nmutation M { x }").kind == "mutation"
    assert operation_of("{ viewer { id } }").name is None
    with pytest.raises(ValueError, match="operation"):
        operation_of("fragment F on User { id }")


async def test_data_is_validated_and_audited_under_the_operation_name(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    route = router.post(URL).mock(side_effect=reply(200, OK))
    async with make_client(clock, audit) as http:
        data = await graphql_call(http, "graphql", QUERY, ADAPTER, variables={"a": 1})
    assert data.viewer.name == "Ada"
    sent = route.calls.last.request
    assert sent.method == "POST"
    assert json.loads(sent.content) == {
        "query": QUERY,
        "variables": {"a": 1},
        "operationName": "Me",
    }
    assert [e.op for e in audit.events] == ["Me"]


@pytest.mark.parametrize(
    ("extensions", "raised"),
    [
        ({"type": "authentication error", "code": "AUTHENTICATION_ERROR"}, AuthError),
        ({"type": "forbidden", "code": "FORBIDDEN"}, AuthError),
        ({"code": "UNAUTHENTICATED"}, AuthError),
        ({"type": "entity not found"}, NotFound),
        ({"type": "not found"}, NotFound),
        ({"type": "invalid input", "code": "INVALID_INPUT"}, InvalidRecord),
        ({"code": "BAD_USER_INPUT"}, InvalidRecord),
        ({"type": "ratelimited"}, RateLimited),
        ({"code": "RATELIMITED"}, RateLimited),
        ({"type": "lock timeout"}, ProtocolError),
        ({}, ProtocolError),
    ],
)
def test_errors_map_by_extensions(extensions: dict[str, str], raised: type[Exception]) -> None:
    err = graphql_error([{"message": "boom", "extensions": extensions}], what="call")
    assert type(err) is raised
    assert "boom" in str(err)


def test_the_most_telling_error_wins_and_secrets_are_redacted() -> None:
    errors = [
        {"message": "odd", "extensions": {"type": "lock timeout"}},
        {"message": "key lin_api_SECRET refused", "extensions": {"type": "forbidden"}},
    ]
    err = graphql_error(errors, what="call", redact=lambda t: t.replace("lin_api_SECRET", "***"))
    assert isinstance(err, AuthError)
    assert "lin_api_SECRET" not in str(err)


@pytest.mark.parametrize("status", [200, 400])
async def test_data_with_errors_is_never_a_success(
    status: int, clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    body = {**OK, "errors": [{"message": "Entity not found", "extensions": {"type": "not found"}}]}
    router.post(URL).mock(side_effect=reply(status, body))
    async with make_client(clock, audit) as http:
        with pytest.raises(NotFound, match="Entity not found"):
            await graphql_call(http, "graphql", QUERY, ADAPTER)


async def test_wrong_data_shape_and_non_json_are_protocol_errors(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    router.post(URL).mock(
        side_effect=sequence(
            httpx.Response(200, json={"data": {"viewer": {"id": 3}}}),
            httpx.Response(200, content=b"<html>gateway</html>"),
        )
    )
    async with make_client(clock, audit) as http:
        with pytest.raises(ProtocolError, match=r"data\.viewer"):
            await graphql_call(http, "graphql", QUERY, ADAPTER)
        with pytest.raises(ProtocolError, match="no GraphQL data"):
            await graphql_call(http, "graphql", QUERY, ADAPTER)


async def test_401_without_errors_is_an_auth_error(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    router.post(URL).mock(side_effect=reply(401, {"message": "no"}))
    async with make_client(clock, audit) as http:
        with pytest.raises(AuthError):
            await graphql_call(http, "graphql", QUERY, ADAPTER, env_vars=("LINEAR_API_KEY",))


@pytest.mark.parametrize("status", [200, 400])
def test_ratelimited_body_is_a_refusal_in_200_and_400(status: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    reset_ms = str(int(now.timestamp() * 1000) + 30_000)
    headers = {
        "X-RateLimit-Requests-Limit": "1500",
        "X-RateLimit-Requests-Remaining": "0",
        "X-RateLimit-Requests-Reset": reset_ms,
        "X-RateLimit-Complexity-Limit": "250000",
        "X-RateLimit-Complexity-Remaining": "240000",
        "X-RateLimit-Complexity-Reset": reset_ms,
    }
    signal = parse_signal(status, headers, now, body=json.dumps(RATELIMITED_BODY))
    assert signal is not None
    assert signal.refused
    assert signal.wait == pytest.approx(30.0)
    assert signal.remaining == 0
    assert signal.reason is not None
    assert "Rate limit exceeded" in signal.reason


def test_other_400_bodies_are_not_rate_limits() -> None:
    body = {
        "errors": [{"message": "ratelimited is a word", "extensions": {"type": "invalid input"}}]
    }
    now = datetime(2026, 1, 1, tzinfo=UTC)
    signal = parse_signal(400, {}, now, body=json.dumps(body))
    assert signal is None or not signal.refused


async def test_a_query_refused_with_400_is_waited_out_and_resent(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    reset_ms = str(int(clock.now().timestamp() * 1000) + 20_000)
    limited = httpx.Response(
        400,
        json=RATELIMITED_BODY,
        headers={"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": reset_ms},
    )
    route = router.post(URL).mock(side_effect=sequence(limited, httpx.Response(200, json=OK)))
    async with make_client(clock, audit) as http:
        data = await graphql_call(http, "graphql", QUERY, ADAPTER)
    assert data.viewer.id == "u1"
    assert route.call_count == 2
    assert clock.monotonic() >= 20.0
    assert [e.outcome for e in audit.events] == ["rate_limited", "ok"]


async def test_a_mutation_refused_is_never_resent(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    route = router.post(URL).mock(side_effect=reply(400, RATELIMITED_BODY))
    async with make_client(clock, audit) as http:
        with pytest.raises(RateLimited):
            await graphql_call(http, "graphql", MUTATION, ADAPTER, variables={"id": "x"})
    assert route.call_count == 1
    assert [e.op for e in audit.events] == ["Rename"]


async def test_a_query_is_retried_on_5xx_but_a_mutation_is_not(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    route = router.post(URL).mock(
        side_effect=sequence(httpx.Response(502), httpx.Response(200, json=OK))
    )
    async with make_client(clock, audit) as http:
        await graphql_call(http, "graphql", QUERY, ADAPTER)
        assert route.call_count == 2
        route.reset()
        route.mock(side_effect=sequence(httpx.Response(502), httpx.Response(200, json=OK)))
        with pytest.raises(ProtocolError):
            await graphql_call(http, "graphql", MUTATION, ADAPTER)
        assert route.call_count == 1


async def test_low_remaining_paces_ahead_of_a_refusal(
    clock: VirtualClock, audit: MemoryAuditSink, router: respx.MockRouter
) -> None:
    reset_ms = str(int(clock.now().timestamp() * 1000) + 40_000)
    low = {
        "X-RateLimit-Complexity-Limit": "1000",
        "X-RateLimit-Complexity-Remaining": "3",
        "X-RateLimit-Complexity-Reset": reset_ms,
    }
    router.post(URL).mock(side_effect=reply(200, OK, low))
    async with make_client(clock, audit) as http:
        await graphql_call(http, "graphql", QUERY, ADAPTER)
        assert http.gate.delay() == pytest.approx(10.0)  # 40 s over the 3 left, plus one
        await graphql_call(http, "graphql", QUERY, ADAPTER)
    assert clock.monotonic() >= 10.0


async def test_egress_is_gated(clock: VirtualClock, audit: MemoryAuditSink) -> None:
    async with make_client(clock, audit) as http:
        with pytest.raises(EgressDenied):
            await graphql_call(http, "https://evil.test/graphql", QUERY, ADAPTER)
