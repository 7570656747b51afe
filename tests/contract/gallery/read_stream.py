"""Broken streams: ``iter_records`` disagrees with the listing built beside it; each breaks R30."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from reposix._backend import Listing, RecordStream
from reposix._errors import ReposixError
from reposix._records import Record
from reposix.sim._backend import SimBackend
from reposix_contract._gallery import broken


class _OwnListing(SimBackend):
    """Keeps SimBackend's correct listing as ``list_records_complete`` and streams otherwise."""

    async def list_records_complete(self, project: str) -> Listing:
        return await SimBackend.iter_records(self, project).collect()


@broken("stream-pages-reversed", kills={"R30"})
class StreamPagesReversed(_OwnListing):
    """Streams pages in reverse order (buffers them, then yields newest page first)."""

    def iter_records(self, project: str) -> RecordStream:
        inner = SimBackend.iter_records(self, project)

        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            pages = [page async for page in inner.pages()]
            for page in reversed(pages):
                yield page
            stream.finish(complete=inner.is_complete, reason=inner.reason)

        return RecordStream(source)


@broken("stream-always-complete", kills={"R30"})
class StreamAlwaysComplete(_OwnListing):
    """Ends every stream with is_complete=True, even one cut at max_records."""

    def iter_records(self, project: str) -> RecordStream:
        inner = SimBackend.iter_records(self, project)

        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            async for page in inner.pages():
                yield page
            stream.finish(complete=True)

        return RecordStream(source)


@broken("stream-swallows-errors", kills={"R30"})
class StreamSwallowsErrors(_OwnListing):
    """Ends the stream quietly (incomplete) where the listing raises."""

    def iter_records(self, project: str) -> RecordStream:
        inner = SimBackend.iter_records(self, project)

        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            try:
                async for page in inner.pages():
                    yield page
            except ReposixError:
                stream.finish(complete=False, reason="an error was swallowed")
                return
            stream.finish(complete=inner.is_complete, reason=inner.reason)

        return RecordStream(source)
