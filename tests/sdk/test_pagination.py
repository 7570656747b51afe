"""Pagination helpers against respx-mounted fake servers: properties and misbehaviour.

One generic fake serves every style from a list of chunks (what each page
holds) and a map of which page each page points to next, so the same
misbehaviour (an empty page in the middle, a next link on the last page, a
cycle, an overclaimed total) is staged identically for every style.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter

from reposix import (
    Page,
    PageInfo,
    PageLimits,
    Paginator,
    collect,
    paginate_cursor_url,
    paginate_graphql,
    paginate_link,
    paginate_offset,
    paginate_token,
)
from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import ProtocolError
from reposix._http import Allowlist, ClientOpts, HttpClient, client
from reposix._runtime import Runtime

API = "https://api.example.test"
URL_STYLES = ("link", "cursor")
CURSOR_STYLES = ("link", "cursor", "token", "graphql")
ALL_STYLES = (*CURSOR_STYLES, "offset", "page")


class Rec(BaseModel):
    id: int


# -- the fake server ---------------------------------------------------------------------------


@dataclass
class Fake:
    """Serves ``chunks[i]`` as page i in the given style; page i points to ``nexts[i]``.

    ``nexts`` defaults to i+1 (None after the last chunk). ``total`` is stated
    (X-Total / size / total) when not None. Offset styles ignore ``nexts``: the
    page is found from the offset, as a real offset server does.
    """

    style: str
    chunks: list[list[int]]
    nexts: dict[int, int | None] = field(default_factory=dict)
    total: int | None = None
    ignore_start: bool = False
    calls: list[httpx.Request] = field(default_factory=list)

    def next_of(self, i: int) -> int | None:
        if i in self.nexts:
            return self.nexts[i]
        return i + 1 if i + 1 < len(self.chunks) else None

    def body(self, i: int) -> list[dict[str, int]]:
        return [{"id": n} for n in self.chunks[i]]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        serve: Callable[[httpx.Request], httpx.Response] = getattr(self, f"_{self.style}")
        return serve(request)

    def _link(self, request: httpx.Request) -> httpx.Response:
        i = int(request.url.params.get("page", "0"))
        headers = {}
        nxt = self.next_of(i)
        if nxt is not None:
            page = f"page={nxt}&" if nxt else ""  # page 0 is the first URL itself
            headers["Link"] = f'<{API}/items?{page}per_page=3>; rel="next"'
        if self.total is not None:
            headers["X-Total"] = str(self.total)
        return httpx.Response(200, json=self.body(i), headers=headers)

    def _cursor(self, request: httpx.Request) -> httpx.Response:
        i = int(request.url.params.get("cursor", "c0")[1:])
        doc: dict[str, Any] = {"values": self.body(i), "pagelen": 3}
        nxt = self.next_of(i)
        if nxt is not None:
            doc["next"] = f"/items?cursor=c{nxt}" if nxt else "/items"
        if self.total is not None:
            doc["size"] = self.total
        return httpx.Response(200, json=doc)

    def _token(self, request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content).get("nextPageToken")
        i = int(sent[1:]) if sent else 0
        nxt = self.next_of(i)
        doc: dict[str, Any] = {"issues": self.body(i), "isLast": nxt is None}
        if nxt is not None:
            doc["nextPageToken"] = f"t{nxt}"
        return httpx.Response(200, json=doc)

    def _graphql(self, request: httpx.Request) -> httpx.Response:
        after = json.loads(request.content)["variables"].get("after")
        i = int(after[1:]) if after else 0
        nxt = self.next_of(i)
        info = {"hasNextPage": nxt is not None, "endCursor": f"g{nxt}" if nxt is not None else None}
        return httpx.Response(
            200, json={"data": {"issues": {"nodes": self.body(i), "pageInfo": info}}}
        )

    def _offset(self, request: httpx.Request) -> httpx.Response:
        flat = [n for chunk in self.chunks for n in chunk]
        start = 0 if self.ignore_start else int(request.url.params["startAt"])
        size = int(request.url.params["maxResults"])
        served = flat[start : start + size]
        total = len(flat) if self.total is None else self.total
        doc = {"startAt": start, "maxResults": size, "total": total}
        return httpx.Response(200, json={**doc, "issues": [{"id": n} for n in served]})

    def _page(self, request: httpx.Request) -> httpx.Response:
        i = int(request.url.params["page"]) - 1
        body = self.body(i) if i < len(self.chunks) else []
        headers = {} if self.total is None else {"X-Total": str(self.total)}
        return httpx.Response(200, json=body, headers=headers)


# -- the client and each style's helper call ---------------------------------------------------


def make_client(fake: Callable[[httpx.Request], httpx.Response]) -> HttpClient:
    router = respx.MockRouter(assert_all_called=False)
    router.route(host="api.example.test").mock(side_effect=fake)
    runtime = Runtime(
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(API),
        clock=VirtualClock(),
        transport=httpx.MockTransport(router.handler),
    )
    return client(ClientOpts(runtime=runtime))


class LinkBody(BaseModel):
    values: list[Rec]
    next: str | None = None
    size: int | None = None


class TokenBody(BaseModel):
    issues: list[Rec]
    isLast: bool | None = None
    nextPageToken: str | None = None


class Conn(BaseModel):
    nodes: list[Rec]
    pageInfo: PageInfo


class GqlData(BaseModel):
    issues: Conn


class GqlBody(BaseModel):
    data: GqlData


class OffsetBody(BaseModel):
    startAt: int
    maxResults: int
    total: int | None = None
    issues: list[Rec]


def by_id(r: Rec) -> int:
    return r.id


def paginate(
    style: str,
    http: HttpClient,
    *,
    limits: PageLimits | None = None,
    page_size: int = 3,
    key: Callable[[Rec], int] | None = by_id,
    on_items: Callable[[int], None] | None = None,
) -> Paginator[Rec]:
    common: dict[str, Any] = {"op": "list", "limits": limits, "key": key, "on_items": on_items}
    if style == "link":
        return paginate_link(
            http,
            f"{API}/items",
            adapter=TypeAdapter(list[Rec]),
            params={"per_page": 3},
            total_header="X-Total",
            **common,
        )
    if style == "cursor":
        return paginate_cursor_url(
            http,
            f"{API}/items",
            adapter=TypeAdapter(LinkBody),
            extract=lambda b: Page(b.values, next=b.next, total=b.size),
            **common,
        )
    if style == "token":
        return paginate_token(
            http,
            f"{API}/rest/api/3/search/jql",
            adapter=TypeAdapter(TokenBody),
            extract=lambda b: Page(
                b.issues,
                next=b.nextPageToken,
                more=None if b.isLast is None else not b.isLast,
            ),
            body={"jql": "project = X", "maxResults": page_size},
            **common,
        )
    if style == "graphql":
        return paginate_graphql(
            http,
            f"{API}/graphql",
            query="query($after: String) { issues(after: $after) { nodes { id } } }",
            adapter=TypeAdapter(GqlBody),
            extract=lambda b: Page.relay(b.data.issues.nodes, b.data.issues.pageInfo),
            **common,
        )
    if style == "offset":
        return paginate_offset(
            http,
            f"{API}/rest/api/3/search",
            adapter=TypeAdapter(OffsetBody),
            extract=lambda b: Page(b.issues, total=b.total, start=b.startAt),
            page_size=page_size,
            **common,
        )
    assert style == "page"
    return paginate_offset(
        http,
        f"{API}/items",
        adapter=TypeAdapter(list[Rec]),
        extract=Page,
        page_size=page_size,
        unit="page",
        start_param="page",
        size_param="per_page",
        total_header="X-Total",
        **common,
    )


async def run(fake: Fake, **kw: Any) -> tuple[list[int], Paginator[Rec]]:
    async with make_client(fake) as http:
        pages = paginate(fake.style, http, **kw)
        items, _ = await collect(pages)
    return [r.id for r in items], pages


def chunked(n: int, size: int) -> list[list[int]]:
    ids = list(range(1, n + 1))
    return [ids[i : i + size] for i in range(0, n, size)] or [[]]


# -- properties --------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=35)
sizes = st.integers(min_value=1, max_value=7)


@pytest.mark.parametrize("style", ALL_STYLES)
@given(n=counts, size=sizes)
def test_every_record_exactly_once_in_order(style: str, n: int, size: int) -> None:
    fake = Fake(style, chunked(n, size), total=n if style == "page" else None)
    ids, pages = asyncio.run(run(fake, page_size=size))
    assert ids == list(range(1, n + 1))
    assert pages.complete
    assert pages.truncated is None
    expected = max(1, math.ceil(n / size))
    if style == "offset" and n % size == 0 and n:
        expected = n // size  # total known: no confirming request
    assert len(fake.calls) == expected == pages.pages
    assert pages.items == n


@pytest.mark.parametrize("style", ("offset", "page"))
@given(n=counts, size=sizes)
def test_offset_without_total_confirms_the_end_with_one_more_request(
    style: str, n: int, size: int
) -> None:
    fake = Fake(style, chunked(n, size))

    async def go() -> tuple[list[int], Paginator[Rec]]:
        async with make_client(fake) as http:
            pages: Paginator[Rec]
            if style == "offset":
                pages = paginate_offset(
                    http,
                    f"{API}/items",
                    op="list",
                    adapter=TypeAdapter(OffsetBody),
                    extract=lambda b: Page(b.issues),  # the total is not passed on
                    page_size=size,
                )
            else:
                pages = paginate_offset(
                    http,
                    f"{API}/items",
                    op="list",
                    adapter=TypeAdapter(list[Rec]),
                    extract=Page,
                    page_size=size,
                    unit="page",
                    start_param="page",
                    size_param="per_page",
                )
            items, _ = await collect(pages)
            return [r.id for r in items], pages

    ids, pages = asyncio.run(go())
    assert ids == list(range(1, n + 1))
    assert pages.complete
    assert len(fake.calls) == (math.ceil(n / size) + 1 if n else 1)


@pytest.mark.parametrize("style", ALL_STYLES)
@given(n=counts, size=sizes, cap=st.integers(min_value=0, max_value=40))
def test_max_items_yields_a_prefix_and_reports_truncation(
    style: str, n: int, size: int, cap: int
) -> None:
    fake = Fake(style, chunked(n, size), total=n if style == "page" else None)
    ids, pages = asyncio.run(run(fake, page_size=size, limits=PageLimits(max_items=cap)))
    assert ids == list(range(1, min(n, cap) + 1))
    if cap < n:
        assert not pages.complete
        assert pages.truncated == "max_items"
        assert len(fake.calls) == max(1, math.ceil(cap / size))  # never a page too many
    else:
        assert pages.complete


@pytest.mark.parametrize("style", ALL_STYLES)
@given(n=counts, size=sizes, cap=st.integers(min_value=1, max_value=6))
def test_max_pages_yields_a_prefix_and_reports_truncation(
    style: str, n: int, size: int, cap: int
) -> None:
    fake = Fake(style, chunked(n, size), total=n if style == "page" else None)
    ids, pages = asyncio.run(run(fake, page_size=size, limits=PageLimits(max_pages=cap)))
    assert ids == list(range(1, min(n, cap * size) + 1))
    assert len(fake.calls) == min(cap, max(1, math.ceil(n / size)))
    if cap * size < n:
        assert not pages.complete
        assert pages.truncated == "max_pages"
    else:
        assert pages.complete


@pytest.mark.parametrize("style", CURSOR_STYLES)
@given(data=st.data(), length=st.integers(min_value=1, max_value=5))
def test_cycles_are_detected_and_name_the_cursor(
    style: str, data: st.DataObject, length: int
) -> None:
    # A token can only point back at a page that had a token: page 1 onwards.
    lowest = 1 if style in ("token", "graphql") else 0
    if length <= lowest:
        length = lowest + 1
    back_to = data.draw(st.integers(min_value=lowest, max_value=length - 1), label="back_to")
    fake = Fake(style, chunked(3 * length, 3), nexts={length - 1: back_to})
    with pytest.raises(ProtocolError, match="cycle") as err:
        asyncio.run(run(fake, key=None))
    assert len(fake.calls) == length  # the repeated cursor is never requested
    shown = {"link": f"page={back_to}&", "cursor": f"cursor=c{back_to}"}
    shown |= {"token": f"nextPageToken='t{back_to}'", "graphql": f"after='g{back_to}'"}
    if back_to:
        assert shown[style] in str(err.value)
    else:
        assert f"{API}/items" in str(err.value)


# -- documented misbehaviour -------------------------------------------------------------------


@pytest.mark.parametrize("style", CURSOR_STYLES)
async def test_next_link_on_the_last_page_leads_to_an_empty_page(style: str) -> None:
    """Bitbucket: the last page still carries ``next``; following it yields nothing."""
    fake = Fake(style, [[1, 2, 3], [4, 5], []])
    ids, pages = await run(fake)
    assert ids == [1, 2, 3, 4, 5]
    assert pages.complete
    assert len(fake.calls) == 3


@pytest.mark.parametrize("style", CURSOR_STYLES)
async def test_an_empty_page_in_the_middle_is_skipped(style: str) -> None:
    fake = Fake(style, [[1, 2, 3], [], [4, 5]])
    ids, pages = await run(fake)
    assert ids == [1, 2, 3, 4, 5]
    assert pages.complete
    assert len(fake.calls) == 3


async def test_an_empty_page_in_the_middle_ends_an_offset_listing_incomplete() -> None:
    """An offset cannot step over an empty page without guessing; the total says more."""
    fake = Fake("page", [[1, 2, 3], [], [4, 5]], total=5)
    ids, pages = await run(fake)
    assert ids == [1, 2, 3]
    assert not pages.complete
    assert pages.truncated == "server"
    assert len(fake.calls) == 2


@pytest.mark.parametrize("style", CURSOR_STYLES)
async def test_endless_empty_pages_are_a_stall(style: str) -> None:
    chunks = [[1, 2, 3]] + [[] for _ in range(30)]
    fake = Fake(style, chunks)
    with pytest.raises(ProtocolError, match="empty pages in a row"):
        await run(fake, limits=PageLimits(max_empty_pages=3))
    assert len(fake.calls) == 5


@pytest.mark.parametrize("style", ("link", "cursor", "offset", "page"))
async def test_total_larger_than_what_was_served_is_incomplete(style: str) -> None:
    """Data the server says exists but did not serve means ``complete=False``."""
    fake = Fake(style, [[1, 2, 3], [4, 5]], total=9)
    ids, pages = await run(fake)
    assert ids == [1, 2, 3, 4, 5]
    assert not pages.complete
    assert pages.truncated == "server"
    assert pages.total == 9
    assert "9" in (pages.reason or "")


@pytest.mark.parametrize("style", ("link", "cursor"))
async def test_totals_omitted_still_paginate_by_next_link(style: str) -> None:
    """GitLab above 10,000 records drops X-Total: the next link alone decides."""
    fake = Fake(style, chunked(20, 3), total=None)
    ids, pages = await run(fake)
    assert ids == list(range(1, 21))
    assert pages.complete
    assert pages.total is None


@pytest.mark.parametrize("key", [by_id, None], ids=["key", "no-key"])
async def test_an_ignored_offset_is_a_protocol_error(key: Callable[[Rec], int] | None) -> None:
    """Jira's newer search ignores ``startAt``: the same page comes back."""

    def ignoring(request: httpx.Request) -> httpx.Response:
        fake.calls.append(request)
        body = {"maxResults": 3, "issues": [{"id": 1}, {"id": 2}, {"id": 3}]}
        return httpx.Response(200, json=body)  # no startAt echo, no total

    fake = Fake("offset", [])
    async with make_client(ignoring) as http:
        pages = paginate_offset(
            http,
            f"{API}/rest/api/3/search/jql",
            op="list",
            adapter=TypeAdapter(dict[str, Any]),
            extract=lambda b: Page([Rec(**r) for r in b["issues"]]),
            page_size=3,
            key=key,
        )
        with pytest.raises(ProtocolError, match="stalled") as err:
            await collect(pages)
    assert "startAt=3" in str(err.value)
    assert len(fake.calls) == 2
    assert pages.items == 3


