"""``Link: <…>; rel="next"`` pagination (GitHub, GitLab, the simulator)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar, overload

import httpx
from pydantic import TypeAdapter

from reposix._http.client import HttpClient
from reposix._http.decode import protocol_error
from reposix._pagination._engine import canonical, read_page
from reposix._pagination._follow import concurrency_of, follow
from reposix._pagination.base import Page, PageLimits, Paginator, StatusCheck

__all__ = ["paginate_link"]

T = TypeVar("T")
P = TypeVar("P")


def _as_page(body: list[T]) -> Page[T]:
    return Page(body)


@overload
def paginate_link(
    http: HttpClient,
    url: str | httpx.URL,
    *,
    op: str,
    adapter: TypeAdapter[list[T]],
    extract: None = None,
    params: Mapping[str, Any] | None = None,
    limits: PageLimits | None = None,
    key: Callable[[T], Hashable] | None = None,
    what: str = "listing",
    on_items: Callable[[int], None] | None = None,
    env_vars: tuple[str, ...] = (),
    check: StatusCheck | None = None,
    total_header: str | None = None,
    headers: Mapping[str, str] | None = None,
    total_pages_header: str | None = None,
    concurrency: int | None = None,
) -> Paginator[T]: ...


@overload
def paginate_link(
    http: HttpClient,
    url: str | httpx.URL,
    *,
    op: str,
    adapter: TypeAdapter[P],
    extract: Callable[[P], Page[T]],
    params: Mapping[str, Any] | None = None,
    limits: PageLimits | None = None,
    key: Callable[[T], Hashable] | None = None,
    what: str = "listing",
    on_items: Callable[[int], None] | None = None,
    env_vars: tuple[str, ...] = (),
    check: StatusCheck | None = None,
    total_header: str | None = None,
    headers: Mapping[str, str] | None = None,
    total_pages_header: str | None = None,
    concurrency: int | None = None,
) -> Paginator[T]: ...


def paginate_link(
    http: HttpClient,
    url: str | httpx.URL,
    *,
    op: str,
    adapter: TypeAdapter[Any],
    extract: Callable[[Any], Page[T]] | None = None,
    params: Mapping[str, Any] | None = None,
    limits: PageLimits | None = None,
    key: Callable[[T], Hashable] | None = None,
    what: str = "listing",
    on_items: Callable[[int], None] | None = None,
    env_vars: tuple[str, ...] = (),
    check: StatusCheck | None = None,
    total_header: str | None = None,
    headers: Mapping[str, str] | None = None,
    total_pages_header: str | None = None,
    concurrency: int | None = None,
) -> Paginator[T]:
    """Follow ``rel="next"`` links (read with httpx's ``response.links``) from ``url``.

    The body is a JSON array validated by ``adapter`` (``TypeAdapter(list[Model])``),
    or any shape if ``extract`` picks the items out of it (GitHub search's
    ``items``); the next link always comes from the header. ``total_header``
    (GitLab's ``X-Total``) is the stated collection size when present; absent
    (GitLab above 10,000 records) paging goes on by next link alone. Next links
    on another origin raise ``EgressDenied``.
    ``check`` (a [`StatusCheck`][reposix.StatusCheck]) maps every page's error
    status in place of ``raise_for_status``, so the connector's own messages apply.

    When the first page reveals the last page number, the rest is fetched up to
    ``concurrency`` pages at a time (None: ``Runtime.page_concurrency``), in order
    and with the same checks as one by one. Revealed by a ``rel="last"`` link that
    differs from ``rel="next"`` only in its ``page`` parameter (GitHub:
    https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api),
    or by ``total_pages_header`` (GitLab's ``X-Total-Pages``, absent above 10,000
    records: https://docs.gitlab.com/api/rest/#pagination-link-header).
    """
    pick: Callable[[Any], Page[T]] = extract or _as_page

    def page_of(response: httpx.Response) -> Page[T]:
        page = read_page(response, adapter, pick, what)
        link = response.links.get("next", {}).get("url") or None
        total = page.total
        if total_header is not None and (raw := response.headers.get(total_header)) is not None:
            try:
                total = int(raw)
            except ValueError:
                raise protocol_error(
                    response, f"{what}: {total_header} is not an integer: {raw[:40]!r}"
                ) from None
        return Page(page.items, next=link, more=page.more, total=total)

    def reveal(response: httpx.Response, current: httpx.URL, nxt: str) -> Sequence[str]:
        return pages_ahead(response, current, nxt, total_pages_header)

    return follow(
        http,
        url,
        op=op,
        page_of=page_of,
        resolve=lambda current, link: current.join(link),
        params=params,
        headers=headers,
        limits=limits,
        key=key,
        what=what,
        on_items=on_items,
        env_vars=env_vars,
        check=check,
        reveal=reveal,
        concurrency=concurrency_of(http, concurrency),
    )


MAX_REVEALED_PAGES = 100_000
"""More pages than this in one ``rel="last"`` are not planned ahead (fetched one by one)."""


def _page_number(url: httpx.URL) -> int | None:
    values = url.params.get_list("page")
    if len(values) != 1 or not values[0].isdigit():
        return None
    return int(values[0])


def pages_ahead(
    response: httpx.Response, current: httpx.URL, nxt: str, total_pages_header: str | None
) -> list[str]:
    """The URLs of every page after ``current``, from ``nxt`` to the last, if stated.

    The next link must carry a ``page`` number; the last page number comes from a
    ``rel="last"`` link equal to the next link but for ``page`` (anything else is not
    trusted to name the same listing), or else from ``total_pages_header``. Empty
    when nothing is stated, so the listing goes on one link at a time.
    """
    try:
        following = httpx.URL(nxt)
    except httpx.InvalidURL:
        return []
    start = _page_number(following)
    if start is None:
        return []
    last: int | None = None
    last_link = response.links.get("last", {}).get("url")
    if last_link:
        try:
            last_url = current.join(last_link)
        except httpx.InvalidURL:
            return []
        if canonical(str(last_url.copy_remove_param("page"))) == canonical(
            str(following.copy_remove_param("page"))
        ):
            last = _page_number(last_url)
    elif total_pages_header is not None:
        raw = response.headers.get(total_pages_header, "")
        last = int(raw) if raw.isdigit() else None
    if last is None or last < start or last - start >= MAX_REVEALED_PAGES:
        return []
    return [str(following.copy_set_param("page", n)) for n in range(start, last + 1)]
