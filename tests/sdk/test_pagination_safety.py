"""Pagination safety: origin pinning, typed errors on bad bodies, end-of-listing verdicts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel, TypeAdapter

from reposix import (
    Page,
    PageInfo,
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
from reposix._errors import EgressDenied, ProtocolError, RateLimited
from reposix._http import Allowlist, BearerAuth, ClientOpts, HttpClient, client
from reposix._runtime import Runtime
from reposix._secret import Secret

API = "https://api.example.test"
EVIL = "https://evil.example.test"
CANARY = "canary-token-7f3a"

Handler = Callable[[httpx.Request], httpx.Response]


class Rec(BaseModel):
    id: int


class Values(BaseModel):
    values: list[Rec]
    next: str | None = None


class Issues(BaseModel):
    issues: list[Rec]
    isLast: bool | None = None
    nextPageToken: str | None = None


class Conn(BaseModel):
    nodes: list[Rec]
    pageInfo: PageInfo


class Data(BaseModel):
    issues: Conn


class Gql(BaseModel):
    data: Data


def make_client(
    routes: dict[str, Handler], audit: MemoryAuditSink | None = None
) -> tuple[HttpClient, respx.MockRouter]:
    """A client whose allowlist admits both origins: only the pin can stop a hop."""
    router = respx.MockRouter(assert_all_called=False)
    for host, handler in routes.items():
        router.route(host=host).mock(side_effect=handler)
    runtime = Runtime(
        audit=audit if audit is not None else MemoryAuditSink(),
        allowlist=Allowlist.parse(f"{API},{EVIL},http://api.example.test,{API}:8443"),
        clock=VirtualClock(),
        transport=httpx.MockTransport(router.handler),
    )
    opts = ClientOpts(runtime=runtime, auth=BearerAuth(Secret(CANARY)))
    return client(opts), router


def link_page(next_link: str) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if "page=2" in str(request.url):
            return httpx.Response(200, json=[{"id": 9}])
        return httpx.Response(200, json=[{"id": 1}], headers={"Link": f'<{next_link}>; rel="next"'})

    return handle


def evil(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a request reached {request.url} with {request.headers!r}")


# -- origin pinning ----------------------------------------------------------------------------

FOREIGN_NEXT = [
    f"{EVIL}/items?page=2",
    "http://api.example.test/items?page=2",  # scheme downgrade
    f"{API}:8443/items?page=2",  # another port
    "//evil.example.test/items?page=2",  # protocol-relative
    "https://api.example.test@evil.example.test/items?page=2",  # userinfo trick
    "https://EVIL.example.test./items?page=2",
]


@pytest.mark.parametrize("next_link", FOREIGN_NEXT)
@pytest.mark.parametrize("style", ["link", "cursor"])
async def test_a_next_link_to_another_origin_is_refused_before_sending(
    style: str, next_link: str
) -> None:
    audit = MemoryAuditSink()

    def cursor_page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"values": [{"id": 1}], "next": next_link})

    handler = link_page(next_link) if style == "link" else cursor_page
    hosts = {"api.example.test": handler, "evil.example.test": evil}
    http, router = make_client(hosts, audit)
    async with http:
        pages: Paginator[Rec]
        if style == "link":
            pages = paginate_link(http, f"{API}/items", op="list", adapter=TypeAdapter(list[Rec]))
        else:
            pages = paginate_cursor_url(
                http,
                f"{API}/items",
                op="list",
                adapter=TypeAdapter(Values),
                extract=lambda b: Page(b.values, next=b.next),
            )
        got: list[int] = []

        async def drain() -> None:
            async for item in pages:
                got.append(item.id)

        with pytest.raises(EgressDenied, match="leaves the listing's origin") as err:
            await drain()
    assert got == [1]  # the first page was delivered; nothing after the refusal
    assert router.calls.call_count == 1
    # The page that was sent is audited as ok; the refused next link as egress_denied.
    assert [e.outcome for e in audit] == ["ok", "egress_denied"]
    assert audit.events[0].url == f"{API}/items"
    assert CANARY not in str(err.value)
    assert "https://api.example.test:443" in err.value.allowlist


async def test_confluence_links_base_is_never_trusted() -> None:
    """``_links.base`` may name any host; relative links resolve against the site we chose."""
    seen: list[str] = []

    def confluence(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if "cursor" in request.url.params:
            return httpx.Response(200, json={"results": [{"id": 2}], "_links": {"base": EVIL}})
        links = {"next": "/wiki/api/v2/pages?cursor=abc&limit=1", "base": f"{EVIL}/wiki"}
        return httpx.Response(200, json={"results": [{"id": 1}], "_links": links})

    adapter = TypeAdapter(dict[str, Any])

    def extract(b: dict[str, Any]) -> Page[Rec]:
        return Page([Rec(**r) for r in b["results"]], next=b["_links"].get("next"))

    http, _ = make_client({"api.example.test": confluence, "evil.example.test": evil})
    async with http:
        pages = paginate_cursor_url(
            http,
            f"{API}/ex/confluence/cloud-1/wiki/api/v2/pages",
            op="list",
            adapter=adapter,
            extract=extract,
            site=f"{API}/ex/confluence/cloud-1",
            params={"limit": 1},
        )
        items, complete = await collect(pages)
    assert [r.id for r in items] == [1, 2]
    assert complete
    assert seen[1] == f"{API}/ex/confluence/cloud-1/wiki/api/v2/pages?cursor=abc&limit=1"


# -- bad bodies are ProtocolErrors -------------------------------------------------------------


def respond(*args: Any, **kw: Any) -> Handler:
    return lambda request: httpx.Response(*args, **kw)


BAD_LINK = {
    "not json": respond(200, content=b"<html>oops</html>"),
    "object not array": respond(200, json={"items": []}),
    "wrong item type": respond(200, json=[{"id": "x"}]),
    "bad total header": respond(200, json=[{"id": 1}], headers={"X-Total": "lots"}),
    "server error": respond(500, json={"message": "boom"}),
    "unusable next link": respond(
        200, json=[{"id": 1}], headers={"Link": '<http://[::1>; rel="next"'}
    ),
}


@pytest.mark.parametrize("handler", BAD_LINK.values(), ids=BAD_LINK.keys())
async def test_bad_link_pages_raise_protocol_error(handler: Handler) -> None:
    http, _ = make_client({"api.example.test": handler})
    async with http:
        pages = paginate_link(
            http,
            f"{API}/items",
            op="list",
            adapter=TypeAdapter(list[Rec]),
            total_header="X-Total",
        )
        with pytest.raises(ProtocolError) as err:
            await collect(pages)
    assert CANARY not in str(err.value)


def _broken_extract(b: dict[str, Any]) -> Page[Rec]:
    return Page([Rec(**r) for r in b["issues"]], next=b["nextPageToken"])


def _not_a_page(b: dict[str, Any]) -> Page[Rec]:
    return b  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("extract", "key", "body"),
    [
        (_broken_extract, None, {"values": []}),  # KeyError inside extract
        (_not_a_page, None, {"issues": []}),  # extract returned the wrong type
        (lambda b: Page([b]), lambda r: r["missing"], {"issues": []}),  # key raises
        (lambda b: Page([[1]]), lambda r: r, {"issues": []}),  # unhashable key
    ],
    ids=["extract-keyerror", "extract-wrong-type", "key-keyerror", "key-unhashable"],
)
async def test_connector_functions_failing_become_protocol_errors(
    extract: Callable[[Any], Page[Any]], key: Callable[[Any], Any] | None, body: Any
) -> None:
    http, _ = make_client({"api.example.test": respond(200, json=body)})
    async with http:
        pages = paginate_token(
            http,
            f"{API}/rest/api/3/search/jql",
            op="list",
            adapter=TypeAdapter(dict[str, Any]),
            extract=extract,
            key=key,
        )
        with pytest.raises(ProtocolError, match="listing"):
            await collect(pages)


@pytest.mark.parametrize(
    ("errors", "raised"),
    [
        # Not 'x': other tests register the token "x", masked process-wide as a whole token.
        ([{"message": "Field 'nosuchfield' not found"}], ProtocolError),
        ([{"message": "slow down", "extensions": {"code": "RATELIMITED"}}], RateLimited),
        ([{"message": "slow down", "extensions": {"type": "ratelimited"}}], RateLimited),
    ],
)
async def test_graphql_errors_are_typed(errors: list[Any], raised: type[Exception]) -> None:
    body = {"data": None, "errors": errors}
    http, _ = make_client({"api.example.test": respond(200, json=body)})
    async with http:
        pages = graphql(http)
        with pytest.raises(raised, match=errors[0]["message"]):
            await collect(pages)


async def test_graphql_partial_data_with_errors_is_not_a_page() -> None:
    conn = {"nodes": [{"id": 1}], "pageInfo": {"hasNextPage": False, "endCursor": "c"}}
    body = {"data": {"issues": conn}, "errors": [{"message": "partial"}]}
    http, _ = make_client({"api.example.test": respond(200, json=body)})
    async with http:
        with pytest.raises(ProtocolError, match="partial"):
            await collect(graphql(http))


def graphql(http: HttpClient) -> Paginator[Rec]:
    return paginate_graphql(
        http,
        f"{API}/graphql",
        op="list",
        query="query($after: String) { issues(after: $after) { nodes { id } } }",
        adapter=TypeAdapter(Gql),
        extract=lambda b: Page.relay(b.data.issues.nodes, b.data.issues.pageInfo),
    )


# -- end-of-listing verdicts -------------------------------------------------------------------


def token_server(pages: list[dict[str, Any]], calls: list[Any]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        token = json.loads(request.content).get("nextPageToken")
        calls.append(token)
        i = int(token[1:]) if token else 0
        return httpx.Response(200, json=pages[i])

    return handle


@pytest.mark.parametrize(
    ("last_page", "complete", "requests"),
    [
        ({"issues": [{"id": 2}], "isLast": True}, True, 2),
        ({"issues": [{"id": 2}]}, True, 2),  # isLast absent, no token: the end
        ({"issues": [{"id": 2}], "isLast": False}, False, 2),  # claims more, no token
        ({"issues": [{"id": 2}], "isLast": True, "nextPageToken": "t2"}, False, 2),
        ({"issues": [{"id": 2}], "nextPageToken": "t2"}, True, 3),  # isLast absent: follow
        ({"issues": [{"id": 2}], "isLast": False, "nextPageToken": ""}, False, 2),
    ],
    ids=["islast", "no-islast-no-token", "more-no-token", "contradiction", "token-only", "empty"],
)
async def test_jira_token_verdicts(
    last_page: dict[str, Any], complete: bool, requests: int
) -> None:
    calls: list[Any] = []
    pages = [
        {"issues": [{"id": 1}], "isLast": False, "nextPageToken": "t1"},
        last_page,
        {"issues": [{"id": 3}], "isLast": True},
    ]
    http, _ = make_client({"api.example.test": token_server(pages, calls)})
    async with http:
        paginator = paginate_token(
            http,
            f"{API}/rest/api/3/search/jql",
            op="list",
            adapter=TypeAdapter(Issues),
            extract=lambda b: Page(
                b.issues,
                next=b.nextPageToken,
                more=None if b.isLast is None else not b.isLast,
            ),
            body={"jql": "project = HSP", "maxResults": 1},
            key=lambda r: r.id,
        )
        items, done = await collect(paginator)
    assert done is complete
    assert len(calls) == requests
    assert [r.id for r in items] == [1, 2, 3][:requests]
    if not complete:
        assert paginator.truncated == "server"
        assert paginator.reason


async def test_jira_token_get_puts_the_token_in_the_query() -> None:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if "nextPageToken" in request.url.params:
            return httpx.Response(200, json={"issues": [{"id": 2}], "isLast": True})
        return httpx.Response(
            200, json={"issues": [{"id": 1}], "isLast": False, "nextPageToken": "a b/c"}
        )

    http, _ = make_client({"api.example.test": handle})
    async with http:
        pages = paginate_token(
            http,
            f"{API}/rest/api/3/search/jql",
            op="list",
            method="GET",
            params={"jql": "project = HSP"},
            adapter=TypeAdapter(Issues),
            extract=lambda b: Page(b.issues, next=b.nextPageToken, more=not b.isLast),
        )
        items, done = await collect(pages)
    assert [r.id for r in items] == [1, 2]
    assert done
    assert httpx.URL(seen[1]).params["nextPageToken"] == "a b/c"
    assert httpx.URL(seen[1]).params["jql"] == "project = HSP"


async def test_graphql_has_next_page_without_cursor_is_incomplete() -> None:
    conn = {"nodes": [{"id": 1}], "pageInfo": {"hasNextPage": True, "endCursor": None}}
    http, _ = make_client({"api.example.test": respond(200, json={"data": {"issues": conn}})})
    async with http:
        pages = graphql(http)
        items, done = await collect(pages)
    assert [r.id for r in items] == [1]
    assert not done
    assert pages.truncated == "server"


async def test_graphql_sends_variables_and_the_cursor() -> None:
    bodies: list[Any] = []

    def handle(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        after = bodies[-1]["variables"].get("after")
        info = {"hasNextPage": after is None, "endCursor": "c1" if after is None else "c2"}
        nodes = [{"id": 1 if after is None else 2}]
        return httpx.Response(200, json={"data": {"issues": {"nodes": nodes, "pageInfo": info}}})

    http, _ = make_client({"api.example.test": handle})
    async with http:
        pages = paginate_graphql(
            http,
            f"{API}/graphql",
            op="list",
            query="query Q($first: Int, $after: String) { ... }",
            variables={"first": 1, "filter": {"team": {"key": {"eq": "ENG"}}}},
            adapter=TypeAdapter(Gql),
            extract=lambda b: Page.relay(b.data.issues.nodes, b.data.issues.pageInfo),
        )
        items, done = await collect(pages)
    assert [r.id for r in items] == [1, 2]
    assert done
    assert "after" not in bodies[0]["variables"]
    assert bodies[1]["variables"] == {
        "first": 1,
        "filter": {"team": {"key": {"eq": "ENG"}}},
        "after": "c1",
    }


async def test_offset_rejects_a_zero_page_size() -> None:
    http, _ = make_client({})
    async with http:
        with pytest.raises(ValueError, match="page_size"):
            paginate_offset(
                http,
                f"{API}/x",
                op="list",
                adapter=TypeAdapter(list[Rec]),
                extract=Page,
                page_size=0,
            )


async def test_userinfo_in_a_same_origin_next_link_is_never_sent() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return link_page("https://mallory:pw@api.example.test/items?page=2")(request)

    http, _ = make_client({"api.example.test": handle})
    async with http:
        pages = paginate_link(http, f"{API}/items", op="list", adapter=TypeAdapter(list[Rec]))
        items, done = await collect(pages)
    assert [r.id for r in items] == [1, 9]
    assert done
    assert seen[1].url.userinfo == b""
    assert seen[1].headers["Authorization"] == f"Bearer {CANARY}"
