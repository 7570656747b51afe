"""The pagination emitters serve what the SDK's helpers read: every record once, misbehaviours
survived, cycles and truncation reported — for every style."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from reposix import (
    Page,
    PageInfo,
    collect,
    paginate_cursor_url,
    paginate_graphql,
    paginate_link,
    paginate_offset,
    paginate_token,
)
from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import EgressDenied, ProtocolError
from reposix._http import Allowlist, ClientOpts, client
from reposix._runtime import Runtime
from reposix_contract._fakes import Knobs
from reposix_contract._fakes.auth import basic, bearer, check_auth
from reposix_contract._fakes.pagination import (
    BadCursor,
    cursor_page,
    decode_token,
    encode_token,
    graphql_page,
    link_page,
    offset_page,
    plan_pages,
    token_page,
)
from reposix_contract._fakes.wire import json_response

BASE = "https://api.example.test"
ANY: TypeAdapter[Any] = TypeAdapter(Any)
STYLES = ("link", "offset", "token", "cursor", "graphql")


def _serve(style: str, items: list[dict[str, int]], knobs: Knobs) -> Callable[..., Any]:
    def handler(request: httpx.Request) -> httpx.Response:
        if style == "link":
            page = link_page(items, request, knobs)
            return json_response(page.items, headers=page.headers)
        if style == "offset":
            o = offset_page(items, request, knobs)
            body: dict[str, Any] = {"startAt": o.start, "maxResults": o.size, "values": o.items}
            if o.total is not None:
                body["total"] = o.total
            return json_response(body)
        if style == "token":
            t = token_page(items, json.loads(request.content), knobs)
            return json_response(
                {"issues": t.items, "nextPageToken": t.next_token, "isLast": t.is_last}
            )
        if style == "cursor":
            c = cursor_page(items, request, knobs)
            return json_response({"results": c.items, "_links": {"next": c.next}})
        variables = json.loads(request.content)["variables"]
        g = graphql_page(items, variables, knobs)
        return json_response({"data": {"items": {"nodes": g.nodes, "pageInfo": g.page_info}}})

    return handler


async def _collect(style: str, items: list[dict[str, int]], knobs: Knobs) -> tuple[list[int], bool]:
    http = client(
        ClientOpts(
            base_url=BASE,
            runtime=Runtime(
                clock=VirtualClock(),
                audit=MemoryAuditSink(),
                allowlist=Allowlist.parse(BASE),
                transport=httpx.MockTransport(_serve(style, items, knobs)),
            ),
        )
    )
    key: Callable[[Any], Any] = lambda item: item["id"]  # noqa: E731
    async with http:
        if style == "link":
            pages = paginate_link(
                http, "/items", op="l", adapter=ANY, key=key, params={"per_page": 3}
            )
        elif style == "offset":
            pages = paginate_offset(
                http,
                "/items",
                op="l",
                adapter=ANY,
                page_size=3,
                key=key,
                extract=lambda b: Page(b["values"], total=b.get("total"), start=b["startAt"]),
            )
        elif style == "token":
            pages = paginate_token(
                http,
                "/search",
                op="l",
                adapter=ANY,
                key=key,
                body={"maxResults": 3},
                extract=lambda b: Page(b["issues"], next=b["nextPageToken"], more=not b["isLast"]),
            )
        elif style == "cursor":
            pages = paginate_cursor_url(
                http,
                "/items",
                op="l",
                adapter=ANY,
                key=key,
                params={"limit": 3},
                site=BASE,
                extract=lambda b: Page(b["results"], next=b["_links"]["next"]),
            )
        else:
            pages = paginate_graphql(
                http,
                "/graphql",
                op="l",
                query="query($first:Int,$after:String){items}",
                adapter=ANY,
                key=key,
                variables={"first": 3},
                extract=lambda b: Page.relay(
                    b["data"]["items"]["nodes"], PageInfo(**b["data"]["items"]["pageInfo"])
                ),
            )
        got, complete = await collect(pages)
    return [g["id"] for g in got], complete


def _items(n: int) -> list[dict[str, int]]:
    return [{"id": i} for i in range(1, n + 1)]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("count", [0, 1, 3, 7])
@pytest.mark.parametrize(
    "misbehaviour", [None, "next_on_last_page", "empty_middle_page", "short_page"]
)
async def test_every_record_once(style: str, count: int, misbehaviour: str | None) -> None:
    knobs = Knobs(page_size=3)
    if misbehaviour:
        setattr(knobs, misbehaviour, True)
    ids, complete = await _collect(style, _items(count), knobs)
    assert ids == list(range(1, count + 1))
    assert complete
    if misbehaviour is None:
        assert len(knobs.served) == max(1, -(-count // 3))


@pytest.mark.parametrize("style", ["link", "token", "cursor", "graphql"])
@pytest.mark.parametrize("cycle", ["self", "ab"])
async def test_cycles_are_protocol_errors(style: str, cycle: str) -> None:
    knobs = Knobs(page_size=2, cycle=cycle)  # type: ignore[arg-type]
    with pytest.raises(ProtocolError):
        await _collect(style, _items(5), knobs)
    assert len(knobs.served) <= 4


@pytest.mark.parametrize("style", ["link", "cursor"])
async def test_foreign_next_is_refused(style: str) -> None:
    with pytest.raises(EgressDenied):
        await _collect(style, _items(5), Knobs(page_size=2, foreign_next=True))


@pytest.mark.parametrize("style", ["offset", "token", "graphql"])
async def test_server_truncation_is_reported(style: str) -> None:
    ids, complete = await _collect(style, _items(7), Knobs(page_size=2, truncate_at=4))
    assert ids == [1, 2, 3, 4]
    assert not complete


def test_plan_pages() -> None:
    assert plan_pages(0, 3, Knobs()) == [(0, 0)]
    assert plan_pages(7, 3, Knobs()) == [(0, 3), (3, 6), (6, 7)]
    assert plan_pages(7, 3, Knobs(short_page=True)) == [(0, 2), (2, 5), (5, 7)]
    assert plan_pages(7, 3, Knobs(empty_middle_page=True)) == [(0, 3), (3, 3), (3, 6), (6, 7)]
    assert plan_pages(3, 3, Knobs(next_on_last_page=True)) == [(0, 3), (3, 3)]
    assert plan_pages(9, 3, Knobs(truncate_at=4)) == [(0, 3), (3, 4)]


def test_tokens_round_trip_and_forgeries_are_refused() -> None:
    assert [decode_token(encode_token(i)) for i in range(5)] == list(range(5))
    assert decode_token(None) == 0
    with pytest.raises(BadCursor):
        decode_token("not-a-token")


def test_auth_checker_is_byte_exact() -> None:
    reject = json_response({"message": "Bad credentials"}, 401)
    good = httpx.Request("GET", BASE, headers={"Authorization": bearer("t0k")})
    assert check_auth(good, bearer("t0k"), reject) is None
    for value in ("bearer t0k", "Bearer t0k ", "Bearer t0", basic("a", "t0k")):
        bad = httpx.Request("GET", BASE, headers={"Authorization": value})
        refused = check_auth(bad, bearer("t0k"), reject)
        assert refused is not None
        assert refused.status_code == 401
    assert check_auth(httpx.Request("GET", BASE), bearer("t0k"), lambda: reject) is reject
