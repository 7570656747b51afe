"""Offset pagination: `startAt`/`maxResults`/`total` (Jira legacy) or page numbers (GitLab)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from contextlib import aclosing
from typing import Any, Literal, TypeVar

import httpx
from pydantic import TypeAdapter

from reposix._errors import ProtocolError
from reposix._http.client import HttpClient, network_wait
from reposix._http.decode import protocol_error
from reposix._pagination._engine import Step, Window, check_status, drive, read_page
from reposix._pagination._follow import build_while_waiting, first_url, window_of
from reposix._pagination.base import Page, PageLimits, Paginator, StatusCheck

__all__ = ["paginate_offset"]

_MAX_AHEAD = 100_000
"""Pages planned ahead at most from one stated total."""

T = TypeVar("T")
P = TypeVar("P")


def paginate_offset(
    http: HttpClient,
    url: str | httpx.URL,
    *,
    op: str,
    adapter: TypeAdapter[P],
    extract: Callable[[P], Page[T]],
    page_size: int,
    params: Mapping[str, Any] | None = None,
    unit: Literal["item", "page"] = "item",
    start: int | None = None,
    start_param: str = "startAt",
    size_param: str = "maxResults",
    total_header: str | None = None,
    limits: PageLimits | None = None,
    key: Callable[[T], Hashable] | None = None,
    what: str = "listing",
    on_items: Callable[[int], None] | None = None,
    env_vars: tuple[str, ...] = (),
    check: StatusCheck | None = None,
    headers: Mapping[str, str] | None = None,
    concurrency: int | None = None,
) -> Paginator[T]:
    """GET ``url`` with ``start_param``/``size_param`` until the collection is exhausted.

    ``unit="item"``: the offset advances by the number of records served (Jira's
    ``startAt``, robust when the server caps ``maxResults``). ``unit="page"``:
    page numbers from 1 (GitLab's ``page``/``per_page``; pass
    ``start_param="page", size_param="per_page", total_header="X-Total"``).
    The end is ``Page.more`` if ``extract`` reports it, else the stated total,
    else an empty page. A server that ignores the offset (serves the same page
    again, or echoes another ``Page.start``) raises ``ProtocolError``.
    ``check`` (a [`StatusCheck`][reposix.StatusCheck]) maps every page's error
    status in place of ``raise_for_status``, so the connector's own messages apply.

    ``unit="item"`` with a stated total: once the first page says how many records
    there are, the remaining offsets are fetched up to ``concurrency`` at a time (the
    connector's default for its API; ``Runtime.page_concurrency``, when set, wins;
    neither: 8), in order and judged as one by one; a page shorter than the first
    ends that plan and the rest goes one by one.
    """
    caps = limits or PageLimits()
    parallel = window_of(http, concurrency) if unit == "item" else Window()
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    begin = start if start is not None else (0 if unit == "item" else 1)

    async def run(state: Paginator[T]) -> AsyncIterator[list[T]]:
        base = first_url(http, url, params)
        build_while_waiting(http, adapter)
        served = 0

        async def fetch(n: int) -> Step[T, int]:
            nonlocal served
            target = base.copy_merge_params({start_param: n, size_param: page_size})
            response = await http.get(target, op=op, headers=headers)
            check_status(response, check, what=what, env_vars=env_vars)
            page = read_page(response, adapter, extract, what)
            if page.start is not None and page.start != n:
                raise ProtocolError(
                    f"{what}: the server ignored {start_param}={n} "
                    f"(it served {start_param}={page.start})",
                    method="GET",
                    url=str(target),
                    hint="this endpoint does not page by offset; use its cursor or token style",
                )
            total = page.total
            if total_header is not None and (raw := response.headers.get(total_header)):
                try:
                    total = int(raw)
                except ValueError:
                    raise protocol_error(
                        response, f"{what}: {total_header} is not an integer: {raw[:40]!r}"
                    ) from None
            count = len(page.items)
            served += count
            if unit == "item":
                reached = n + count
                claims = page.more is True or (total is not None and reached < total)
            else:
                reached = served
                claims = page.more is True or (total is not None and served < total)
            nxt: int | None
            if page.more is False:
                nxt = None
            elif count == 0:
                nxt = None  # an empty page ends an offset listing; `claims` marks it incomplete
            elif total is not None and page.more is None:
                nxt = (n + count if unit == "item" else n + 1) if reached < total else None
            else:
                nxt = n + count if unit == "item" else n + 1
            ahead: list[int] = []
            if n == begin and nxt is not None and total is not None and unit == "item":
                ahead = list(range(nxt, min(total, nxt + count * _MAX_AHEAD), count))
            more = True if claims and nxt is None else page.more
            return Step(page.items, nxt, more, total, ahead, network_wait(response))

        async with aclosing(
            drive(
                state,
                first=begin,
                fetch=fetch,
                name=lambda n: f"{start_param}={n}",
                limits=caps,
                key=key,
                what=what,
                on_items=on_items,
                window=parallel,
            )
        ) as batches:
            async for batch in batches:
                yield batch

    return Paginator(run)
