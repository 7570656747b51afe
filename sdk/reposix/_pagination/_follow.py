"""Following next URLs (Link header or body cursor URL), pinned to the first request's origin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import aclosing
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter

from reposix._errors import EgressDenied
from reposix._http.allowlist import origin_of
from reposix._http.client import HttpClient, network_wait
from reposix._http.decode import protocol_error, server_text
from reposix._pagination._engine import (
    Step,
    Window,
    canonical,
    check_status,
    drive,
    name_url,
    pin,
)
from reposix._pagination.base import KeyFn, Page, PageLimits, Paginator, StatusCheck

T = TypeVar("T")

Resolve = Callable[[httpx.URL, str], httpx.URL]
"""Turns a next link (as the server wrote it) into an absolute URL, given the current URL."""

Reveal = Callable[[httpx.Response, httpx.URL, str], Sequence[str]]
"""Given a page's response, its URL and its (absolute) next URL: the URLs of every page
still to come, in order, if the response states them; else empty."""


DEFAULT_PAGE_CONCURRENCY = 8
"""Revealed pages fetched at once when neither the runtime nor the connector says."""


def window_of(http: HttpClient, concurrency: int | None) -> Window:
    """How many revealed pages a helper may fetch at once, and whether that is fixed.

    ``Runtime.page_concurrency`` when set (the caller's choice, the first round's size: 1 for one
    by one), else the helper's ``concurrency`` argument (the connector's ceiling for
    its API), else `DEFAULT_PAGE_CONCURRENCY`; below a ceiling, the first round is
    sized by the network's measured wait (`Window`).
    """
    runtime = http.opts.runtime
    value = runtime.page_concurrency
    fixed = value is not None
    if value is None:
        value = DEFAULT_PAGE_CONCURRENCY if concurrency is None else concurrency
    return Window(max(1, value), fixed, runtime.clock.monotonic)


def build_while_waiting(http: HttpClient, adapter: TypeAdapter[Any]) -> None:
    """Have ``adapter``'s validator built while the listing's first request is on the wire.

    pydantic builds a deferred validator (`reposix.wire_adapter`) on first use, after the
    first page has arrived; queued with `HttpClient.while_waiting`, the build (10-20 ms
    for a vendor's page model) overlaps the network's latency instead.
    """
    if not adapter.pydantic_complete:
        http.while_waiting(lambda: adapter.rebuild(raise_errors=False), key=adapter)


def first_url(
    http: HttpClient, url: str | httpx.URL, params: Mapping[str, Any] | None
) -> httpx.URL:
    """The first request's URL: resolved against the client's base URL, params merged in."""
    first = http.url(str(url))
    if params:
        first = first.copy_merge_params(params)
    return first


def follow(
    http: HttpClient,
    url: str | httpx.URL,
    *,
    op: str,
    page_of: Callable[[httpx.Response], Page[T]],
    resolve: Resolve,
    params: Mapping[str, Any] | None,
    headers: Mapping[str, str] | None,
    limits: PageLimits | None,
    key: KeyFn[T] | None,
    what: str,
    on_items: Callable[[int], None] | None,
    env_vars: tuple[str, ...],
    check: StatusCheck | None = None,
    reveal: Reveal | None = None,
    window: Window | None = None,
    adapter: TypeAdapter[Any] | None = None,
) -> Paginator[T]:
    """GET ``url``, then every next URL ``page_of`` finds, each checked before it is sent.

    Each response goes through ``check`` (else ``raise_for_status``) before ``page_of``.
    ``reveal`` (first page only) names the remaining pages, which are then fetched up
    to ``window.limit`` at a time; each is still pinned, checked and judged in order.
    ``adapter``, the pages' validator, is built while the first request is on the wire.
    """
    caps = limits or PageLimits()

    async def run(state: Paginator[T]) -> AsyncIterator[list[T]]:
        first = first_url(http, url, params)
        try:
            pinned = origin_of(first)
        except ValueError as exc:
            raise EgressDenied(str(first), http.allowlist.describe(), detail=str(exc)) from None
        if adapter is not None:
            build_while_waiting(http, adapter)

        first_request = http.url(str(first))

        async def fetch(target: str) -> Step[T, str]:
            current = http.url(target)  # the client's URL hygiene: userinfo dropped, etc.
            try:
                pin(current, pinned)
            except EgressDenied:
                http.audit_refusal(op, "GET", current)
                raise
            response = await http.get(current, op=op, headers=headers)
            check_status(response, check, what=what, env_vars=env_vars)
            page = page_of(response)
            nxt: str | None = None
            if page.next:
                try:
                    nxt = str(resolve(current, page.next))
                except (httpx.InvalidURL, ValueError, TypeError) as exc:
                    raise protocol_error(
                        response,
                        f"{what}: unusable next link {server_text(response, page.next, 100)!r}: "
                        f"{server_text(response, str(exc), 200)}",
                    ) from None
            ahead: Sequence[str] = ()
            if reveal is not None and nxt is not None and current == first_request:
                ahead = reveal(response, current, nxt)
            return Step(page.items, nxt, page.more, page.total, ahead, network_wait(response))

        async with aclosing(
            drive(
                state,
                first=str(first),
                fetch=fetch,
                name=name_url,
                ident=canonical,
                limits=caps,
                key=key,
                what=what,
                on_items=on_items,
                window=window if reveal is not None and window is not None else Window(),
            )
        ) as batches:
            async for batch in batches:
                yield batch

    return Paginator(run)
