"""``Link: <…>; rel="next"`` pagination (GitHub, GitLab, the simulator)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar, overload

import httpx
from pydantic import TypeAdapter

from reposix._http.client import HttpClient
from reposix._http.decode import protocol_error
from reposix._pagination._engine import read_page
from reposix._pagination._follow import follow
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
) -> Paginator[T]:
    """Follow ``rel="next"`` links (read with httpx's ``response.links``) from ``url``.

    The body is a JSON array validated by ``adapter`` (``TypeAdapter(list[Model])``),
    or any shape if ``extract`` picks the items out of it (GitHub search's
    ``items``); the next link always comes from the header. ``total_header``
    (GitLab's ``X-Total``) is the stated collection size when present; absent
    (GitLab above 10,000 records) paging goes on by next link alone. Next links
    on another origin raise ``EgressDenied``.
    ``check`` (a :data:`~reposix._pagination.StatusCheck`) maps every page's error
    status in place of ``raise_for_status``, so the connector's own messages apply.
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
    )
