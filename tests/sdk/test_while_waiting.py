"""``HttpClient.while_waiting``: first-use work runs once a request is on the wire.

The hook is httpcore's ``trace`` extension (https://www.encode.io/httpcore/extensions/#trace):
the work runs after ``send_request_body.complete``, while the response is awaited. A
loopback server (not a mock transport, which reports no trace events) answers here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, TypeAdapter

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._http import Allowlist, ClientOpts, HttpClient, client
from reposix._pagination.base import collect
from reposix._pagination.link import paginate_link
from reposix._runtime import Runtime

T = TypeVar("T")


class Item(BaseModel):
    model_config = ConfigDict(defer_build=True)
    id: int


@asynccontextmanager
async def loopback() -> AsyncIterator[str]:
    """An HTTP/1.1 server on 127.0.0.1 answering every GET with ``[{"id": 1}, {"id": 2}]``."""
    body = json.dumps([{"id": 1}, {"id": 2}]).encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readline():
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                )
                writer.write(head.encode() + body)
                await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


def run(url_user: Callable[[str], Awaitable[T]]) -> T:
    async def go() -> T:
        async with loopback() as url:
            return await url_user(url)

    return asyncio.run(go())


def make(url: str, transport: httpx.AsyncBaseTransport | None = None) -> HttpClient:
    runtime = Runtime(
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(url),
        clock=VirtualClock(),
        transport=transport,
    )
    return client(ClientOpts(runtime=runtime))


def test_queued_work_runs_once_during_the_next_request() -> None:
    async def go(url: str) -> tuple[list[str], list[str]]:
        ran: list[str] = []
        async with make(url) as http:
            http.while_waiting(lambda: ran.append("built"))
            await http.get(f"{url}/first", op="probe")
            after_first = list(ran)
            await http.get(f"{url}/second", op="probe")
        return after_first, ran

    after_first, after_second = run(go)
    assert after_first == ["built"]
    assert after_second == ["built"]  # not again


def test_failing_work_is_dropped_and_the_request_succeeds(caplog: pytest.LogCaptureFixture) -> None:
    async def go(url: str) -> int:
        async with make(url) as http:
            http.while_waiting(lambda: 1 / 0)
            response = await http.get(f"{url}/x", op="probe")
        return response.status_code

    with caplog.at_level(logging.DEBUG, logger="reposix.http"):
        assert run(go) == 200
    assert "work while waiting failed: ZeroDivisionError" in caplog.text


def test_a_listing_builds_its_page_validator_while_the_first_request_is_out() -> None:
    adapter: TypeAdapter[list[Item]] = TypeAdapter(list[Item], config=ConfigDict(defer_build=True))
    built_before = adapter.pydantic_complete
    calls: list[dict[str, Any]] = []
    real_rebuild = adapter.rebuild

    def spy(**kwargs: Any) -> bool | None:
        calls.append(kwargs)
        return real_rebuild(**kwargs)

    adapter.rebuild = spy  # type: ignore[method-assign]

    async def go(url: str) -> list[int]:
        async with make(url) as http:
            items, _ = await collect(
                paginate_link(http, f"{url}/items", op="list", adapter=adapter)
            )
            return [i.id for i in items]

    ids = run(go)
    assert not built_before
    assert ids == [1, 2]
    assert adapter.pydantic_complete
    # Built once, by the queued work (pydantic's lazy first-use build passes a namespace
    # depth): the first decode found the validator ready.
    assert calls == [{"raise_errors": False}]


def test_without_trace_events_the_first_use_builds_as_before() -> None:
    adapter: TypeAdapter[list[Item]] = TypeAdapter(list[Item], config=ConfigDict(defer_build=True))
    api = "https://api.example.test"

    async def go() -> tuple[list[int], int]:
        transport = httpx.MockTransport(lambda _: httpx.Response(200, json=[{"id": 7}]))
        async with make(api, transport) as http:
            items, _ = await collect(
                paginate_link(http, f"{api}/items", op="list", adapter=adapter)
            )
            return [i.id for i in items], len(http._while_waiting)

    ids, queued = asyncio.run(go())
    assert ids == [7]
    assert adapter.pydantic_complete  # built by the first decode
    assert queued == 0  # not run (MockTransport sends no trace events), then dropped


def test_the_same_key_is_queued_once_and_the_response_keeps_no_trace_hook() -> None:
    async def go(url: str) -> tuple[list[str], bool]:
        ran: list[str] = []
        async with make(url) as http:
            for _ in range(3):
                http.while_waiting(lambda: ran.append("built"), key="validator")
            response = await http.get(f"{url}/x", op="probe")
        return ran, "trace" in response.request.extensions

    ran, hooked = run(go)
    assert ran == ["built"]
    assert not hooked


def test_each_response_carries_its_final_attempts_network_wait() -> None:
    from reposix._http.client import network_wait

    clock = VirtualClock()
    api = "https://api.example.test"

    def slow(_: httpx.Request) -> httpx.Response:
        clock.advance(0.25)  # 250 ms on the wire, on the virtual clock
        return httpx.Response(200, json=[])

    async def go() -> float:
        runtime = Runtime(
            audit=MemoryAuditSink(),
            allowlist=Allowlist.parse(api),
            clock=clock,
            transport=httpx.MockTransport(slow),
        )
        async with client(ClientOpts(runtime=runtime)) as http:
            return network_wait(await http.get(f"{api}/x", op="probe"))

    assert 0.2 < asyncio.run(go()) <= 0.25
