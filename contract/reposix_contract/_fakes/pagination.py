"""Pagination emitters: the server side of every style the SDK's pagination helpers read.

Each emitter is a small, pure-ish function a wire fake calls with *all* the
records of a listing, the request (or its parameters) and the kit's
[`Knobs`][reposix_contract.Knobs]; it returns the records of the
requested page and the continuation in the style's own terms. The fake only
wraps them in the backend's JSON. Every emitter honours the same knobs
(``page_size``, ``truncate_at``, ``cycle``, ``foreign_next``, ``next_on_last_page``,
``empty_middle_page``, ``short_page``, and for offsets ``ignore_offset`` and
``omit_total``) and appends a [`Served`][reposix_contract.Served]
entry to ``knobs.served``, so invariants can count page requests for any backend.

Styles: [`link_page`][reposix_contract.link_page] (``Link: <…>; rel="next"``: GitHub, GitLab, the
simulator), `offset_page` (``startAt``/``maxResults``/``total``: Jira's
classic search), `token_page` (``nextPageToken``/``isLast``: Jira's enhanced
search), [`cursor_page`][reposix_contract.cursor_page] (a next URL in the body: Confluence v2's
``_links.next``, Bitbucket's ``next``) and [`graphql_page`][reposix_contract.graphql_page] (Relay
``pageInfo { hasNextPage endCursor }``: Linear).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from reposix._faults import FOREIGN_ORIGIN, next_index, plan_pages
from reposix_contract._fakes.base import Knobs, Served

__all__ = [
    "BadCursor",
    "CursorPage",
    "GraphQLPage",
    "LinkPage",
    "OffsetPage",
    "TokenPage",
    "cursor_page",
    "decode_token",
    "encode_token",
    "graphql_page",
    "link_page",
    "offset_page",
    "plan_pages",
    "token_page",
]

T = TypeVar("T")


class BadCursor(ValueError):
    """A page token or cursor the emitter never issued; fakes answer it with their 400 body."""


def _truncated(count: int, knobs: Knobs) -> bool:
    return knobs.truncate_at is not None and knobs.truncate_at < count


def encode_token(index: int) -> str:
    """The opaque token / cursor naming page ``index`` of the plan."""
    return base64.urlsafe_b64encode(f"rpx-page:{index}".encode()).decode("ascii").rstrip("=")


def decode_token(token: str | None) -> int:
    """The page index a token names (None or empty: the first page); ``BadCursor`` otherwise."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor(f"unknown cursor {token[:40]!r}") from None
    prefix, _, number = raw.partition(":")
    if prefix != "rpx-page" or not number.isdigit():
        raise BadCursor(f"unknown cursor {token[:40]!r}")
    return int(number)


