"""Next-URL-in-the-body pagination (Confluence v2 ``_links.next``, Bitbucket ``next``)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter

from reposix._http.client import HttpClient
from reposix._pagination._engine import read_page
from reposix._pagination._follow import Resolve, follow
from reposix._pagination.base import Page, PageLimits, Paginator, StatusCheck

__all__ = ["paginate_cursor_url", "site_resolver"]

T = TypeVar("T")
P = TypeVar("P")


def site_resolver(site: str | httpx.URL) -> Resolve:
    """Resolve next links against a site root, keeping its path prefix.

    A link starting with ``/`` is appended to ``site``'s path, so Confluence's
    ``/wiki/api/v2/pages?cursor=…`` works both on ``https://x.atlassian.net``
    and behind a prefix such as ``https://api.atlassian.com/ex/confluence/<cloudId>``.
    Absolute links are taken as they are (and then pinned); other relative links
    resolve against the current URL.
    """
    root = httpx.URL(str(site))
    prefix = root.path.rstrip("/")

    def resolve(current: httpx.URL, link: str) -> httpx.URL:
        if link.startswith("/") and not link.startswith("//"):
            return root.join(prefix + link)
        return current.join(link)

    return resolve


def _relative(current: httpx.URL, link: str) -> httpx.URL:
    return current.join(link)


def paginate_cursor_url(
    http: HttpClient,
    url: str | httpx.URL,
    *,
    op: str,
    adapter: TypeAdapter[P],
    extract: Callable[[P], Page[T]],
    params: Mapping[str, Any] | None = None,
    site: str | httpx.URL | None = None,
    limits: PageLimits | None = None,
    key: Callable[[T], Hashable] | None = None,
    what: str = "listing",
    on_items: Callable[[int], None] | None = None,
    env_vars: tuple[str, ...] = (),
    check: StatusCheck | None = None,
    headers: Mapping[str, str] | None = None,
) -> Paginator[T]:
    """Follow the next URL each page body carries, as ``extract`` reports it in ``Page.next``.

    ``site`` is the root that site-relative links (``/wiki/…``) hang off; it
    defaults to the first request's origin. The body's own ``_links.base`` is
    never used. ``Page.total`` (Bitbucket's ``size``) larger than what was served
    ends the listing with ``complete=False``.
    ``check`` (a [`StatusCheck`][reposix.StatusCheck]) maps every page's error
    status in place of ``raise_for_status``, so the connector's own messages apply.
    """
    resolve: Resolve = site_resolver(site) if site is not None else _relative
    return follow(
        http,
        url,
        op=op,
        page_of=lambda response: read_page(response, adapter, extract, what),
        resolve=resolve,
        params=params,
        headers=headers,
        limits=limits,
        key=key,
        what=what,
        on_items=on_items,
        env_vars=env_vars,
        check=check,
        adapter=adapter,
    )
