"""``Link: <…>; rel="next"`` pagination (GitHub, GitLab, the simulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter

from reposix.errors import EgressDenied, ProtocolError
from reposix.http.allowlist import origin_of
from reposix.http.client import HttpClient
from reposix.http.decode import decode, raise_for_status
from reposix.pagination.base import PageLimits, Paginator

__all__ = ["paginate_link"]

T = TypeVar("T")


def paginate_link(
    http: HttpClient,
    url: str | httpx.URL,
    *,
    op: str,
    adapter: TypeAdapter[list[T]],
    params: Mapping[str, Any] | None = None,
    limits: PageLimits | None = None,
    key: Callable[[T], Hashable] | None = None,
    what: str = "listing",
    on_items: Callable[[int], None] | None = None,
    env_vars: tuple[str, ...] = (),
) -> Paginator[T]:
    """Follow ``rel="next"`` links from ``url``; each page body is a JSON array."""
    limits = limits or PageLimits()

    async def run(state: Paginator[T]) -> AsyncIterator[T]:
        first = http.url(str(url)) if isinstance(url, str) else url
        pinned = origin_of(first)
        seen_urls: set[str] = set()
        seen_keys: set[Hashable] = set()
        next_url: httpx.URL | None = first
        query: Mapping[str, Any] | None = params
        while next_url is not None:
            if limits.max_pages is not None and state.pages >= limits.max_pages:
                return
            canonical = str(next_url)
            if canonical in seen_urls:
                raise ProtocolError(f"{what}: pagination cycle at {canonical}")
            seen_urls.add(canonical)
            response = await http.get(next_url, op=op, params=query)
            query = None
            raise_for_status(response, what=what, env_vars=env_vars)
            items = decode(response, adapter, what)
            state.pages += 1
            fresh = 0
            for item in items:
                if key is not None:
                    k = key(item)
                    if k in seen_keys:
                        continue
                    seen_keys.add(k)
                if limits.max_items is not None and state.items >= limits.max_items:
                    return
                state.items += 1
                fresh += 1
                yield item
            if on_items is not None and fresh:
                on_items(fresh)
            link = response.links.get("next", {}).get("url")
            if not link:
                state.complete = True
                return
            candidate = next_url.join(link)
            if origin_of(candidate) != pinned:
                raise EgressDenied(
                    str(origin_of(candidate)),
                    [str(pinned)],
                    detail="next link leaves the listing's origin",
                )
            next_url = candidate

    return Paginator(run)
