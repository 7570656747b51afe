"""Read-only POSTs (searches, GraphQL queries) retry like GETs; pinned refusals are audited."""

from __future__ import annotations

import random

import httpx
import pytest
import respx
from pydantic import BaseModel, TypeAdapter

from reposix import Page, collect, paginate_link, paginate_token
from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import EgressDenied
from reposix._http import Allowlist, ClientOpts, HttpClient, client
from reposix._ratelimit import RetryPolicy
from reposix._runtime import Runtime

BASE = "https://api.example.test"


class Rec(BaseModel):
    id: int


class TokenPage(BaseModel):
    issues: list[Rec]
    nextPageToken: str | None = None
    isLast: bool | None = None


def make(audit: MemoryAuditSink) -> HttpClient:
    runtime = Runtime(
        clock=VirtualClock(),
        audit=audit,
        allowlist=Allowlist.parse(BASE),
        retry=RetryPolicy(rng=random.Random(1)),
    )
    return client(ClientOpts(connector="t", base_url=BASE, runtime=runtime))


async def test_a_read_only_post_is_retried_on_503_but_a_write_is_not() -> None:
    audit = MemoryAuditSink()
    with respx.mock(assert_all_called=False) as router:
        route = router.post(f"{BASE}/search").mock(
            side_effect=[
                httpx.Response(503),
                httpx.Response(200, json={"issues": [{"id": 1}], "isLast": True}),
            ]
        )
        http = make(audit)
        pages = paginate_token(
            http,
            "/search",
            op="list",
            body={"jql": "project = X"},
            adapter=TypeAdapter(TokenPage),
            extract=lambda p: Page(
                p.issues, next=p.nextPageToken, more=None if p.isLast is None else not p.isLast
            ),
        )
        items, complete = await collect(pages)
        assert [i.id for i in items] == [1]
        assert complete
        assert route.call_count == 2

        write = router.post(f"{BASE}/create").mock(return_value=httpx.Response(503))
        response = await http.post("/create", op="create", json={})
        assert response.status_code == 503
        assert write.call_count == 1
        await http.aclose()


async def test_a_refused_next_link_is_audited_as_egress_denied() -> None:
    audit = MemoryAuditSink()
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{BASE}/items").mock(
            return_value=httpx.Response(
                200,
                json=[{"id": 1}],
                headers={"Link": '<https://evil.test/items?page=2>; rel="next"'},
            )
        )
        evil = router.get(url__startswith="https://evil.test").mock(
            return_value=httpx.Response(200)
        )
        http = make(audit)
        with pytest.raises(EgressDenied):
            await collect(paginate_link(http, "/items", op="list", adapter=TypeAdapter(list[Rec])))
        assert not evil.called
        refused = [e for e in audit.events if e.outcome == "egress_denied"]
        assert len(refused) == 1
        assert refused[0].url.startswith("https://evil.test")
        await http.aclose()
