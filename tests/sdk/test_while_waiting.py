"""``HttpClient.while_waiting``: first-use work runs once a request is on the wire.

The hook is httpcore's ``trace`` extension (https://www.encode.io/httpcore/extensions/#trace):
the work runs after ``send_request_body.complete``, while the response is awaited. A
loopback server (not a mock transport, which reports no trace events) answers here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, TypeAdapter

from reposix._audit import MemoryAuditSink
from reposix._clock import Clock, SystemClock, VirtualClock
from reposix._http import Allowlist, ClientOpts, HttpClient, client
from reposix._pagination.base import collect
from reposix._pagination.link import paginate_link
from reposix._runtime import Runtime

T = TypeVar("T")


class Item(BaseModel):
    model_config = ConfigDict(defer_build=True)
    id: int


PAGES = 5
PER_PAGE = 100


@dataclass
class Loopback:
    """``url`` of an HTTP/1.1 server on 127.0.0.1, sharing the test's event loop.

    ``GET /pages?page=N``: ``PAGES`` pages of ``PER_PAGE`` items with ``Link`` next/last
    (GitHub's shape); ``GET /hold``: answered once ``release`` is set; anything else:
    ``[{"id": 1}, {"id": 2}]``.
    """

    url: str = ""
    release: asyncio.Event = field(default_factory=asyncio.Event)


def _page(url: str, target: str) -> tuple[bytes, str]:
    _, found, number = target.partition("page=")
    page = int(number) if found else 1
    first = (page - 1) * PER_PAGE + 1
    body = json.dumps([{"id": i} for i in range(first, first + PER_PAGE)]).encode()
    links = ""
    if page < PAGES:
        links = (
            f'Link: <{url}/pages?page={page + 1}>; rel="next", '
            f'<{url}/pages?page={PAGES}>; rel="last"\r\n'
        )
    return body, links


@asynccontextmanager
async def loopback() -> AsyncIterator[Loopback]:
    server_state = Loopback()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                target = line.split()[1].decode()
                body, links = json.dumps([{"id": 1}, {"id": 2}]).encode(), ""
                if target.startswith("/pages"):
                    body, links = _page(server_state.url, target)
                elif target.startswith("/hold"):
                    await server_state.release.wait()
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"{links}Content-Length: {len(body)}\r\n\r\n"
                )
                writer.write(head.encode() + body)
                await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    server_state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield server_state


def run(url_user: Callable[[str], Awaitable[T]]) -> T:
    async def go() -> T:
        async with loopback() as server:
            return await url_user(server.url)

    return asyncio.run(go())


def run_with(server_user: Callable[[Loopback], Awaitable[T]]) -> T:
    async def go() -> T:
        async with loopback() as server:
            return await server_user(server)

    return asyncio.run(go())


def make(
    url: str, transport: httpx.AsyncBaseTransport | None = None, clock: Clock | None = None
) -> HttpClient:
    runtime = Runtime(
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(url),
        clock=clock or VirtualClock(),
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
        async with make(api, httpx.MockTransport(slow), clock) as http:
            return network_wait(await http.get(f"{api}/x", op="probe"))

    assert 0.2 < asyncio.run(go()) <= 0.25


def test_work_queued_during_another_request_waits_for_the_next_one() -> None:
    """A request takes the queue when it starts: work queued while it is out is not lost."""

    async def go(server: Loopback) -> tuple[list[str], list[str]]:
        ran: list[str] = []
        async with make(server.url) as http:
            held = asyncio.ensure_future(http.get(f"{server.url}/hold", op="probe"))
            for _ in range(20):  # let it reach the server and wait there
                await asyncio.sleep(0)
            http.while_waiting(lambda: ran.append("second listing's build"))
            server.release.set()
            await held
            during = list(ran)
            await http.get(f"{server.url}/next", op="probe")
        return during, ran

    during, after = run_with(go)
    assert during == []  # the held request started before the work was queued
    assert after == ["second listing's build"]


def test_the_wait_of_the_final_attempt_leaves_out_the_back_off() -> None:
    from reposix._http.client import network_wait

    clock = VirtualClock()
    api = "https://api.example.test"
    answers = [
        httpx.Response(503, headers={"Retry-After": "7"}, json={"message": "busy"}),
        httpx.Response(200, json=[]),
    ]

    def flaky(_: httpx.Request) -> httpx.Response:
        clock.advance(0.25)  # every attempt: 250 ms on the wire, on the virtual clock
        return answers.pop(0)

    async def go() -> tuple[int, float]:
        async with make(api, httpx.MockTransport(flaky), clock) as http:
            response = await http.get(f"{api}/x", op="probe")
            return response.status_code, network_wait(response)

    status, waited = asyncio.run(go())
    assert status == 200
    assert clock.monotonic() > 7  # the Retry-After was waited out ...
    assert 0.2 < waited <= 0.25  # ... and is not in the final attempt's wait


@pytest.mark.parametrize(
    ("headers_wait", "credited"),
    [
        (0.0002, False),  # the response was already in when the work ended
        (0.020, True),  # still 20 ms to go: the work overlapped the network's wait
    ],
)
def test_work_counts_as_waiting_only_if_the_response_was_still_out(
    headers_wait: float, credited: bool
) -> None:
    """The work blocks the loop; only the wait for the headers after it tells whether
    the network was still busy (else a loopback server reads as 30 ms away)."""
    from reposix._http.client import _WorkWhileWaiting

    now = [0.0]
    cpu = [0.0]

    def work() -> None:
        cpu[0] += 0.030  # 30 ms of CPU

    hook = _WorkWhileWaiting({"build": work}, clock=lambda: now[0], cpu=lambda: cpu[0])

    async def events() -> None:
        await hook("http11.send_request_body.complete", {})
        await hook("http11.receive_response_headers.started", {})
        now[0] += headers_wait
        await hook("http11.receive_response_headers.complete", {})

    asyncio.run(events())
    assert hook.work_cpu == pytest.approx(0.030)
    assert hook.credit == (pytest.approx(0.030) if credited else 0.0)


def test_a_slow_servers_wait_includes_the_work_done_meanwhile() -> None:
    """End to end, against a server thread that answers after 50 ms: the 20 ms of work
    run while waiting count as waiting, so the response's wait is about 50 ms, not 30."""

    from reposix._http.client import network_wait

    def burn() -> None:
        until = time.thread_time() + 0.02
        while time.thread_time() < until:
            pass

    async def go(url: str) -> float:
        async with make(url, clock=SystemClock()) as http:
            http.while_waiting(burn)
            return network_wait(await http.get(f"{url}/pages?page={PAGES}", op="probe"))

    with threaded_server(delay=0.05) as url:
        assert asyncio.run(go(url)) > 0.045


@contextmanager
def threaded_server(delay: float = 0.0) -> Iterator[str]:
    """``GET /pages?page=N`` (as `loopback`) from a server thread of its own, each answer
    ``delay`` seconds after the request (real time: the test is about real waits)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Pages(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            time.sleep(delay)
            body, links = _page(url, self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if links:
                self.send_header("Link", links.removeprefix("Link: ").removesuffix("\r\n"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