def _params(source: httpx.Request | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(source, httpx.Request):
        return dict(source.url.params.items())
    return source


def _int(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _size(params: Mapping[str, Any], knobs: Knobs, param: str, default: int, cap: int) -> int:
    if knobs.page_size is not None:
        return max(1, knobs.page_size)
    return max(1, min(_int(params.get(param), default), cap))


def _slice(items: Sequence[T], plan: list[tuple[int, int]], index: int) -> list[T]:
    if 0 <= index < len(plan):
        start, end = plan[index]
        return list(items[start:end])
    return []


def _next_index(index: int, plan_len: int, knobs: Knobs) -> int | None:
    return next_index(index, plan_len, knobs)


def _id_of(item: Any) -> int | None:
    """A listing item's record id: ``Record.id``, or a JSON object's ``number``/``id``."""
    value = getattr(item, "id", None)
    if value is None and isinstance(item, Mapping):
        value = item.get("number", item.get("id"))
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _served(
    style: str, index: int, page: Sequence[Any], has_next: bool, items: Sequence[Any]
) -> Served:
    ids = tuple(i for i in map(_id_of, page) if i is not None)
    order = tuple(i for i in map(_id_of, items) if i is not None)
    return Served(style, index, len(page), has_next, ids, order)


@dataclass(frozen=True)
class LinkPage(Generic[T]):
    """A page for ``Link``-header pagination: put ``headers`` on the response."""

    items: list[T]
    next_url: str | None
    headers: dict[str, str] = field(default_factory=dict)
    total: int | None = None
    """The whole listing's size (for an ``X-Total``-style header), None if ``omit_total``."""


def link_page(
    items: Sequence[T],
    request: httpx.Request,
    knobs: Knobs,
    *,
    default_size: int = 30,
    max_size: int = 100,
    size_param: str = "per_page",
    page_param: str = "page",
    first_page: int = 1,
) -> LinkPage[T]:
    """Serve the page ``request`` asks for (``?page=``, ``?per_page=``) with a ``Link`` header.

    The next link is the request's own URL with the page number bumped; a cycle
    repeats it; ``foreign_next`` moves the first page's link to `FOREIGN_ORIGIN`.
    """
    params = _params(request)
    size = _size(params, knobs, size_param, default_size, max_size)
    index = _int(params.get(page_param), first_page) - first_page
    plan = plan_pages(len(items), size, knobs)
    page = _slice(items, plan, index)
    target = _next_index(index, len(plan), knobs) if 0 <= index < len(plan) else None
    next_url: str | None = None
    if knobs.cycle == "self" and index == 0:
        next_url = str(request.url)
    elif target is not None:
        next_url = str(request.url.copy_set_param(page_param, str(target + first_page)))
    if knobs.foreign_next and index == 0:
        nxt = request.url.copy_set_param(page_param, str(1 + first_page))
        next_url = FOREIGN_ORIGIN + nxt.raw_path.decode("ascii")
    knobs.served.append(_served("link", index, page, next_url is not None, items))
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    total = None if knobs.omit_total else len(items)
    return LinkPage(page, next_url, headers, total)


@dataclass(frozen=True)
class OffsetPage(Generic[T]):
    """A page for offset pagination: echo ``start``/``size``, state ``total`` unless None."""

    items: list[T]
    start: int
    size: int
    total: int | None
    is_last: bool


def offset_page(
    items: Sequence[T],
    params: httpx.Request | Mapping[str, Any],
    knobs: Knobs,
    *,
    default_size: int = 50,
    max_size: int = 100,
    start_param: str = "startAt",
    size_param: str = "maxResults",
) -> OffsetPage[T]:
    """Serve ``items[startAt : startAt + maxResults]`` (query string or JSON body parameters).

    ``ignore_offset`` serves from 0 whatever the client asks (Jira's newer search);
    ``truncate_at`` stops serving records past the cap while ``total`` still counts
    them all (the client must notice it got fewer); ``short_page`` serves one record
    less on the first page; ``omit_total`` leaves ``total`` out.
    """
    values = _params(params)
    size = _size(values, knobs, size_param, default_size, max_size)
    start = 0 if knobs.ignore_offset else max(0, _int(values.get(start_param), 0))
    offered = len(items) if knobs.truncate_at is None else min(len(items), knobs.truncate_at)
    step = size - 1 if knobs.short_page and start == 0 and size > 1 else size
    page = list(items[start : min(start + step, offered)])
    is_last = start + len(page) >= len(items)
    knobs.served.append(_served("offset", start // size, page, not is_last, items))
    total = None if knobs.omit_total else len(items)
    return OffsetPage(page, start, size, total, is_last)


@dataclass(frozen=True)
class TokenPage(Generic[T]):
    """A page for next-page-token pagination.

    ``is_last`` is False with no token when the server truncated: a contradiction a
    client must report as incomplete.
    """

    items: list[T]
    next_token: str | None
    is_last: bool
    total: int | None


def token_page(
    items: Sequence[T],
    params: httpx.Request | Mapping[str, Any],
    knobs: Knobs,
    *,
    default_size: int = 50,
    max_size: int = 100,
    token_param: str = "nextPageToken",
    size_param: str = "maxResults",
) -> TokenPage[T]:
    """Serve the page a ``nextPageToken`` names (none: the first); ``BadCursor`` for a forgery."""
    values = _params(params)
    size = _size(values, knobs, size_param, default_size, max_size)
    token = values.get(token_param)
    index = decode_token(str(token) if token is not None else None)
    plan = plan_pages(len(items), size, knobs)
    page = _slice(items, plan, index)
    target = _next_index(index, len(plan), knobs) if index < len(plan) else None
    next_token = encode_token(target) if target is not None else None
    truncated = _truncated(len(items), knobs) and target is None
    knobs.served.append(_served("token", index, page, next_token is not None or truncated, items))
    total = None if knobs.omit_total else len(items)
    return TokenPage(page, next_token, next_token is None and not truncated, total)


@dataclass(frozen=True)
class CursorPage(Generic[T]):
    """A page whose body carries the next URL (``_links.next`` or ``next``)."""

    items: list[T]
    next: str | None
    total: int | None


def cursor_page(
    items: Sequence[T],
    request: httpx.Request,
    knobs: Knobs,
    *,
    default_size: int = 25,
    max_size: int = 250,
    cursor_param: str = "cursor",
    size_param: str = "limit",
    relative: bool = True,
) -> CursorPage[T]:
    """Serve the page ``?cursor=`` names; the next URL is site-relative if ``relative``.

    ``foreign_next`` makes the first page's next URL absolute on `FOREIGN_ORIGIN`.
    """
    params = _params(request)
    size = _size(params, knobs, size_param, default_size, max_size)
    raw = params.get(cursor_param)
    index = decode_token(str(raw) if raw is not None else None)
    plan = plan_pages(len(items), size, knobs)
    page = _slice(items, plan, index)
    target = _next_index(index, len(plan), knobs) if index < len(plan) else None
    nxt: str | None = None
    if target is not None:
        url = request.url.copy_set_param(cursor_param, encode_token(target))
        path = url.raw_path.decode("ascii")
        nxt = path if relative else str(url)
    if knobs.foreign_next and index == 0:
        url = request.url.copy_set_param(cursor_param, encode_token(1))
        nxt = FOREIGN_ORIGIN + url.raw_path.decode("ascii")
    knobs.served.append(_served("cursor", index, page, nxt is not None, items))
    total = None if knobs.omit_total else len(items)
    return CursorPage(page, nxt, total)


@dataclass(frozen=True)
class GraphQLPage(Generic[T]):
    """A Relay connection page: ``nodes`` and ``page_info`` (``hasNextPage``, ``endCursor``)."""

    nodes: list[T]
    page_info: dict[str, Any]
    total: int | None


def graphql_page(
    items: Sequence[T],
    variables: Mapping[str, Any],
    knobs: Knobs,
    *,
    default_size: int = 50,
    max_size: int = 250,
    first_var: str = "first",
    after_var: str = "after",
) -> GraphQLPage[T]:
    """Serve the connection page after the ``after`` cursor; truncation says
    ``hasNextPage: true`` with a null ``endCursor`` (incomplete, not done)."""
    size = _size(variables, knobs, first_var, default_size, max_size)
    raw = variables.get(after_var)
    index = decode_token(str(raw) if raw is not None else None)
    plan = plan_pages(len(items), size, knobs)
    page = _slice(items, plan, index)
    target = _next_index(index, len(plan), knobs) if index < len(plan) else None
    truncated = _truncated(len(items), knobs) and target is None
    info: dict[str, Any] = {
        "hasNextPage": target is not None or truncated,
        "endCursor": encode_token(target) if target is not None else None,
    }
    knobs.served.append(_served("graphql", index, page, bool(info["hasNextPage"]), items))
    total = None if knobs.omit_total else len(items)
    return GraphQLPage(page, info, total)
