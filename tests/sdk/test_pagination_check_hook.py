"""The helpers' ``check=`` hook: a connector's own error mapping on every page, in every style."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel, TypeAdapter

from reposix import (
    Page,
    PageInfo,
    Paginator,
    StatusCheck,
    collect,
    paginate_cursor_url,
    paginate_graphql,
    paginate_link,
    paginate_offset,
    paginate_token,
)
from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import AuthError, NotFound, ProtocolError, RateLimited, ReposixError
from reposix._http import Allowlist, ClientOpts, HttpClient, client
from reposix._runtime import Runtime

API = "https://api.example.test"
STYLES = ("link", "cursor", "token", "graphql", "offset", "page")
PAGES = 3
SIZE = 2
# A vendor quota body only the connector's check knows (GitHub's secondary-limit body is
# recognised by the SDK itself, see test_ratelimit_secondary.py, so it cannot serve here).
LIMITED = {"message": "Integration quota used up for today."}


class Rec(BaseModel):
    id: int


class CursorBody(BaseModel):
    values: list[Rec]
    next: str | None = None


class TokenBody(BaseModel):
    issues: list[Rec]
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
    total: int
    issues: list[Rec]


@dataclass
class Server:
    """Serves ``PAGES`` pages of ``SIZE`` records in ``style``; page ``fail_at`` is ``error``."""

    style: str
    fail_at: int | None = None
    error: httpx.Response = field(default_factory=lambda: httpx.Response(403, json=LIMITED))
    served: list[int] = field(default_factory=list)

    def index(self, request: httpx.Request) -> int:
        params = request.url.params
        if self.style == "link":
            return int(params.get("page", "0"))
        if self.style == "cursor":
            return int(params.get("cursor", "c0")[1:])
        if self.style == "token":
            token = json.loads(request.content).get("nextPageToken")
            return int(token[1:]) if token else 0
        if self.style == "graphql":
            after = json.loads(request.content)["variables"].get("after")
            return int(after[1:]) if after else 0
        if self.style == "offset":
            return int(params["startAt"]) // SIZE
        return int(params["page"]) - 1

    def __call__(self, request: httpx.Request) -> httpx.Response:
        i = self.index(request)
        self.served.append(i)
        if i == self.fail_at:
            return self.error
        ids = [{"id": i * SIZE + n + 1} for n in range(SIZE)]
        last = i + 1 >= PAGES
        if self.style == "link":
            headers = {} if last else {"Link": f'<{API}/items?page={i + 1}>; rel="next"'}
            return httpx.Response(200, json=ids, headers=headers)
        if self.style == "cursor":
            return httpx.Response(
                200, json={"values": ids, "next": None if last else f"/items?cursor=c{i + 1}"}
            )
        if self.style == "token":
            return httpx.Response(
                200, json={"issues": ids, "nextPageToken": None if last else f"t{i + 1}"}
            )
        if self.style == "graphql":
            info = {"hasNextPage": not last, "endCursor": None if last else f"g{i + 1}"}
            return httpx.Response(200, json={"data": {"issues": {"nodes": ids, "pageInfo": info}}})
        if self.style == "offset":
            doc = {"startAt": i * SIZE, "total": PAGES * SIZE, "issues": ids}
            return httpx.Response(200, json=doc)
        return httpx.Response(200, json=ids, headers={"X-Total": str(PAGES * SIZE)})


def make_client(server: Server, *, page_concurrency: int = 1) -> HttpClient:
    """One page at a time by default: these tests pin the sequential path's request order
    (the concurrent path is proven equal in test_pagination_concurrent.py)."""
    router = respx.MockRouter(assert_all_called=False)
    router.route(host="api.example.test").mock(side_effect=server)
    runtime = Runtime(
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(API),
        clock=VirtualClock(),
        transport=httpx.MockTransport(router.handler),
        page_concurrency=page_concurrency,
    )
    return client(ClientOpts(runtime=runtime))


def paginate(style: str, http: HttpClient, check: StatusCheck | None) -> Paginator[Rec]:
    common: dict[str, Any] = {
        "op": "list",
        "key": lambda r: r.id,
        "what": "test listing",
        "env_vars": ("TEST_TOKEN",),
    }
    if check is not None:
        common["check"] = check
    if style == "link":
        return paginate_link(http, f"{API}/items", adapter=TypeAdapter(list[Rec]), **common)
    if style == "cursor":
        return paginate_cursor_url(
            http,
            f"{API}/items",
            adapter=TypeAdapter(CursorBody),
            extract=lambda b: Page(b.values, next=b.next),
            **common,
        )
    if style == "token":
        return paginate_token(
            http,
            f"{API}/search",
            adapter=TypeAdapter(TokenBody),
            extract=lambda b: Page(b.issues, next=b.nextPageToken),
            body={"jql": "x"},
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
            f"{API}/search",
            adapter=TypeAdapter(OffsetBody),
            extract=lambda b: Page(b.issues, total=b.total, start=b.startAt),
            page_size=SIZE,
            **common,
        )
    assert style == "page"
    return paginate_offset(
        http,
        f"{API}/items",
        adapter=TypeAdapter(list[Rec]),
        extract=Page,
        page_size=SIZE,
        unit="page",
        start_param="page",
        size_param="per_page",
        total_header="X-Total",
        **common,
    )


class Recorder:
    """A check that records every status it sees and maps a rate-limit body to RateLimited."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.raised: list[ReposixError] = []

    def __call__(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)
        if response.status_code >= 300:
            err = RateLimited(f"mapped by the connector: {response.json()['message']}")
            self.raised.append(err)
            raise err


