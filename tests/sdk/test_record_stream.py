"""``RecordStream`` and the listing methods built on it (``BackendConnector`` defaults)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter

from reposix._audit import MemoryAuditSink
from reposix._backend import BackendConnector, Listing, RecordStream
from reposix._clock import VirtualClock
from reposix._connector_base import HttpConnector
from reposix._errors import NotFound
from reposix._http import Allowlist
from reposix._pagination.link import paginate_link
from reposix._records import Record, RecordId, RecordStatus
from reposix._runtime import Runtime

T0 = datetime(2026, 1, 1, tzinfo=UTC)
API = "https://api.example.test"


def rec(n: int) -> Record:
    at = T0 + timedelta(minutes=n)
    return Record(
        id=n, title=f"r{n}", status=RecordStatus.OPEN, created_at=at, updated_at=at, version=1
    )


def pages_of(
    *pages: list[int], complete: bool = True, error: Exception | None = None
) -> RecordStream:
    async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
        for page in pages:
            yield [rec(n) for n in page]
        if error is not None:
            raise error
        stream.finish(complete=complete, reason="capped")

    return RecordStream(source)


def test_records_pages_and_verdict() -> None:
    async def go() -> tuple[list[list[int]], Listing, RecordStream]:
        stream = pages_of([1, 2], [], [3])
        seen = [[r.id for r in page] async for page in stream.pages()]
        return seen, await pages_of([1, 2], [3], complete=False).collect(), stream

    seen, listing, stream = asyncio.run(go())
    assert seen == [[1, 2], [3]], "empty pages are skipped"
    assert stream.is_complete
    assert stream.count == 3
    assert [r.id for r in listing.records] == [1, 2, 3]
    assert not listing.is_complete


def test_a_source_that_ends_without_finish_is_incomplete() -> None:
    async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
        yield [rec(1)]

    listing = asyncio.run(RecordStream(source).collect())
    assert not listing.is_complete


def test_errors_surface_after_the_pages_before_them() -> None:
    got: list[int] = []

    async def go() -> None:
        async for r in pages_of([1], [2], error=NotFound("gone")):
            got.append(r.id)

    with pytest.raises(NotFound):
        asyncio.run(go())
    assert got == [1, 2]


def test_a_stream_is_single_use() -> None:
    async def go() -> None:
        stream = pages_of([1])
        await stream.collect()
        await stream.collect()

    with pytest.raises(RuntimeError, match="once"):
        asyncio.run(go())


def test_leaving_early_closes_the_source() -> None:
    closed: list[bool] = []

    async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
        try:
            for n in range(1, 100):
                yield [rec(n)]
        finally:
            closed.append(True)

    async def go() -> None:
        async with RecordStream(source) as stream:
            async for _ in stream:
                break
        assert closed == [True]

    asyncio.run(go())


class OnlyList(BackendConnector):
    """Implements list_records_complete only: iter_records wraps it in one page."""

    name = "only-list"

    async def list_records_complete(self, project: str) -> Listing:
        return Listing([rec(1), rec(2), rec(3)], is_complete=False)

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        raise NotFound("x")


class OnlyStream(BackendConnector):
    """Implements iter_records only: the lists and changes are built on it."""

    name = "only-stream"

    def iter_records(self, project: str) -> RecordStream:
        return pages_of([1, 2], [3, 4])

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        raise NotFound("x")


class Neither(BackendConnector):
    name = "neither"

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        raise NotFound("x")


def test_each_listing_method_has_a_default_built_on_the_other() -> None:
    async def go() -> None:
        one = OnlyList()
        stream = one.iter_records("p")
        assert [r.id async for r in stream] == [1, 2, 3]
        assert not stream.is_complete
        two = OnlyStream()
        listing = await two.list_records_complete("p")
        assert [r.id for r in listing.records] == [1, 2, 3, 4]
        assert listing.is_complete
        assert [r.id for r in await two.list_records("p")] == [1, 2, 3, 4]
        since = T0 + timedelta(minutes=2)
        assert await two.list_changed_since("p", since) == [3, 4], "strictly after"
        changed = two.iter_changed_since("p", since)
        assert [r.id async for r in changed] == [3, 4]
        assert changed.is_complete

    asyncio.run(go())


def test_a_connector_must_implement_one_of_them() -> None:
    with pytest.raises(TypeError, match="iter_records or list_records_complete"):
        Neither().iter_records("p")
    with pytest.raises(TypeError, match="iter_records or list_records_complete"):
        asyncio.run(Neither().list_records_complete("p"))


class Wire(BaseModel):
    id: int


class Paged(HttpConnector):
    """Three pages of two wire items behind a Link header; records keep no wire model."""

    name = "paged"

    def __init__(self, alive: list[weakref.ref[Wire]], cap: int | None = None) -> None:
        self.alive = alive
        self.cap = cap
        runtime = Runtime(
            audit=MemoryAuditSink(),
            allowlist=Allowlist.parse(API),
            clock=VirtualClock(),
            transport=httpx.MockTransport(self.serve),
        )
        super().__init__(API, auth=None, runtime=runtime)

    @staticmethod
    def serve(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        links = {"Link": f'<{API}/items?page={page + 1}>; rel="next"'} if page < 3 else {}
        ids = [2 * page - 1, 2 * page]
        return httpx.Response(200, json=[{"id": i} for i in ids], headers=links)

    def iter_records(self, project: str) -> RecordStream:
        pages = paginate_link(
            self._http, "items", op="list", adapter=TypeAdapter(list[Wire]), key=lambda w: w.id
        )

        def build(page: Sequence[Wire]) -> list[Record]:
            self.alive.extend(weakref.ref(w) for w in page)
            return [rec(w.id) for w in page]

        return self.record_stream(pages, build, cap=self.cap)

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        raise NotFound("x")


def test_record_stream_releases_each_page_of_wire_models() -> None:
    alive: list[weakref.ref[Wire]] = []
    progress: list[int] = []

    async def go() -> list[int]:
        seen: list[int] = []
        async with Paged(alive) as connector:
            connector.add_progress_hook(progress.append)
            async for page in connector.iter_records("p").pages():
                gc.collect()
                # while the caller holds a page of records, no page of wire models is
                # alive (the loop's last item variable may pin one model)
                assert sum(ref() is not None for ref in alive) <= 1
                seen += [r.id for r in page]
        return seen

    assert asyncio.run(go()) == [1, 2, 3, 4, 5, 6]
    assert progress == [2, 2, 2]


@pytest.mark.parametrize(
    ("cap", "ids", "complete"), [(3, [1, 2, 3], False), (6, [1, 2, 3, 4, 5, 6], True)]
)
def test_record_stream_cap_is_a_prefix_reported_incomplete(
    cap: int, ids: list[int], complete: bool
) -> None:
    async def go() -> Listing:
        async with Paged([], cap=cap) as connector:
            return await connector.list_records_complete("p")

    listing = asyncio.run(go())
    assert [r.id for r in listing.records] == ids
    assert listing.is_complete is complete


class Overlapping(Paged):
    """Pages that overlap by one item (``[1, 2]``, ``[2, 3]``, ``[3, 4]``): an offset
    listing whose rows shifted down while it was read."""

    @staticmethod
    def serve(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        links = {"Link": f'<{API}/items?page={page + 1}>; rel="next"'} if page < 3 else {}
        return httpx.Response(200, json=[{"id": page}, {"id": page + 1}], headers=links)


@pytest.mark.parametrize(
    ("cap", "ids", "complete"), [(None, [1, 2, 3, 4], True), (3, [1, 2, 3], False)]
)
def test_record_stream_over_a_keyed_paginator_yields_each_record_once(
    cap: int | None, ids: list[int], complete: bool
) -> None:
    """De-duplication by key is the paginator's (``key=``), so ``record_stream``'s cap and
    progress count distinct records; the GitLab and Bitbucket connectors rely on this."""
    progress: list[int] = []

    async def go() -> Listing:
        async with Overlapping([], cap=cap) as connector:
            connector.add_progress_hook(progress.append)
            return await connector.list_records_complete("p")

    listing = asyncio.run(go())
    assert [r.id for r in listing.records] == ids
    assert listing.is_complete is complete
    assert sum(progress) == len(ids)
