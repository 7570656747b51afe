"""Concurrent pages: when the first page reveals the rest, the listing equals the sequential one.

GitHub's ``Link`` header names ``rel="last"`` with a page number
(https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api);
GitLab states ``X-Total-Pages`` (https://docs.gitlab.com/api/rest/#pagination-link-header);
Jira's legacy search states ``total`` beside ``startAt``/``maxResults``
(https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/).
Every test runs the same faulty server three times, one page at a time, four at once
(``Runtime.page_concurrency=4``) and as many as the measured network wait calls for (no
``page_concurrency``; each request takes 50 ms on a virtual clock), and compares what a
caller sees: the records in order, the verdict and the error.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import ReposixError
from reposix._http import Allowlist, ClientOpts, HttpClient, client
from reposix._pagination.base import Page, PageLimits, Paginator
from reposix._pagination.link import _numbered, paginate_link
from reposix._pagination.offset import paginate_offset
from reposix._runtime import Runtime

API = "https://api.example.test"
FAULTS = ("none", "500", "429-once", "cycle", "no-next", "short", "wrong-last", "404")


class Rec(BaseModel):
    id: int


class OffsetBody(BaseModel):
    startAt: int
    total: int
    issues: list[Rec]


@dataclass
class Server:
    """``n`` records, ``size`` per page; page ``at`` (1-based) misbehaves as ``fault`` says."""

    style: str
    n: int
    size: int
    fault: str = "none"
    at: int = 2
    requests: list[int] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    limited: bool = False
    clock: VirtualClock = field(default_factory=VirtualClock)
    latency: float = 0.0

    @property
    def last(self) -> int:
        return max(1, -(-self.n // self.size))

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self.clock.advance(self.latency)
        try:
            for _ in range(3):  # let concurrent requests overlap
                await asyncio.sleep(0)
            return self.respond(request)
        finally:
            self.in_flight -= 1

    def respond(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if self.style == "offset":
            page = int(params["startAt"]) // self.size + 1
        else:
            page = int(params.get("page", "1"))
        self.requests.append(page)
        if page == self.at and self.fault == "500":
            return httpx.Response(500, json={"message": "boom"})
        if page == self.at and self.fault == "404":
            return httpx.Response(404, json={"message": "gone"})
        if page == self.at and self.fault == "429-once" and not self.limited:
            self.limited = True
            return httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "slow"})
        first = (page - 1) * self.size + 1
        stop = min(self.n, page * self.size)
        if page == self.at and self.fault == "short":
            stop = max(first - 1, stop - 1)
        items = [{"id": i} for i in range(first, stop + 1)]
        if self.style == "offset":
            body = {"startAt": (page - 1) * self.size, "total": self.n, "issues": items}
            return httpx.Response(200, json=body)
        links = []
        nxt = page + 1
        if page == self.at and self.fault == "cycle":
            nxt = max(1, page - 1)
        last = self.last + 3 if self.fault == "wrong-last" else self.last
        no_next = page == self.at and self.fault == "no-next"
        if page < self.last and not no_next:
            links.append(f'<{API}/items?per_page={self.size}&page={nxt}>; rel="next"')
            links.append(f'<{API}/items?page={last}&per_page={self.size}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return httpx.Response(200, json=items, headers=headers)


def make_client(server: Server, concurrency: int | None) -> HttpClient:
    runtime = Runtime(
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(API),
        clock=server.clock,
        transport=httpx.MockTransport(server),
        page_concurrency=concurrency,
    )
    return client(ClientOpts(runtime=runtime))


def paginate(style: str, http: HttpClient, size: int) -> Paginator[Rec]:
    if style == "offset":
        return paginate_offset(
            http,
            f"{API}/search",
            op="list",
            adapter=TypeAdapter(OffsetBody),
            extract=lambda b: Page(b.issues, total=b.total, start=b.startAt),
            page_size=size,
            key=lambda r: r.id,
        )
    return paginate_link(
        http,
        f"{API}/items",
        op="list",
        adapter=TypeAdapter(list[Rec]),
        params={"per_page": size},
        key=lambda r: r.id,
    )


async def listing(server: Server, concurrency: int | None) -> tuple[Any, ...]:
    """What a caller observes: records in order, per-page split, verdict, error."""
    got: list[list[int]] = []
    error: tuple[str, str] | None = None
    async with make_client(server, concurrency) as http:
        pages = paginate(server.style, http, server.size)
        try:
            async for page in pages.by_page():
                got.append([r.id for r in page])
        except ReposixError as exc:
            error = (type(exc).__name__, str(exc))
    return got, pages.complete, pages.truncated, pages.reason, pages.items, error


def both(style: str, n: int, size: int, fault: str, at: int) -> tuple[Server, Server]:
    """One by one and four at once agree, and so does a window sized by a 50 ms wait."""
    one = Server(style, n, size, fault, at)
    many = Server(style, n, size, fault, at)
    sized = Server(style, n, size, fault, at, latency=0.05)
    sequential = asyncio.run(listing(one, 1))
    assert sequential == asyncio.run(listing(many, 4))
    assert sequential == asyncio.run(listing(sized, None))
    return one, many


@pytest.mark.parametrize("style", ["link", "offset"])
def test_the_revealed_pages_are_fetched_concurrently_in_order(style: str) -> None:
    one, many = both(style, 50, 5, "none", 0)
    assert one.peak == 1
    assert many.peak > 1, "the revealed pages overlapped"
    sized = Server(style, 50, 5, latency=0.05)
    asyncio.run(listing(sized, None))
    assert sized.peak > 2, "a 50 ms wait opened the window past its floor of two"
    assert sorted(many.requests) == one.requests == list(range(1, 11)), "each page exactly once"


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("style", ["link", "offset"])
def test_faults_give_the_same_listing_as_one_by_one(style: str, fault: str) -> None:
    both(style, 40, 4, fault, 3)


def test_a_failing_page_starts_no_further_page() -> None:
    one, many = both("link", 200, 5, "404", 3)
    assert max(many.requests) <= 3 + 4, "at most one window beyond the failed page"
    assert one.requests == [1, 2, 3]


def test_a_rate_limit_midway_is_waited_out_once() -> None:
    one, many = both("link", 60, 5, "429-once", 4)
    assert one.requests.count(4) == 2, "the sequential path waits it out too"
    assert many.requests.count(4) == 2
    assert sorted(set(many.requests)) == list(range(1, 13))


def test_a_cap_is_never_passed_by_fetching_ahead() -> None:
    server = Server("link", 100, 10)

    async def go() -> list[int]:
        async with make_client(server, 4) as http:
            pages = paginate_link(
                http,
                f"{API}/items",
                op="list",
                adapter=TypeAdapter(list[Rec]),
                params={"per_page": 10},
                limits=PageLimits(max_items=25),
            )
            return [r.id async for r in pages]

    assert asyncio.run(go()) == list(range(1, 26))
    assert sorted(server.requests) == [1, 2, 3], "never a page too many"


def test_an_abandoned_listing_leaves_no_request_running() -> None:
    server = Server("link", 200, 5)

    async def go() -> None:
        async with make_client(server, 4) as http:
            async for _ in paginate_link(
                http,
                f"{API}/items",
                op="list",
                adapter=TypeAdapter(list[Rec]),
                params={"per_page": 5},
            ):
                break
        assert server.in_flight == 0

    asyncio.run(go())


@given(
    style=st.sampled_from(["link", "offset"]),
    n=st.integers(min_value=0, max_value=60),
    size=st.integers(min_value=1, max_value=9),
    fault=st.sampled_from(FAULTS),
    at=st.integers(min_value=1, max_value=8),
)
def test_any_fault_anywhere_gives_the_sequential_listing(
    style: str, n: int, size: int, fault: str, at: int
) -> None:
    both(style, n, size, fault, at)


_QUERY_ITEM = st.tuples(
    st.sampled_from(["a", "per_page", "state", "q", "sort"]),
    st.text(alphabet="ab1 +%,/:", max_size=6),
)


@given(
    before=st.lists(_QUERY_ITEM, max_size=3),
    after=st.lists(_QUERY_ITEM, max_size=3),
    fragment=st.sampled_from(["", "#top"]),
)
def test_spliced_page_urls_equal_copy_set_param(
    before: list[tuple[str, str]], after: list[tuple[str, str]], fragment: str
) -> None:
    # The planned page URLs are spliced from the next link's text; they must name the
    # same pages as httpx's re-encoding copy_set_param (same path, same query parameters).
    query = httpx.QueryParams([*before, ("page", "2"), *after])
    nxt = str(httpx.URL(f"https://api.example.test/r/issues?{query}{fragment}"))
    following = httpx.URL(nxt)
    texts = _numbered(nxt, following, range(2, 6))
    assert texts[0] == nxt
    spliced = [httpx.URL(u) for u in texts]
    expected = [following.copy_set_param("page", n) for n in range(2, 6)]
    assert [(u.copy_with(query=None), u.params) for u in spliced] == [
        (u.copy_with(query=None), u.params) for u in expected
    ]


def test_an_encoded_page_key_falls_back_to_copy_set_param() -> None:
    following = httpx.URL("https://api.example.test/r?pa%67e=2&a=1")
    assert _numbered("https://api.example.test/r?pa%67e=2&a=1", following, range(2, 4)) == [
        str(following.copy_set_param("page", n)) for n in range(2, 4)
    ]


def test_prefetch_window_follows_the_reader() -> None:
    """Pages already fetched when read: the window shrinks to 2 ahead; a page the reader
    must wait for: it doubles again (up to the window)."""
    from reposix._pagination._engine import Step, Window, _Prefetch

    ready: dict[int, asyncio.Event] = {}

    def page(n: int) -> asyncio.Event:
        return ready.setdefault(n, asyncio.Event())

    async def fetch(n: int) -> Step[int, int]:
        await page(n).wait()
        return Step([n], n + 1)

    def open_up(pages: range) -> None:
        for n in pages:
            page(n).set()

    async def go() -> list[int]:
        ahead: _Prefetch[int, int] = _Prefetch(fetch, Window(8))
        ahead.plan((n, n) for n in range(2, 60))
        in_flight = [len(ahead._tasks)]
        open_up(range(2, 30))
        await asyncio.sleep(0)
        for n in range(2, 12):  # each page is there before it is read
            await asyncio.sleep(0)
            await ahead.get(n, n)
            in_flight.append(len(ahead._tasks))
        late = max(n for n, event in ready.items() if event.is_set()) + 1
        for n in range(12, late):
            await ahead.get(n, n)
        asyncio.get_running_loop().call_later(0.01, open_up, range(late, 60))
        await ahead.get(late, late)  # not fetched yet: the reader waits
        in_flight.append(len(ahead._tasks))
        await ahead.stop()
        return in_flight

    in_flight = asyncio.run(go())
    assert in_flight[0] == 8
    assert in_flight[-2] == 2  # the reader was the bottleneck: two ahead
    assert in_flight[-1] > 2  # it waited: the window widened again


def test_stopwatch_counts_waiting_not_computing() -> None:
    import time

    from reposix._clock import Stopwatch

    clock = VirtualClock()
    waiting = Stopwatch(clock.monotonic)
    clock.advance(0.05)  # 50 ms on the wire, no work done
    assert 0.04 < waiting.idle() <= 0.05
    mixed = Stopwatch(clock.monotonic)
    clock.advance(0.05)
    started = time.thread_time()
    sum(range(400_000))  # CPU spent inside the 50 ms: not a wait
    burned = time.thread_time() - started
    assert burned > 0
    assert mixed.idle() == pytest.approx(0.05 - burned, abs=0.002)
    assert mixed.idle(credit=burned) == pytest.approx(0.05, abs=0.002)  # work overlapping the wait


@pytest.mark.parametrize(
    ("waited", "fixed", "first_round"),
    [
        (0.0, False, 2),  # a server that answers at once: one page read, one on the wire
        (0.003, False, 3),  # 3 ms of wait, 2 ms to read a page of 100: one more
        (0.05, False, 8),  # 50 ms away: the whole window
        (0.0, True, 8),  # page_concurrency set by the caller: used as is
    ],
)
def test_the_first_round_is_sized_by_the_first_pages_wait(
    waited: float, fixed: bool, first_round: int
) -> None:
    """Little's law: 1 + wait / reading time of a page (100 items at ~20 µs each)."""
    from reposix._pagination._engine import Step, Window, _Prefetch

    async def fetch(n: int) -> Step[int, int]:
        await asyncio.Event().wait()  # never answers: only the round's size is observed
        return Step([n], None)

    async def go() -> int:
        ahead: _Prefetch[int, int] = _Prefetch(fetch, Window(8, fixed))
        ahead.plan(((n, n) for n in range(2, 30)), waited=waited, per_page=100)
        started = len(ahead._tasks)
        await ahead.stop()
        return started

    assert asyncio.run(go()) == first_round