async def drain(server: Server, check: StatusCheck | None) -> tuple[list[int], Paginator[Rec]]:
    """Iterate the style's helper over ``server`` to the end: ``(ids, paginator)``."""
    async with make_client(server) as http:
        pages = paginate(server.style, http, check)
        items, _ = await collect(pages)
    return [r.id for r in items], pages


@pytest.mark.parametrize("style", STYLES)
async def test_check_is_called_on_every_page_and_2xx_passes_through(style: str) -> None:
    server = Server(style)
    check = Recorder()
    got, pages = await drain(server, check)
    assert got == list(range(1, PAGES * SIZE + 1))
    assert pages.complete
    assert check.statuses == [200] * PAGES == [200] * pages.pages
    assert server.served == list(range(PAGES))


@pytest.mark.parametrize("style", STYLES)
async def test_a_typed_error_from_check_propagates_unchanged(style: str) -> None:
    server = Server(style, fail_at=1)
    check = Recorder()
    got: list[int] = []

    async def take(pages: Paginator[Rec]) -> None:
        async for rec in pages:
            got.append(rec.id)

    async with make_client(server) as http:
        with pytest.raises(RateLimited) as info:
            await take(paginate(style, http, check))
    assert len(check.raised) == 1
    assert info.value is check.raised[0], "the very same error"
    assert "mapped by the connector: Integration quota used up for today" in str(info.value)
    assert got == [1, 2], "the first page's records stay yielded"
    assert check.statuses == [200, 403], "no page after the error"
    assert server.served == [0, 1], "no page after the error"


@pytest.mark.parametrize("style", STYLES)
async def test_without_check_the_generic_mapping_applies(style: str) -> None:
    with pytest.raises(AuthError) as info:
        await drain(Server(style, fail_at=1), None)
    assert info.value.env_vars == ("TEST_TOKEN",)
    assert "quota used up" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(401, AuthError), (404, NotFound), (429, RateLimited), (500, ProtocolError)],
)
async def test_without_check_each_status_keeps_its_old_error(
    status: int, expected: type[ReposixError]
) -> None:
    server = Server("link", fail_at=0, error=httpx.Response(status, json={"message": "no"}))
    with pytest.raises(expected):
        await drain(server, None)


async def test_a_check_that_lets_an_error_through_still_gets_the_generic_mapping() -> None:
    """A check is a mapping, not a filter: an error body is never read as a page."""
    seen: list[int] = []
    server = Server("link", fail_at=1, error=httpx.Response(404, json=[{"id": 99}]))
    with pytest.raises(NotFound):
        await drain(server, lambda r: seen.append(r.status_code))
    assert seen == [200, 404]


async def test_check_runs_before_the_body_is_read() -> None:
    """A check may look at a 2xx body too (GraphQL errors): its error wins over the parse."""

    def check(response: httpx.Response) -> None:
        raise NotFound("the connector says no")

    with pytest.raises(NotFound, match="the connector says no"):
        await drain(Server("graphql"), check)


async def test_a_check_that_crashes_is_a_protocol_error() -> None:
    def check(response: httpx.Response) -> None:
        response.json()["nope"]  # KeyError on the data

    with pytest.raises(ProtocolError, match="error check failed on HTTP 403: KeyError") as info:
        await drain(Server("cursor", fail_at=0), check)
    assert info.value.status == 403


def test_the_hook_is_keyword_only_with_a_none_default() -> None:
    """Existing callers keep working: ``check`` is optional on every helper."""
    import inspect

    for helper in (
        paginate_link,
        paginate_cursor_url,
        paginate_token,
        paginate_graphql,
        paginate_offset,
    ):
        param = inspect.signature(helper).parameters["check"]
        assert param.kind is inspect.Parameter.KEYWORD_ONLY
        assert param.default is None
