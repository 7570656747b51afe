"""Search and expiring credentials: R20 (full-text search), R21 and W20 (the access token
expires in the middle of a listing / of a write sequence).

The expiry fault is one for every target: the kit jumps the virtual clock past the fake's
access-token lifetime (``access_token_ttl`` on a fake whose connector refreshes tokens;
an hour otherwise), so a refreshing connector must renew its token (ahead of the expiry
or on the 401) and everyone else must simply carry on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from reposix._errors import NotSupported
from reposix._records import RecordDraft
from reposix._search import text_matches
from reposix_contract._harness import Harness
from reposix_contract._invariants._support import (
    describe,
    duplicates,
    expect_error,
    first_line,
    new_draft,
    outcome_of,
    patch_of,
    requests_since,
    seeded_project,
    set_diff,
)
from reposix_contract._registry import declared, invariant

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_TTL = 3600.0

# -- R20 -------------------------------------------------------------------------------------

_SEARCH_DRAFTS = (
    ("Crash when saving files", "Steps to reproduce: open, edit, save."),
    ("Saved searches are slow", "The query planner ignores the index."),
    ("Export to CSV", "Crashes the exporter when a file is empty."),
    ("Dark mode colours", "Nothing to see here."),
    ("Login page typo", "The word 'recieve' is misspelled."),
)
_QUERIES = ("crash", "saving", "saved files", "planner queries", "the", "crash file", "xylophone")


@invariant(
    "R20",
    "search_records returns exactly the project's records holding every query word (stemmed "
    "as the server's full text does), each once and as the server holds it; a connector "
    "that does not declare search raises NotSupported before any I/O",
    requires=["search"],
)
async def r20_search(h: Harness) -> None:
    """A search that ignores the words, leaks another project's records or matches only
    exact substrings sends people to the wrong issues (or none) while looking like it
    works; ``saving`` must find ``saved`` as PostgreSQL's ``english`` stemming does."""
    project, other = h.projects.seeded, h.projects.empty
    h.state.add_project(project)
    drafts = [RecordDraft(title=t, body=b) for t, b in _SEARCH_DRAFTS]
    h.state.seed(project, [h.connector.stored_form(d) for d in drafts])
    h.state.seed(other, [h.connector.stored_form(RecordDraft(title="Crash saving files"))])
    for query in _QUERIES:
        held = {r.id: r for r in h.state.list(project)}
        want = sorted(i for i, r in held.items() if text_matches(query, r.title, r.body))
        result = await outcome_of(h.connector.search_records(project, query))
        assert not isinstance(result, BaseException), (
            f"search_records({project!r}, {query!r}) raised {type(result).__name__}: "
            f"{first_line(result)}"
        )
        got = [r.id for r in result]
        assert not duplicates(got), f"search {query!r} returned ids twice: {duplicates(got)}"
        assert sorted(got) == want, (
            f"search {query!r} returned the wrong records: {set_diff(want, got)}; a result "
            "must be a record of the project holding every word (stemmed, stop words ignored)"
        )
        for record in result:
            assert record.title == held[record.id].title, (
                f"search {query!r}: record {record.id} has title {record.title!r}, the "
                f"server holds {held[record.id].title!r}"
            )


@declared("R20")
async def r20_declared(h: Harness) -> None:
    """The declaration holds: search_records raises NotSupported and sends nothing."""
    start = len(h.requests)
    await expect_error(
        NotSupported,
        h.connector.search_records(h.projects.seeded, "crash"),
        "search_records (declared unsupported)",
        "leave the base class method alone, or declare Capabilities(search=True)",
    )
    sent = requests_since(h, start)
    assert not sent, (
        f"search is declared unsupported but search_records sent {describe(sent)}; "
        "raise NotSupported before any I/O"
    )


# -- the expiry fault --------------------------------------------------------------------------


def token_ttl(h: Harness) -> float:
    """The fake's access-token lifetime in seconds (an hour when it declares none)."""
    return float(getattr(getattr(h, "fake", None), "access_token_ttl", _DEFAULT_TTL))


def _exchange_paths(h: Harness) -> tuple[str, ...]:
    return tuple(getattr(getattr(h, "fake", None), "credential_exchange", ()))


