"""Broken listings that go wrong only when the pages a first page reveals are fetched at
once: each breaks R10 and R30.

They run against the ``github`` connector on its wire fake. GitHub's first page names the
last one (``Link: <...&page=N>; rel="last"``,
https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api), so an
author is tempted to ``asyncio.gather`` pages 2..N by hand instead of letting the SDK's
paginator do it. Sequentially (one page, or no fault) each listing here is right; under
concurrency with a retried or failing page it is not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import httpx

from reposix import Listing, Record, decode
from reposix_contract._gallery import broken
from reposix_contract._targets import Target, from_plugin
from reposix_github import plugin as github_plugin
from reposix_github.connector import GitHubConnector, record_from_issue
from reposix_github.wire import PAGE


def _github() -> Target:
    return from_plugin(github_plugin)


class _GatherLister(GitHubConnector):
    """GitHubConnector whose listing fetches page 1, reads ``rel="last"`` and gathers the rest."""

    def _page_request(self, project: str, page: int) -> Awaitable[httpx.Response]:
        params = {
            "state": "all",
            "sort": "created",
            "direction": "asc",
            "per_page": self.page_size,
            "page": page,
        }
        return self._http.get(self._issues_path(project), op="list", params=params)

    def _page_records(self, project: str, response: httpx.Response) -> list[Record]:
        what = f"github issues of {project}"
        self._raise_for(
            response, what=what, missing=f"github repository {project} not found", listing=True
        )
        return [record_from_issue(i) for i in decode(response, PAGE, what) if not i.is_pull_request]

    async def _first(self, project: str) -> tuple[list[Record], int]:
        response = await self._page_request(project, 1)
        records = self._page_records(project, response)
        last = response.links.get("last", {}).get("url")
        pages = int(httpx.URL(last).params.get("page", "1")) if last else 1
        return records, pages

    def _capped(self, out: list[Record]) -> Listing:
        """``max_records`` honoured (the author got truncation right)."""
        cap = self.runtime.max_records
        if cap is not None and len(out) > cap:
            return Listing(out[:cap], False)
        return Listing(out, True)


@broken("gather-completion-order", kills={"R10", "R30"}, base=_github)
class GatherCompletionOrder(_GatherLister):
    """Starts the revealed pages in order and collects them with ``asyncio.as_completed``,
    appending each as it arrives: records come back in completion order, which is page
    order only while no page is slower than the next (a page retried once lands last)."""

    async def list_records_complete(self, project: str) -> Listing:
        out, pages = await self._first(project)
        tasks = [asyncio.ensure_future(self._page_request(project, n)) for n in range(2, pages + 1)]
        for done in asyncio.as_completed(tasks):
            out += self._page_records(project, await done)
        return self._capped(out)


@broken("gather-swallows-failed-page", kills={"R10", "R30"}, base=_github)
class GatherSwallowsFailedPage(_GatherLister):
    """Gathers the revealed pages with ``return_exceptions=True`` and keeps the pages that
    came back: a page that failed after its retries is silently missing from a listing
    that says is_complete=True."""

    async def list_records_complete(self, project: str) -> Listing:
        out, pages = await self._first(project)
        tasks = [self._page_request(project, n) for n in range(2, pages + 1)]
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, BaseException):
                continue
            out += self._page_records(project, result)
        return self._capped(out)
