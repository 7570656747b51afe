"""``Link: <…>; rel="next"`` pagination (GitHub, GitLab, the simulator).

The header is read with a strict RFC 8288 parser (https://www.rfc-editor.org/rfc/rfc8288#section-3),
not httpx's lenient ``response.links``: there, ``rel="NEXT"`` and ``rel="next prev"`` are
keys other than ``next`` and ``<>; rel="next"`` is an empty URL, so a listing would end
after page 1 and report itself complete. Here relation types compare case-insensitively
and ``rel`` is a space-separated list (RFC 8288 §3.3), and a ``Link`` header that is
present but cannot be read, or whose next target is empty, is a ``ProtocolError``: an
unreadable next link never looks like the last page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar, overload

import httpx
from pydantic import TypeAdapter

from reposix._http.client import HttpClient
from reposix._http.decode import protocol_error, server_text
from reposix._pagination._engine import canonical, read_page
from reposix._pagination._follow import follow, window_of
from reposix._pagination.base import Page, PageLimits, Paginator, StatusCheck

__all__ = ["next_link", "paginate_link", "parse_link_header"]

T = TypeVar("T")
P = TypeVar("P")

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""RFC 9110 ``token`` (parameter names and unquoted values)."""
_BAD_TARGET = re.compile(r'[\s<"]')
"""Whitespace (``str.isspace``'s set: ``\\s`` on str patterns), ``<`` or ``"``."""
_OWS = " \t"
_MAX_HEADER = 16_384


def _skip(value: str, i: int) -> int:
    while i < len(value) and value[i] in _OWS:
        i += 1
    return i


def _param_value(value: str, i: int) -> tuple[str, int]:
    if i < len(value) and value[i] == '"':
        out: list[str] = []
        i += 1
        while i < len(value):
            char = value[i]
            if char == "\\" and i + 1 < len(value):
                out.append(value[i + 1])
                i += 2
                continue
            if char == '"':
                return "".join(out), i + 1
            out.append(char)
            i += 1
        raise ValueError("unterminated quoted string")
    match = _TOKEN.match(value, i)
    if match is None:
        raise ValueError(f"expected a parameter value at offset {i}")
    return match.group(), match.end()


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """``[(target, {param: value})]`` of one ``Link`` field value (RFC 8288 §3).

    Parameter names are lower-cased; for a repeated parameter the first wins (§3.3).
    Empty list elements are allowed (RFC 9110 §5.6.1). ``ValueError`` for anything
    that does not follow the grammar.
    """
    if len(value) > _MAX_HEADER:
        raise ValueError(f"longer than {_MAX_HEADER} characters")
    links: list[tuple[str, dict[str, str]]] = []
    i = 0
    while True:
        while i < len(value) and (value[i] in _OWS or value[i] == ","):
            i += 1
        if i >= len(value):
            return links
        if value[i] != "<":
            raise ValueError(f"expected '<' at offset {i}")
        end = value.find(">", i + 1)
        if end < 0:
            raise ValueError("unterminated '<'")
        target = value[i + 1 : end]
        if _BAD_TARGET.search(target):
            raise ValueError("whitespace, '<' or '\"' inside a link target")
        i = _skip(value, end + 1)
        params: dict[str, str] = {}
        while i < len(value) and value[i] == ";":
            i = _skip(value, i + 1)
            match = _TOKEN.match(value, i)
            if match is None:
                raise ValueError(f"expected a parameter name at offset {i}")
            name = match.group().lower()
            i = _skip(value, match.end())
            text = ""
            if i < len(value) and value[i] == "=":
                text, i = _param_value(value, _skip(value, i + 1))
                i = _skip(value, i)
            params.setdefault(name, text)
        if i < len(value) and value[i] != ",":
            raise ValueError(f"unexpected {value[i]!r} at offset {i}")
        links.append((target, params))