def expire_after(h: Harness, when: Callable[[httpx.Request, httpx.Response], bool]) -> None:
    """Jump the clock past the token lifetime right after the fake answers a request for
    which ``when`` is true (the server has processed it; the token dies in flight)."""
    fake: Any = getattr(h, "fake")  # noqa: B009 - the kit harness's fake, not in the protocol
    clock: Any = getattr(h, "clock")  # noqa: B009
    original: Callable[[httpx.Request], Awaitable[httpx.Response]] = fake.handle
    paths = _exchange_paths(h)
    ttl = token_ttl(h)

    async def handle(request: httpx.Request) -> httpx.Response:
        response = await original(request)
        if request.url.path not in paths and when(request, response):
            clock.advance(ttl + 1)
        return response

    fake.handle = handle


@invariant(
    "R21",
    "a listing completes, whole and without duplicates, when the access token expires "
    "between two of its pages",
)
async def r21_listing_across_token_expiry(h: Harness) -> None:
    """Short-lived tokens (15 minutes on Rhythm) expire in the middle of long listings; a
    connector that does not renew then fails, or worse returns the pages it had as if they
    were all."""
    project, seeded = seeded_project(h, 5)
    connector = h.build(page_size=2)
    pages = 0

    def first_page(request: httpx.Request, response: httpx.Response) -> bool:
        nonlocal pages
        if request.method == "GET" and response.status_code == 200:
            pages += 1
            return pages == 1
        return False

    expire_after(h, first_page)
    result = await outcome_of(connector.list_records_complete(project))
    assert not isinstance(result, BaseException), (
        "the listing failed after the access token expired between pages: "
        f"{type(result).__name__}: {first_line(result)}; renew the token (ahead of its "
        "known expiry, or once on a 401) and re-send the page request"
    )
    got = [r.id for r in result.records]
    assert not duplicates(got), f"the listing repeated ids after the expiry: {duplicates(got)}"
    assert sorted(got) == sorted(r.id for r in seeded) and result.is_complete, (
        f"the listing across the token expiry is not whole: "
        f"{set_diff([r.id for r in seeded], got)} (complete={result.is_complete})"
    )


@invariant(
    "W20",
    "no write is processed twice when the access token expires in the middle of a write "
    "sequence (a request is re-sent after a refresh only when the server refused it: 401)",
    requires=["create", "update"],
)
async def w20_write_once_across_token_expiry(h: Harness) -> None:
    """A write re-sent because the token died in flight, though the server had taken it,
    files a duplicate issue or applies a change twice; only a 401 proves the server did
    not act (RFC 9110 §15.5.2), so only a 401 may trigger the one re-send."""
    project, (record,) = seeded_project(h, 1)
    connector = h.build()
    await connector.get_record(project, record.id)  # logged in, token fresh
    start = h.mark() if hasattr(h, "mark") else len(h.requests)

    def write_done(request: httpx.Request, response: httpx.Response) -> bool:
        return request.method in _WRITES and response.status_code < 400

    expire_after(h, write_done)
    titles = ("kit: W20 first", "kit: W20 renamed", "kit: W20 second")
    outcome = await outcome_of(_writes(connector, project, titles))
    assert not isinstance(outcome, BaseException), (
        f"a write failed after the access token expired: {type(outcome).__name__}: "
        f"{first_line(outcome)}; renew the token and re-send the refused request once"
    )
    paths = _exchange_paths(h)
    exchanges: Any = getattr(h, "exchanges", [])
    processed = Counter(
        (e.request.method, e.request.url.path, e.request.content)
        for e in exchanges[start:]
        if e.request.method in _WRITES
        and e.request.url.path not in paths
        and e.status is not None
        and e.status < 400
    )
    twice = [f"{m} {p}" for (m, p, _), n in processed.items() if n > 1]
    assert not twice, (
        f"the server processed the same write more than once across a token expiry: "
        f"{', '.join(twice)}; re-send a write only after a 401 (the server did not act)"
    )
    listed = [r.title for r in h.state.list(project)]
    for title in (titles[1], titles[2]):
        assert listed.count(title) == 1, (
            f"the server holds {listed.count(title)} records titled {title!r}; expected one"
        )


async def _writes(connector: Any, project: str, titles: tuple[str, str, str]) -> None:
    first = await connector.create_record(project, new_draft(titles[0]))
    await connector.update_record(
        project, first.id, patch_of(first, title=titles[1]), first.version
    )
    await connector.create_record(project, new_draft(titles[2]))
