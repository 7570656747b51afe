"""The loop every style shares: caps, de-duplication, cycle and stall checks, completeness.

A style supplies ``fetch(cursor) -> Step``: one request and its validated page,
already translated into "the items, the next cursor (or None), the server's
claim of more, the stated total". The loop decides everything else the same way
for every style, so a misbehaving server gets the same verdict whatever its
pagination flavour.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Sequence,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar
from urllib.parse import parse_qsl

import httpx
from pydantic import TypeAdapter

from reposix._clock import Stopwatch
from reposix._errors import EgressDenied, ProtocolError
from reposix._http.allowlist import Origin, origin_of
from reposix._http.decode import decode, protocol_error
from reposix._http.redact import redact_url
from reposix._http.status import raise_for_status
from reposix._pagination.base import KeyFn, Page, PageLimits, Paginator, StatusCheck

if TYPE_CHECKING:
    import asyncio  # at run time, imported on first prefetch: the import stays light

T = TypeVar("T")
P = TypeVar("P")
C = TypeVar("C", bound=Hashable)

_MIN_AHEAD = 2
"""Pages a prefetch keeps ahead of a reader slower than the network."""
_ITEM_SECONDS = 20e-6
"""What reading one listed item costs the reader, roughly (seconds): receiving, validating
and mapping a GitHub issue of about 2.8 KB takes 20-30 µs on a 2-core machine
(``benchmarks/bench_github.py``). It only sizes a measured first prefetch round."""
_HINT = "the server's pagination is broken for this query; narrow the query or report it upstream"


@dataclass(frozen=True, slots=True)
class Step(Generic[T, C]):
    """One fetched page, in the loop's terms.

    ``ahead``: the cursors of every remaining page, in order, when this page
    reveals them (GitHub's ``rel="last"``, GitLab's ``X-Total-Pages``, an offset
    API's stated total); the loop may fetch those concurrently. Only the first
    page's ``ahead`` is used.
    """

    items: Sequence[T]
    next: C | None
    more: bool | None = None
    total: int | None = None
    ahead: Sequence[C] = ()
    waited: float = 0.0
    """Seconds the page's final attempt kept the loop waiting on the network
    (``reposix._http.client.network_wait``); sizes a first prefetch round."""


@dataclass(frozen=True, slots=True)
class Window:
    """How many revealed pages may be in flight at once, and how the first round is sized.

    ``limit``: at most this many at once (1: one by one). ``fixed``: the first round
    uses the whole limit (the caller chose it with ``Runtime.page_concurrency``); else
    the first round is sized by how long the first page kept the loop waiting on the
    network (see `_Prefetch.plan`). ``monotonic``: the clock the reader's later waits
    are read on, in seconds, to widen the window (the runtime's, so a virtual clock's
    simulated latency counts).
    """

    limit: int = 1
    fixed: bool = True
    monotonic: Callable[[], float] = time.monotonic


class _Prefetch(Generic[T, C]):
    """Pages the first page revealed, fetched ahead within a bounded window.

    At most ``window.limit`` pages are in flight or fetched-but-unread at once, so
    the window bounds both concurrency and memory. Every request still goes through
    the client and its rate-limit gate (a closed gate holds every one of them). The
    loop consumes pages strictly in order and judges each exactly as it judges a page
    fetched on demand; a page whose real next cursor is not the predicted one ends
    prefetching (the rest is fetched one by one, as the server links it).

    The first round is sized by Little's law: pages in flight = 1 + the network wait
    of one page / the time the reader spends on one page. The wait is the first
    page's (`Step.waited`: its final attempt's idle time, connection set-up included,
    as each page fetched ahead on a new connection pays it too; retries, back-off and
    rate-limit waits excluded); the reading time is estimated at `_ITEM_SECONDS` per
    item. A server that answers at once (a loopback simulator)
    therefore gets two pages at a time, one being read and one on the wire: more
    would only add connections and buffers to juggle (on a 10,000-issue loopback
    listing, 20 at once cost 1.5x the CPU of 2); a server 50 ms away gets the whole
    window for pages of up to about 125 items at a limit of 20. A ``fixed`` window
    starts with every page it allows.
    After that the window follows the reader: a page already fetched when the loop
    asks for it means the reader, not the network, is the bottleneck, so one page
    fewer is kept ahead (down to two); a page the loop waits on, idle, for longer than
    reading a page takes doubles it (up to the limit). Pages fetched ahead and never
    needed soon cost memory and CPU (buffers, garbage collection) for nothing.
    """

    def __init__(self, fetch: Callable[[C], Awaitable[Step[T, C]]], window: Window) -> None:
        self._fetch = fetch
        self._window = window
        self._target = window.limit
        self._per_page = _ITEM_SECONDS
        self._queue: deque[tuple[Hashable, C]] = deque()
        self._queued: set[Hashable] = set()
        self._tasks: dict[Hashable, asyncio.Task[Step[T, C]]] = {}

    def plan(
        self, cursors: Iterable[tuple[Hashable, C]], *, waited: float = 0.0, per_page: int = 1
    ) -> None:
        """Queue the revealed pages; ``waited``: the first page's idle seconds, ``per_page``:
        its item count (together they size a measured first round)."""
        self._per_page = max(1, per_page) * _ITEM_SECONDS
        if not self._window.fixed:
            wanted = 1 + math.ceil(waited / self._per_page)
            self._target = max(_MIN_AHEAD, min(self._window.limit, wanted))
        for key, cursor in cursors:
            if key not in self._queued:
                self._queued.add(key)
                self._queue.append((key, cursor))
        self._top_up()

    def _top_up(self) -> None:
        import asyncio

        while self._queue and len(self._tasks) < self._target:
            key, cursor = self._queue.popleft()
            self._queued.discard(key)
            if key not in self._tasks:
                self._tasks[key] = asyncio.ensure_future(self._fetch(cursor))

    def expects(self, key: Hashable) -> bool:
        return key in self._tasks or key in self._queued

    async def get(self, key: Hashable, cursor: C) -> Step[T, C]:
        task = self._tasks.pop(key, None)
        if task is None:
            return await self._fetch(cursor)
        if task.done():
            self._target = max(_MIN_AHEAD, self._target - 1)
            step = task.result()  # a failed page starts nothing more
        else:
            watch = Stopwatch(self._window.monotonic)
            step = await task
            if watch.idle() > self._per_page:
                self._target = min(self._window.limit, self._target * 2)
        self._top_up()
        return step

    async def stop(self) -> None:
        """Cancel what is still pending and collect it (no error is left unretrieved)."""
        import asyncio

        self._queue.clear()
        self._queued.clear()
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


async def drive(
    state: Paginator[T],
    *,
    first: C,
    fetch: Callable[[C], Awaitable[Step[T, C]]],
    name: Callable[[C], str],
    ident: Callable[[C], Hashable] = lambda c: c,
    limits: PageLimits,
    key: KeyFn[T] | None,
    what: str,
    on_items: Callable[[int], None] | None,
    window: Window | None = None,
) -> AsyncGenerator[list[T], None]:
    """Yield the new records of each page, then set ``state.complete`` (or truncation).

    ``window.limit`` > 1 lets the pages a first page reveals (``Step.ahead``) be
    fetched up to that many at a time; the verdicts are those of the sequential loop.
    """
    seen_cursors: set[Hashable] = set()
    seen_keys: set[Hashable] = set()
    previous: list[T] | None = None
    empty_run = 0
    cursor = first
    cursor_id = ident(first)
    ahead = _Prefetch(fetch, window) if window is not None and window.limit > 1 else None
    try:
        while True:
            seen_cursors.add(cursor_id)
            if ahead is None or state.pages == 0:
                step = await fetch(cursor)
            else:
                step = await ahead.get(cursor_id, cursor)
            state.pages += 1
            items = list(step.items)
            # With a key, a repeated page is caught below (no fresh record), so only an
            # unkeyed listing keeps the previous page for comparison.
            if key is None and items and items == previous:
                raise _stalled(what, name(cursor))
            if step.total is not None:
                state.total = step.total
            batch: list[T] = []
            cut = False
            for item in items:
                if key is not None:
                    k = _key(key, item, what)
                    if k in seen_keys:
                        continue
                    seen_keys.add(k)
                if limits.max_items is not None and state.items >= limits.max_items:
                    cut = True
                    break
                state.items += 1
                batch.append(item)
            fresh = len(batch)
            count = len(items)
            if ahead is not None and state.pages == 1 and step.ahead and not cut:
                ahead.plan(
                    ((ident(c), c) for c in step.ahead[: _budget(limits, state, count)]),
                    waited=step.waited,
                    per_page=count,
                )
            # Keep no reference to this page's models while the caller works on them.
            step = Step((), step.next, step.more, step.total)
            if key is not None:
                del items
                items = []
            if batch:
                yield batch
                del batch  # the caller's now: do not keep this page alive past its turn
            if on_items is not None and fresh:
                on_items(fresh)
            if cut:
                state._truncate("max_items", f"stopped at max_items={limits.max_items}")
                return
            if step.next is None or step.more is False:
                _finish(state, step, name)
                return
            next_id = ident(step.next)
            if next_id in seen_cursors:
                raise ProtocolError(
                    f"{what}: pagination cycle: {name(step.next)} was already requested "
                    f"(after {state.pages} pages)",
                    hint=_HINT,
                )
            if count and fresh == 0 and key is not None:
                raise _stalled(what, name(cursor))
            empty_run = 0 if count else empty_run + 1
            if empty_run > limits.max_empty_pages:
                raise ProtocolError(
                    f"{what}: pagination stalled: {empty_run} empty pages in a row, "
                    f"next would be {name(step.next)}",
                    hint=_HINT,
                )
            if limits.max_items is not None and state.items >= limits.max_items:
                state._truncate("max_items", f"stopped at max_items={limits.max_items}")
                return
            if limits.max_pages is not None and state.pages >= limits.max_pages:
                state._truncate("max_pages", f"stopped at max_pages={limits.max_pages}")
                return
            if ahead is not None and not ahead.expects(next_id):
                await ahead.stop()  # the server linked elsewhere: follow it one by one
            previous = items if key is None else None
            cursor, cursor_id = step.next, next_id
    finally:
        if ahead is not None:
            await ahead.stop()


def _budget(limits: PageLimits, state: Paginator[T], per_page: int) -> int:
    """How many revealed pages may be fetched ahead without passing a cap (never one too many
    while pages stay as full as the first)."""
    budget = 1 << 30
    if limits.max_pages is not None:
        budget = limits.max_pages - state.pages
    if limits.max_items is not None:
        left = limits.max_items - state.items
        budget = min(budget, -(-left // per_page) if per_page else 0)
    return max(0, budget)


def _finish(state: Paginator[T], step: Step[T, C], name: Callable[[C], str]) -> None:
    """The server gave no way on: decide whether what we have is the whole collection."""
    if step.next is not None:
        state._truncate(
            "server",
            f"the server says this is the last page yet sent {name(step.next)}",
        )
    elif state.total is not None and state.items < state.total:
        state._truncate(
            "server", f"the server reported {state.total} records but served {state.items}"
        )
    elif step.more is True:
        state._truncate("server", "the server claims more records but gave no way to fetch them")
    else:
        state.complete = True


def _stalled(what: str, cursor: str) -> ProtocolError:
    return ProtocolError(
        f"{what}: pagination stalled at {cursor}: the page brought no new records "
        "while the server claims more (is it ignoring the page parameter?)",
        hint=_HINT,
    )


def _key(key: KeyFn[T], item: T, what: str) -> Hashable:
    try:
        k = key(item)
        hash(k)
        return k
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ProtocolError(f"{what}: record has no usable key ({type(exc).__name__})") from None


def check_status(
    response: httpx.Response,
    check: StatusCheck | None,
    *,
    what: str,
    env_vars: tuple[str, ...],
) -> None:
    """Map a page's error status: the connector's ``check`` if given, else ``raise_for_status``.

    A ``check`` that lets an error status through does not get its body read as
    a page: the generic mapping still applies. A ``check`` that fails with a
    bare ``KeyError``/``TypeError``/… on the response becomes ``ProtocolError``,
    as ``extract`` and ``key`` failures do.
    """
    if check is not None:
        try:
            check(response)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise protocol_error(
                response,
                f"{what}: the error check failed on HTTP {response.status_code}: "
                f"{type(exc).__name__}: {exc}",
            ) from None
    raise_for_status(response, what=what, env_vars=env_vars)


def read_page(
    response: httpx.Response,
    adapter: TypeAdapter[P],
    extract: Callable[[P], Page[T]],
    what: str,
) -> Page[T]:
    """Validate the whole body in one pass, then let the connector pick items and cursor."""
    body = decode(response, adapter, what)
    try:
        page = extract(body)
        if not isinstance(page, Page):
            raise TypeError("extract must return a Page")
        return page
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise protocol_error(
            response, f"unexpected {what} shape: {type(exc).__name__}: {exc}"
        ) from None


def pin(candidate: httpx.URL, pinned: Origin) -> None:
    """Refuse a next URL that leaves the listing's origin, before any byte is sent."""
    try:
        origin = origin_of(candidate)
    except ValueError as exc:
        raise EgressDenied(
            redact_url(candidate), [str(pinned)], detail=f"next link is unusable: {exc}"
        ) from None
    if origin != pinned:
        raise EgressDenied(
            str(origin),
            [str(pinned)],
            detail="a next link leaves the listing's origin; credentials are never sent there",
        )


def name_url(url: str) -> str:
    """A URL cursor, redacted for messages."""
    return f"next URL {redact_url(url)}"


def name_token(param: str) -> Callable[[str | None], str]:
    """Names a token cursor in messages (long tokens shortened)."""

    def name(token: str | None) -> str:
        if token is None:
            return "the first page"
        shown = token if len(token) <= 48 else token[:45] + "..."
        return f"{param}={shown!r}"

    return name


def canonical(url: str) -> Hashable:
    """A URL's identity for cycle detection: query parameter order does not matter.

    Cursors reach it as httpx-normalized strings (the client resolved them), so plain
    string splitting suffices; parameters are parsed as httpx parses them
    (``parse_qsl`` keeping blank values). About 20 times cheaper than a URL object.
    """
    head, _, query = url.partition("#")[0].partition("?")
    return (head, tuple(sorted(parse_qsl(query, keep_blank_values=True))))