def next_link(response: httpx.Response, what: str = "listing") -> str | None:
    """The target of the ``rel="next"`` link in ``response``'s ``Link`` headers, or None.

    None only when there is no ``Link`` header or it names no next link. A header that
    cannot be parsed, an empty next target (``<>``) or two different next targets raise
    [`ProtocolError`][reposix.ProtocolError].
    """
    values: Sequence[str] = response.headers.get_list("link")
    targets: list[str] = []
    for raw in values:
        try:
            links = parse_link_header(raw)
        except ValueError as exc:
            raise protocol_error(
                response,
                f"{what}: unreadable Link header {server_text(response, raw, 100)!r} ({exc}); "
                "an unreadable next "
                "link is never taken for the last page",
            ) from None
        for target, params in links:
            rels = params.get("rel", "").lower().split()
            if "next" in rels and target not in targets:
                targets.append(target)
    if not targets:
        return None
    if len(targets) > 1:
        raise protocol_error(
            response, f"{what}: the Link header names {len(targets)} different next links"
        )
    if not targets[0].strip():
        raise protocol_error(response, f"{what}: the Link header's next link is empty (<>)")
    return targets[0]


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
    """Follow ``rel="next"`` links (read by [`next_link`][reposix.next_link]) from ``url``.

    The body is a JSON array validated by ``adapter`` (``TypeAdapter(list[Model])``),
    or any shape if ``extract`` picks the items out of it (GitHub search's
    ``items``); the next link always comes from the header. ``total_header``
    (GitLab's ``X-Total``) is the stated collection size when present; absent
    (GitLab above 10,000 records) paging goes on by next link alone. Next links
    on another origin raise ``EgressDenied``.
    ``check`` (a [`StatusCheck`][reposix.StatusCheck]) maps every page's error
    status in place of ``raise_for_status``, so the connector's own messages apply.

    When the first page reveals the last page number, the rest is fetched up to
    ``concurrency`` pages at a time (the connector's default for its API;
    ``Runtime.page_concurrency``, when set, wins; neither: 8), in order and with the
    same checks as one by one. Revealed by a ``rel="last"`` link that
    differs from ``rel="next"`` only in its ``page`` parameter (GitHub:
    https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api),
    or by ``total_pages_header`` (GitLab's ``X-Total-Pages``, absent above 10,000
    records: https://docs.gitlab.com/api/rest/#pagination-link-header).
    """
    pick: Callable[[Any], Page[T]] = extract or _as_page

    def page_of(response: httpx.Response) -> Page[T]:
        page = read_page(response, adapter, pick, what)
        link = next_link(response, what)
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
        resolve=resolve_link,
        params=params,
        headers=headers,
        limits=limits,
        key=key,
        what=what,
        on_items=on_items,
        env_vars=env_vars,
        check=check,
        reveal=reveal,
        window=window_of(http, concurrency),
        adapter=adapter,
    )


def resolve_link(current: httpx.URL, link: str) -> httpx.URL:
    """``link`` resolved against ``current`` (RFC 3986 section 5.2).

    An absolute http(s) link (GitHub and GitLab send only those) resolves to itself, so
    it is parsed once instead of joined: ``URL.join`` parses the link, serializes both
    and parses the result again, about three times the work for the same URL. Only a
    lower-case scheme takes the short way: httpx drops a default port (``:443``) only
    once the scheme is lower-case, which joining does first.
    """
    if link.startswith(("https://", "http://")):
        return httpx.URL(link)
    return current.join(link)


MAX_REVEALED_PAGES = 100_000
"""More pages than this in one ``rel="last"`` are not planned ahead (fetched one by one)."""


def _digits(text: str) -> int | None:
    """``text`` as a page number if it is 1-18 ASCII digits (``"²".isdigit()`` is True)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _page_number(url: httpx.URL) -> int | None:
    values = url.params.get_list("page")
    return _digits(values[0]) if len(values) == 1 else None


def _rel_target(response: httpx.Response, rel: str) -> str | None:
    """The first link target whose ``rel`` list holds ``rel`` (RFC 8288), else None."""
    for raw in response.headers.get_list("link"):
        try:
            links = parse_link_header(raw)
        except ValueError:
            return None
        for target, params in links:
            if rel in params.get("rel", "").lower().split():
                return target
    return None


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
    last_link = _rel_target(response, "last")
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
        last = _digits(raw)
    if last is None or last < start or last - start >= MAX_REVEALED_PAGES:
        return []
    return _numbered(nxt, following, range(start, last + 1))


def _numbered(nxt: str, following: httpx.URL, numbers: range) -> list[str]:
    """``nxt`` with its one ``page=`` item set to each of ``numbers``, by string splicing.

    The rest of the link stays byte for byte as the server (and httpx's join) wrote it.
    ``URL.copy_set_param`` re-parses and re-encodes the whole URL per page (about 1 ms
    each, a tenth of a second over a 100-page listing); it is kept for a ``page`` key
    written percent-encoded, which splicing does not look for.
    """
    head, mark, fragment = nxt.partition("#")
    base, _, query = head.partition("?")
    items = query.split("&")
    at = [i for i, item in enumerate(items) if item.partition("=")[0] == "page"]
    if len(at) != 1:
        return [str(following.copy_set_param("page", n)) for n in numbers]
    i = at[0]
    prefix = "&".join([*items[:i], "page="])
    suffix = "".join(f"&{item}" for item in items[i + 1 :]) + mark + fragment
    return [f"{base}?{prefix}{n}{suffix}" for n in numbers]