async def test_an_echoed_start_that_differs_is_a_protocol_error() -> None:
    fake = Fake("offset", chunked(9, 3), ignore_start=True)
    with pytest.raises(ProtocolError, match=r"ignored startAt=3 \(it served startAt=0\)"):
        await run(fake)


async def test_stall_a_page_of_only_known_ids_while_claiming_more() -> None:
    fake = Fake("cursor", [[1, 2, 3], [2, 3], [4]])
    with pytest.raises(ProtocolError, match=r"stalled at next URL .*cursor=c1"):
        await run(fake)


async def test_duplicates_across_pages_are_dropped_once() -> None:
    fake = Fake("link", [[1, 2, 3], [3, 4, 5], [5, 6]])
    ids, pages = await run(fake)
    assert ids == [1, 2, 3, 4, 5, 6]
    assert pages.complete


async def test_on_items_reports_progress_per_page() -> None:
    seen: list[int] = []
    fake = Fake("link", [[1, 2, 3], [3, 4], [], [5]])
    await run(fake, on_items=seen.append)
    assert seen == [3, 1, 1]


async def test_reiterating_a_paginator_starts_over() -> None:
    fake = Fake("link", chunked(5, 3))
    async with make_client(fake) as http:
        pages = paginate("link", http)
        first = [r.id async for r in pages]
        second = [r.id async for r in pages]
    assert first == second == [1, 2, 3, 4, 5]
    assert pages.pages == 2
    assert pages.items == 5
    assert pages.complete
