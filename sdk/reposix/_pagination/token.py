"""Next-page-token pagination (Jira's enhanced search: ``nextPageToken`` / ``isLast``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from contextlib import aclosing
from typing import Any, Literal, TypeVar

import httpx
from pydantic import TypeAdapter

from reposix._http.client import HttpClient
from reposix._pagination._engine import Step, check_status, drive, name_token, read_page
from reposix._pagination._follow import build_while_waiting, first_url
from reposix._pagination.base import Page, PageLimits, Paginator, StatusCheck

__all__ = ["paginate_token"]

T = TypeVar("T")
P = TypeVar("P")


def paginate_token(
    http: HttpClient,
    url: str | httpx.URL,
    *,
    op: str,
    adapter: TypeAdapter[P],
    extract: Callable[[P], Page[T]],
    body: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    method: Literal["POST", "GET"] = "POST",
    token_param: str = "nextPageToken",
    limits: PageLimits | None = None,
    key: Callable[[T], Hashable] | None = None,
    what: str = "listing",
    on_items: Callable[[int], None] | None = None,
    env_vars: tuple[str, ...] = (),
    check: StatusCheck | None = None,
    headers: Mapping[str, str] | None = None,
) -> Paginator[T]:
    """Re-send the same request with the token the last page returned, until there is none.

    POST puts ``token_param`` in the JSON ``body`` (Jira's ``POST
    /rest/api/3/search/jql``); GET puts it in the query. ``extract`` returns
    ``Page(items, next=token, more=not isLast)`` (``more=None`` if ``isLast`` is
    absent). Verdicts: no token → the end; a token with ``isLast`` false or
    absent → follow it; a token with ``isLast`` true, or ``isLast`` false with
    no token → stop, ``complete=False``. An empty token counts as none.
    ``check`` (a [`StatusCheck`][reposix.StatusCheck]) maps every page's error
    status in place of ``raise_for_status``, so the connector's own messages apply.
    """
    caps = limits or PageLimits()
    base_body = dict(body or {})

    async def run(state: Paginator[T]) -> AsyncIterator[list[T]]:
        target = first_url(http, url, params)
        build_while_waiting(http, adapter)

        async def fetch(token: str | None) -> Step[T, str | None]:
            if method == "POST":
                payload = {**base_body, token_param: token} if token else base_body
                response = await http.post(
                    target, op=op, json=payload, headers=headers, read_only=True
                )
            else:
                query = target.copy_merge_params({token_param: token}) if token else target
                response = await http.get(query, op=op, headers=headers)
            check_status(response, check, what=what, env_vars=env_vars)
            page = read_page(response, adapter, extract, what)
            return Step(page.items, page.next or None, page.more, page.total)

        async with aclosing(
            drive(
                state,
                first=None,
                fetch=fetch,
                name=name_token(token_param),
                limits=caps,
                key=key,
                what=what,
                on_items=on_items,
            )
        ) as batches:
            async for batch in batches:
                yield batch

    return Paginator(run)
