"""Pagination helpers against the shapes real trackers send (see /work/shared/vendor-examples).

Headers and bodies are trimmed copies of the vendor examples: GitHub's recorded
``paginate-issues`` traffic (octokit/fixtures), GitLab's pagination docs, Jira's
search examples, the Confluence v2 and Bitbucket schemas, Linear's SDL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from reposix import (
    Page,
    PageInfo,
    PageLimits,
    collect,
    paginate_cursor_url,
    paginate_graphql,
    paginate_link,
    paginate_offset,
    paginate_token,
)
from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._http import Allowlist, ClientOpts, HttpClient, client
from reposix._runtime import Runtime

ORIGINS = (
    "https://api.github.com,https://gitlab.example.com,https://your-domain.atlassian.net,"
    "https://site.atlassian.net,https://api.linear.app,https://api.bitbucket.org"
)

Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler, calls: list[httpx.Request]) -> HttpClient:
    def record(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return handler(request)

    router = respx.MockRouter(assert_all_called=False)
    router.route().mock(side_effect=record)
    runtime = Runtime(
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(ORIGINS),
        clock=VirtualClock(),
        transport=httpx.MockTransport(router.handler),
    )
    return client(ClientOpts(runtime=runtime))


# -- GitHub: Link header, bare array, later pages on /repositories/{id} ------------------------

GH = "https://api.github.com"
GH_PAGES = {
    "/repos/octokit-fixture-org/paginate-issues/issues?per_page=3": (
        [13, 12, 11],
        f'<{GH}/repositories/1000/issues?per_page=3&page=2>; rel="next", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=5>; rel="last"',
    ),
    "/repositories/1000/issues?per_page=3&page=2": (
        [10, 9, 8],
        f'<{GH}/repositories/1000/issues?per_page=3&page=1>; rel="prev", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=3>; rel="next", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=5>; rel="last", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=1>; rel="first"',
    ),
    "/repositories/1000/issues?per_page=3&page=3": (
        [7, 6, 5],
        f'<{GH}/repositories/1000/issues?per_page=3&page=2>; rel="prev", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=4>; rel="next", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=5>; rel="last", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=1>; rel="first"',
    ),
    "/repositories/1000/issues?per_page=3&page=4": (
        [4, 3, 2],
        f'<{GH}/repositories/1000/issues?per_page=3&page=3>; rel="prev", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=5>; rel="next", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=5>; rel="last", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=1>; rel="first"',
    ),
    "/repositories/1000/issues?per_page=3&page=5": (
        [1],
        f'<{GH}/repositories/1000/issues?per_page=3&page=4>; rel="prev", '
        f'<{GH}/repositories/1000/issues?per_page=3&page=1>; rel="first"',
    ),
}


class GhIssue(BaseModel):
    id: int
    number: int
    title: str
    state: str


def github(request: httpx.Request) -> httpx.Response:
    path = request.url.raw_path.decode()
    numbers, link = GH_PAGES[path]
    body = [
        {"id": 1012 - n + 1, "number": n, "title": f"Test issue {n}", "state": "open"}
        for n in numbers
    ]
    return httpx.Response(200, json=body, headers={"link": link, "x-ratelimit-remaining": "4990"})


async def test_github_recorded_paginate_issues() -> None:
    calls: list[httpx.Request] = []
    async with make_client(github, calls) as http:
        pages = paginate_link(
            http,
            f"{GH}/repos/octokit-fixture-org/paginate-issues/issues",
            op="list",
            params={"per_page": 3},
            adapter=TypeAdapter(list[GhIssue]),
            key=lambda i: i.id,
        )
        issues, complete = await collect(pages)
    assert [i.number for i in issues] == list(range(13, 0, -1))
    assert complete
    assert pages.pages == len(calls) == 5


# -- GitLab: offset pages with Link + X-Total; totals dropped above 10,000; keyset --------------

GL = "https://gitlab.example.com/api/v4/projects/9/issues"


def gitlab(per_page: int, n: int, *, with_totals: bool) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        ids = list(range(1, n + 1))[(page - 1) * per_page : page * per_page]
        pages = -(-n // per_page)
        q = f"per_page={per_page}"
        links = [f'<{GL}?page=1&{q}>; rel="first"']
        headers = {"x-page": str(page), "x-per-page": str(per_page)}
        if page < pages:
            links.insert(0, f'<{GL}?page={page + 1}&{q}>; rel="next"')
            headers["x-next-page"] = str(page + 1)
        if with_totals:
            links.append(f'<{GL}?page={pages}&{q}>; rel="last"')
            headers |= {"x-total": str(n), "x-total-pages": str(pages)}
        headers["link"] = ", ".join(links)
        body = [{"id": 100 + i, "iid": i, "title": f"issue {i}"} for i in ids]
        return httpx.Response(200, json=body, headers=headers)

    return handle


class GlIssue(BaseModel):
    id: int
    iid: int
    title: str


@pytest.mark.parametrize("with_totals", [True, False], ids=["x-total", "over-10k-no-total"])
async def test_gitlab_link_pagination_with_and_without_totals(with_totals: bool) -> None:
    calls: list[httpx.Request] = []
    async with make_client(gitlab(3, 8, with_totals=with_totals), calls) as http:
        pages = paginate_link(
            http,
            GL,
            op="list",
            params={"per_page": 3},
            adapter=TypeAdapter(list[GlIssue]),
            total_header="X-Total",
            key=lambda i: i.id,
        )
        issues, complete = await collect(pages)
    assert [i.iid for i in issues] == list(range(1, 9))
    assert complete
    assert len(calls) == 3
    assert pages.total == (8 if with_totals else None)


async def test_gitlab_page_numbers_with_x_total() -> None:
    calls: list[httpx.Request] = []
    async with make_client(gitlab(3, 8, with_totals=True), calls) as http:
        pages = paginate_offset(
            http,
            GL,
            op="list",
            adapter=TypeAdapter(list[GlIssue]),
            extract=Page,
            page_size=3,
            unit="page",
            start_param="page",
            size_param="per_page",
            total_header="X-Total",
        )
        issues, complete = await collect(pages)
    assert [i.iid for i in issues] == list(range(1, 9))
    assert complete
    assert len(calls) == 3


async def test_gitlab_keyset_ends_without_link_and_with_an_empty_array() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params.get("id_after", "0"))
        ids = [i for i in range(1, 6) if i > after][:2]
        base = f"{GL}?pagination=keyset&per_page=2&order_by=id&sort=asc"
        headers = {"link": f'<{base}&id_after={ids[-1]}>; rel="next"'} if ids else {}
        body = [{"id": i, "iid": i, "title": "t"} for i in ids]
        return httpx.Response(200, json=body, headers=headers)

    calls: list[httpx.Request] = []
    async with make_client(handle, calls) as http:
        pages = paginate_link(
            http,
            GL,
            op="list",
            params={"pagination": "keyset", "per_page": 2, "order_by": "id", "sort": "asc"},
            adapter=TypeAdapter(list[GlIssue]),
        )
        issues, complete = await collect(pages)
    assert [i.id for i in issues] == [1, 2, 3, 4, 5]
    assert complete
    assert len(calls) == 4


# -- Jira: enhanced search (token, POST) and legacy search (startAt/maxResults/total) ----------

JIRA = "https://your-domain.atlassian.net"


class JiraIssue(BaseModel):
    id: str
    key: str
    fields: dict[str, Any] = Field(default_factory=dict)


class JqlPage(BaseModel):
    issues: list[JiraIssue]
    isLast: bool | None = None
    nextPageToken: str | None = None


class LegacyPage(BaseModel):
    startAt: int
    maxResults: int
    total: int
    issues: list[JiraIssue]


def jira_issue(n: int) -> dict[str, Any]:
    return {
        "expand": "",
        "id": str(10000 + n),
        "key": f"ED-{n}",
        "self": f"{JIRA}/rest/api/3/issue/{10000 + n}",
        "fields": {"summary": f"issue {n}", "status": {"name": "Open"}},
    }


async def test_jira_enhanced_search_posts_next_page_token() -> None:
    tokens = {None: ([1, 2], "CAEaAggD"), "CAEaAggD": ([3, 4], "CAEaAggE"), "CAEaAggE": ([5], None)}
    sent: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.path == "/rest/api/3/search/jql"
        body = json.loads(request.content)
        sent.append(body)
        numbers, nxt = tokens[body.get("nextPageToken")]
        doc: dict[str, Any] = {"isLast": nxt is None, "issues": [jira_issue(n) for n in numbers]}
        if nxt:
            doc["nextPageToken"] = nxt
        return httpx.Response(200, json=doc)

    calls: list[httpx.Request] = []
    async with make_client(handle, calls) as http:
        pages = paginate_token(
            http,
            f"{JIRA}/rest/api/3/search/jql",
            op="list",
            body={"jql": "project = ED", "maxResults": 2, "fields": ["summary", "status"]},
            adapter=TypeAdapter(JqlPage),
            extract=lambda p: Page(
                p.issues,
                next=p.nextPageToken,
                more=None if p.isLast is None else not p.isLast,
            ),
            key=lambda i: i.id,
        )
        issues, complete = await collect(pages)
    assert [i.key for i in issues] == [f"ED-{n}" for n in range(1, 6)]
    assert complete
    assert len(calls) == 3
    assert "nextPageToken" not in sent[0]
    assert sent[2] == {
        "jql": "project = ED",
        "maxResults": 2,
        "fields": ["summary", "status"],
        "nextPageToken": "CAEaAggE",
    }


async def test_jira_legacy_search_pages_by_served_count_when_max_results_is_capped() -> None:
    """We ask maxResults=5; the server serves at most 2 and says so; startAt follows what came."""

    def handle(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["startAt"])
        size = min(2, int(request.url.params["maxResults"]))
        numbers = list(range(1, 6))[start : start + size]
        doc = {
            "expand": "names,schema",
            "startAt": start,
            "maxResults": size,
            "total": 5,
            "issues": [jira_issue(n) for n in numbers],
            "warningMessages": ["The value 'bar' does not exist for the field 'foo'."],
        }
        return httpx.Response(200, json=doc)

    calls: list[httpx.Request] = []
    async with make_client(handle, calls) as http:
        pages = paginate_offset(
            http,
            f"{JIRA}/rest/api/3/search",
            op="list",
            params={"jql": "project = ED"},
            adapter=TypeAdapter(LegacyPage),
            extract=lambda p: Page(p.issues, total=p.total, start=p.startAt),
            page_size=5,
            key=lambda i: i.id,
        )
        issues, complete = await collect(pages)
    assert [i.key for i in issues] == [f"ED-{n}" for n in range(1, 6)]
    assert complete
    assert len(calls) == 3
    assert [c.url.params["startAt"] for c in calls] == ["0", "2", "4"]
    assert all(c.url.params["jql"] == "project = ED" for c in calls)


# -- Confluence v2: _links.next relative to the site; Link header repeats it -------------------

CONF = "https://site.atlassian.net"


class ConfPage(BaseModel):
    id: str
    title: str


class ConfLinks(BaseModel):
    next: str | None = None
    base: str | None = None


class ConfResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    results: list[ConfPage]
    links: ConfLinks = Field(alias="_links")


async def test_confluence_v2_pages_follow_links_next() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        i = int(cursor[1:]) if cursor else 0
        ids = [[1, 2], [3, 4], [5]][i]
        links: dict[str, str] = {"base": f"{CONF}/wiki"}
        headers = {}
        if i < 2:
            nxt = f"/wiki/api/v2/spaces/123/pages?cursor=c{i + 1}&limit=2"
            links["next"] = nxt
            headers["Link"] = f'<{nxt}>; rel="next", <{CONF}/wiki>; rel="base"'
        results = [{"id": str(n), "title": f"page {n}", "status": "current"} for n in ids]
        return httpx.Response(200, json={"results": results, "_links": links}, headers=headers)

    calls: list[httpx.Request] = []
    async with make_client(handle, calls) as http:
        pages = paginate_cursor_url(
            http,
            f"{CONF}/wiki/api/v2/spaces/123/pages",
            op="list",
            params={"limit": 2},
            site=CONF,
            adapter=TypeAdapter(ConfResult),
            extract=lambda r: Page(r.results, next=r.links.next),
            key=lambda p: p.id,
            limits=PageLimits(max_items=10_000),
        )
        found, complete = await collect(pages)
    assert [p.id for p in found] == ["1", "2", "3", "4", "5"]
    assert complete
    assert len(calls) == 3
    assert str(calls[2].url) == f"{CONF}/wiki/api/v2/spaces/123/pages?cursor=c2&limit=2"


# -- Linear: GraphQL connection with pageInfo --------------------------------------------------


class LinearIssue(BaseModel):
    id: str
    identifier: str
    title: str


class IssueConnection(BaseModel):
    nodes: list[LinearIssue]
    pageInfo: PageInfo


class LinearData(BaseModel):
    issues: IssueConnection


class LinearResponse(BaseModel):
    data: LinearData


LINEAR_QUERY = """
query Issues($first: Int, $after: String, $filter: IssueFilter) {
  issues(first: $first, after: $after, filter: $filter, orderBy: updatedAt) {
    nodes { id identifier title }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_linear_issues_connection() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        variables = json.loads(request.content)["variables"]
        start = int(variables.get("after") or "0")
        numbers = list(range(1, 8))[start : start + variables["first"]]
        end = start + len(numbers)
        info = {
            "hasNextPage": end < 7,
            "endCursor": str(end),
            "hasPreviousPage": start > 0,
            "startCursor": str(start),
        }
        nodes = [
            {"id": f"uuid-{n}", "identifier": f"ENG-{n}", "title": f"issue {n}"} for n in numbers
        ]
        return httpx.Response(200, json={"data": {"issues": {"nodes": nodes, "pageInfo": info}}})

    calls: list[httpx.Request] = []
    async with make_client(handle, calls) as http:
        pages = paginate_graphql(
            http,
            "https://api.linear.app/graphql",
            op="list",
            query=LINEAR_QUERY,
            variables={"first": 3, "filter": {"updatedAt": {"gt": "2024-01-01T00:00:00Z"}}},
            adapter=TypeAdapter(LinearResponse),
            extract=lambda r: Page.relay(r.data.issues.nodes, r.data.issues.pageInfo),
            key=lambda i: i.id,
        )
        issues, complete = await collect(pages)
    assert [i.identifier for i in issues] == [f"ENG-{n}" for n in range(1, 8)]
    assert complete
    assert len(calls) == 3


# -- Bitbucket: absolute `next`, `size`, and a `next` on the last page -------------------------

BB = "https://api.bitbucket.org/2.0/repositories/evzijst/dogslow/issues"


class BbIssue(BaseModel):
    id: int
    title: str
    state: str


class BbPage(BaseModel):
    pagelen: int
    values: list[BbIssue]
    size: int | None = None
    page: int | None = None
    next: str | None = None
    previous: str | None = None


@pytest.mark.parametrize("size", [5, 7], ids=["size-matches", "size-overclaims"])
async def test_bitbucket_next_on_the_last_page_and_size(size: int) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        ids = list(range(1, 6))[(page - 1) * 2 : page * 2]
        doc: dict[str, Any] = {"pagelen": 2, "size": size, "page": page}
        doc["values"] = [{"id": n, "title": f"bug {n}", "state": "new"} for n in ids]
        if ids:  # Bitbucket sometimes links past the end: the next page is empty
            doc["next"] = f"{BB}?page={page + 1}"
        if page > 1:
            doc["previous"] = f"{BB}?page={page - 1}"
        return httpx.Response(200, json=doc)

    calls: list[httpx.Request] = []
    async with make_client(handle, calls) as http:
        pages = paginate_cursor_url(
            http,
            BB,
            op="list",
            adapter=TypeAdapter(BbPage),
            extract=lambda p: Page(p.values, next=p.next, total=p.size),
            key=lambda i: i.id,
        )
        issues, complete = await collect(pages)
    assert [i.id for i in issues] == [1, 2, 3, 4, 5]
    assert len(calls) == 4
    assert complete is (size == 5)
    if size != 5:
        assert pages.truncated == "server"
        assert "7" in (pages.reason or "")
