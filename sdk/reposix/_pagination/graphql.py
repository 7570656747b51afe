"""GraphQL Relay pagination: ``pageInfo { hasNextPage endCursor }`` (Linear)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from contextlib import aclosing
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter

from reposix._graphql import graphql_error
from reposix._http.client import HttpClient
from reposix._pagination._engine import Step, check_status, drive, name_token, read_page
from reposix._pagination._follow import build_while_waiting, first_url
from reposix._pagination.base import Page, PageLimits, Paginator, StatusCheck

__all__ = ["paginate_graphql"]

T = TypeVar("T")
P = TypeVar("P")


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
    ``errors`` raises the typed error [`graphql_error`][reposix.graphql_error] maps
    (``ProtocolError`` when unclassified, ``RateLimited``, ``AuthError``, ``NotFound``
    …), even when partial ``data`` came with it: partial data is not a page.
    ``hasNextPage`` true with a null ``endCursor`` ends with ``complete=False``.
    ``check`` (a [`StatusCheck`][reposix.StatusCheck]) maps every page's error
    status in place of ``raise_for_status``, so the connector's own messages apply.
    """
    caps = limits or PageLimits()
    base_vars = dict(variables or {})

    async def run(state: Paginator[T]) -> AsyncIterator[list[T]]:
        target = first_url(http, url, None)
        build_while_waiting(http, adapter)

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
            _raise_graphql_errors(response, what, env_vars)
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


def _raise_graphql_errors(response: httpx.Response, what: str, env_vars: tuple[str, ...]) -> None:
    """Top-level GraphQL ``errors`` become typed errors (a cheap byte check first), mapped
    by the one table of [`graphql_error`][reposix.graphql_error]."""
    if b'"errors"' not in response.content:
        return
    try:
        doc = json.loads(response.content)
    except ValueError:
        return  # the adapter reports malformed JSON
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not errors:
        return
    raise graphql_error(
        errors if isinstance(errors, list) else [errors],
        what=what,
        env_vars=env_vars,
        response=response,
    )
