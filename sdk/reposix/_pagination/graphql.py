"""GraphQL Relay pagination: ``pageInfo { hasNextPage endCursor }`` (Linear)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from contextlib import aclosing
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter

from reposix._errors import RateLimited
from reposix._http.client import HttpClient
from reposix._http.decode import protocol_error
from reposix._pagination._engine import Step, check_status, drive, name_token, read_page
from reposix._pagination._follow import first_url
from reposix._pagination.base import Page, PageLimits, Paginator, StatusCheck

__all__ = ["paginate_graphql"]

T = TypeVar("T")
P = TypeVar("P")

_RATE_LIMIT_CODES = frozenset({"ratelimited", "rate_limited"})


def paginate_graphql(
    http: HttpClient,
    url: str | httpx.URL,
    *,
    op: str,
    query: str,
    adapter: TypeAdapter[P],
    extract: Callable[[P], Page[T]],
    variables: Mapping[str, Any] | None = None,
    cursor_var: str = "after",
    limits: PageLimits | None = None,
    key: Callable[[T], Hashable] | None = None,
    what: str = "listing",
    on_items: Callable[[int], None] | None = None,
    env_vars: tuple[str, ...] = (),
    check: StatusCheck | None = None,
    headers: Mapping[str, str] | None = None,
) -> Paginator[T]:
    """POST ``{query, variables}`` and pass each page's ``endCursor`` as ``$after``.

    ``adapter`` validates the whole response (``{"data": …}``); ``extract``
    returns ``Page.relay(nodes, page_info)``. A response with top-level
    ``errors`` raises ``ProtocolError`` (``RateLimited`` for a rate-limit code),
    even when partial ``data`` came with it: partial data is not a page.
    ``hasNextPage`` true with a null ``endCursor`` ends with ``complete=False``.
    ``check`` (a [`StatusCheck`][reposix.StatusCheck]) maps every page's error
    status in place of ``raise_for_status``, so the connector's own messages apply.
    """
    caps = limits or PageLimits()
    base_vars = dict(variables or {})

    async def run(state: Paginator[T]) -> AsyncIterator[list[T]]:
        target = first_url(http, url, None)

        async def fetch(cursor: str | None) -> Step[T, str | None]:
            variables_now = {**base_vars, cursor_var: cursor} if cursor else base_vars
            response = await http.post(
                target,
                op=op,
                json={"query": query, "variables": variables_now},
                headers=headers,
                read_only=True,
            )
            check_status(response, check, what=what, env_vars=env_vars)
            _raise_graphql_errors(response, what)
            page = read_page(response, adapter, extract, what)
            return Step(page.items, page.next or None, page.more, page.total)

        async with aclosing(
            drive(
                state,
                first=None,
                fetch=fetch,
                name=name_token(cursor_var),
                limits=caps,
                key=key,
                what=what,
                on_items=on_items,
            )
        ) as batches:
            async for batch in batches:
                yield batch

    return Paginator(run)


def _raise_graphql_errors(response: httpx.Response, what: str) -> None:
    """Top-level GraphQL ``errors`` become typed errors (a cheap byte check first)."""
    if b'"errors"' not in response.content:
        return
    try:
        doc = json.loads(response.content)
    except ValueError:
        return  # the adapter reports malformed JSON
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not errors:
        return
    first = errors[0] if isinstance(errors, list) and errors else {}
    first = first if isinstance(first, dict) else {}
    message = str(first.get("message", "unknown error"))[:200]
    ext = first.get("extensions")
    ext = ext if isinstance(ext, dict) else {}
    code = str(ext.get("code") or ext.get("type") or "").lower()
    if code in _RATE_LIMIT_CODES:
        raise RateLimited(f"{what}: GraphQL rate limit: {message}")
    raise protocol_error(response, f"{what}: GraphQL error: {message}")
