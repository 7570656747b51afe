"""GitHub listings fetch the pages ``rel="last"`` reveals up to 20 at a time by default.

GitHub names the last page in the ``Link`` header
(https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api) and
allows up to 100 concurrent requests
(https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api), so a
20-page listing's 19 remaining pages go in one round when the network is slow (the first
page kept the loop waiting); a server that answers at once gets two pages at a time.
``Runtime.page_concurrency`` still overrides the connector's default (its first round
takes the whole window).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from reposix._clock import VirtualClock
from reposix._http._transport import POOL_LIMITS
from reposix._pagination._follow import DEFAULT_PAGE_CONCURRENCY, window_of
from reposix._secret import Secret
from reposix_github.connector import PAGE_CONCURRENCY, GitHubConnector

from .conftest import API, CANARY, make_runtime

PER_PAGE = 100
PAGES = 20


def _issue(number: int) -> dict[str, Any]:
    return {
        "number": number,
        "title": f"issue {number}",
        "state": "open",
        "labels": [],
        "created_at": "2024-01-02T03:04:05Z",
        "updated_at": "2024-01-02T03:04:05Z",
        "body": None,
    }


@dataclass
class Issues:
    """``GET /repos/o/r/issues``: ``PAGES`` full pages; counts requests in flight.

    ``latency``: seconds each request takes on ``clock`` (virtual: nothing waits)."""

    clock: VirtualClock = field(default_factory=VirtualClock)
    latency: float = 0.0
    in_flight: int = 0
    peak: int = 0
    pages: list[int] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self.clock.advance(self.latency)
        try:
            for _ in range(5):  # let the other requests of a round arrive
                await asyncio.sleep(0)
            page = int(request.url.params.get("page", "1"))
            self.pages.append(page)
            first = (page - 1) * PER_PAGE + 1
            body = [_issue(n) for n in range(first, first + PER_PAGE)]
            base = f"{API}/repositories/1/issues?state=all&per_page={PER_PAGE}"
            links = []
            if page < PAGES:
                links.append(f'<{base}&page={page + 1}>; rel="next"')
                links.append(f'<{base}&page={PAGES}>; rel="last"')
            headers = {"Link": ", ".join(links)} if links else {}
            return httpx.Response(200, json=body, headers=headers)
        finally:
            self.in_flight -= 1


async def _list(server: Issues, **runtime: Any) -> list[int]:
    rt = make_runtime(
        transport=httpx.MockTransport(server), clock=server.clock, max_records=10**5, **runtime
    )
    async with GitHubConnector(Secret(CANARY), runtime=rt) as gh:
        return [r.id for r in await gh.list_records("o/r")]


def test_the_remaining_pages_go_in_one_round_when_the_network_is_slow() -> None:
    server = Issues(latency=1.0)  # virtual: nothing waits
    ids = asyncio.run(_list(server))
    assert ids == list(range(1, PAGES * PER_PAGE + 1))
    assert server.peak == PAGES - 1 == PAGE_CONCURRENCY - 1
    assert sorted(server.pages) == list(range(1, PAGES + 1))


def test_a_server_that_answers_at_once_gets_two_pages_at_a_time() -> None:
    """No wait to hide: one page on the wire while one is read (Little's law)."""
    server = Issues(latency=0.0)
    ids = asyncio.run(_list(server))
    assert ids == list(range(1, PAGES * PER_PAGE + 1))
    assert server.peak == 2
    assert sorted(server.pages) == list(range(1, PAGES + 1))


@pytest.mark.parametrize("concurrency", [1, 4])
def test_runtime_page_concurrency_overrides_the_connector_default(concurrency: int) -> None:
    server = Issues()
    ids = asyncio.run(_list(server, page_concurrency=concurrency))
    assert ids == list(range(1, PAGES * PER_PAGE + 1))
    assert server.peak == concurrency


def test_concurrency_defaults() -> None:
    class Opts:
        def __init__(self, value: int | None) -> None:
            self.runtime = make_runtime(page_concurrency=value)

    class Http:
        def __init__(self, value: int | None) -> None:
            self.opts = Opts(value)

    def window(runtime_value: int | None, connector_value: int | None) -> tuple[int, bool]:
        chosen = window_of(Http(runtime_value), connector_value)  # type: ignore[arg-type]
        return chosen.limit, chosen.fixed

    assert window(None, None) == (DEFAULT_PAGE_CONCURRENCY, False)  # sized by the network
    assert window(None, 20) == (20, False)
    assert window(3, 20) == (3, True)  # the caller's choice: the whole window at first
    assert window(0, None) == (1, True)
    # The pool keeps every connection of a full window alive for the next round.
    assert POOL_LIMITS.max_keepalive_connections is not None
    assert POOL_LIMITS.max_keepalive_connections >= PAGE_CONCURRENCY
