"""A hand-rolled Link-header listing for broken connectors (what the SDK helpers replace)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from reposix._records import Record
from reposix.sim._backend import SimBackend, _WireRecord


class NaiveLister(SimBackend):
    """SimBackend with a naive listing loop that subclasses break in one place each."""

    async def naive_pages(
        self, project: str, params: dict[str, Any] | None = None
    ) -> AsyncIterator[tuple[list[Record], str | None]]:
        """Yield ``(records, next_url)`` per page, following Link headers blindly."""
        url: httpx.URL | None = self._http.url(self._records(project)).copy_merge_params(
            params or {"per_page": self.runtime.page_size or 100}
        )
        while url is not None:
            response = await self._http.get(url, op="list_records")
            self._raise(response, f"listing of {project!r}")
            records = [_WireRecord.model_validate(d).to_record() for d in response.json()]
            nxt = response.links.get("next", {}).get("url")
            yield records, nxt
            url = url.join(nxt) if nxt else None

    async def naive_list(self, project: str, params: dict[str, Any] | None = None) -> list[Record]:
        """Every page, concatenated."""
        out: list[Record] = []
        async for records, _ in self.naive_pages(project, params):
            out += records
        return out
