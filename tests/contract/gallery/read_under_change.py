"""Broken listings while the tracker changes between page requests: each breaks R13.

They run against the ``github`` connector on its wire fake, which pages by page number
over whatever order the request asks for, as GitHub does
(https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api).
"""

from __future__ import annotations

from datetime import datetime

from reposix._backend import Listing
from reposix._records import RecordId
from reposix_contract._gallery import broken
from reposix_contract._targets import Target, from_plugin
from reposix_github import plugin as github_plugin
from reposix_github.connector import GitHubConnector


def _github() -> Target:
    return from_plugin(github_plugin)


@broken("changed-since-by-page-number", kills={"R13"}, base=_github)
class ChangedSinceByPageNumber(GitHubConnector):
    """Follows page numbers over `sort=updated&direction=asc`: an issue edited between two
    page requests moves to the end and the one on the page boundary is never served (the
    GitHub connector's own bug before the kit checked listings under change)."""

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        params = {"state": "all", "sort": "updated", "direction": "asc"}
        params["since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        stream = self._stream(project, params, op="list_changed_since")
        return [r.id async for r in stream if r.updated_at > since]


@broken("lists-least-recently-updated-first", kills={"R13"}, base=_github)
class ListsLeastRecentlyUpdatedFirst(GitHubConnector):
    """Lists everything by `sort=updated&direction=asc` page numbers, then sorts by id: an
    issue edited mid-listing moves to the end and the one behind the page boundary is lost."""

    async def list_records_complete(self, project: str) -> Listing:
        params = {"state": "all", "sort": "updated", "direction": "asc"}
        listing = await self._stream(project, params, op="list").collect()
        records = sorted(listing.records, key=lambda r: r.id)
        return Listing(records, is_complete=listing.is_complete)
