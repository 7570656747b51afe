"""Broken listings: each breaks one rule of R01, R02, R07, R08 or R10."""

from __future__ import annotations

from reposix._backend import Listing
from reposix._errors import EgressDenied, NotFound, ProtocolError, TransportError
from reposix._records import Record
from reposix_contract._gallery import broken

from ._naive import NaiveLister


@broken("drops-last-page", kills={"R01", "R08"})
class DropsLastPage(NaiveLister):
    """Stops as soon as a page has no next link, before keeping that page's records."""

    async def list_records_complete(self, project: str) -> Listing:
        out: list[Record] = []
        async for records, nxt in self.naive_pages(project):
            if nxt is None and out:
                break
            out += records
        return Listing(out, True)


@broken("duplicates-a-page", kills={"R01", "R08"})
class DuplicatesAPage(NaiveLister):
    """Re-reads the first page when following the second (an off-by-one on the page number)."""

    async def list_records_complete(self, project: str) -> Listing:
        out: list[Record] = []
        first: list[Record] | None = None
        async for records, _nxt in self.naive_pages(project):
            if first is None:
                first = records
            elif len(out) == len(first):
                out += first
            out += records
        return Listing(out, True)


@broken("unstable-order", kills={"R01"})
class UnstableOrder(NaiveLister):
    """Returns records in a different order on every call (set iteration, parallel pages)."""

    calls = 0

    async def list_records_complete(self, project: str) -> Listing:
        out = await self.naive_list(project)
        type(self).calls += 1
        return Listing(out[::-1] if type(self).calls % 2 else out, True)


@broken("empty-is-not-found", kills={"R02"})
class EmptyIsNotFound(NaiveLister):
    """Treats an empty listing as a missing project."""

    async def list_records_complete(self, project: str) -> Listing:
        out = await self.naive_list(project)
        if not out:
            raise NotFound(f"project {project!r}")
        return Listing(out, True)


@broken("unknown-project-is-empty", kills={"R02"})
class UnknownProjectIsEmpty(NaiveLister):
    """Swallows the 404 of an unknown project into an empty listing."""

    async def list_records_complete(self, project: str) -> Listing:
        try:
            return Listing(await self.naive_list(project), True)
        except NotFound:
            return Listing([], True)


@broken("truncation-says-complete", kills={"R07"})
class TruncationSaysComplete(NaiveLister):
    """Stops at max_records and still reports is_complete=True (a silent 500-record cap)."""

    async def list_records_complete(self, project: str) -> Listing:
        out = await self.naive_list(project)
        return Listing(out[: self.runtime.max_records], True)


@broken("exactly-at-cap-is-incomplete", kills={"R07"})
class ExactlyAtCapIsIncomplete(NaiveLister):
    """Reports is_complete=False whenever it holds max_records records, even if that is all."""

    async def list_records_complete(self, project: str) -> Listing:
        out = (await self.naive_list(project))[: self.runtime.max_records]
        return Listing(out, len(out) < self.runtime.max_records)


@broken("loops-on-repeating-cursor", kills={"R08"})
class LoopsOnRepeatingCursor(NaiveLister):
    """Follows next links with no cycle detection: a repeating cursor loops forever."""

    async def list_records_complete(self, project: str) -> Listing:
        seen: dict[int, Record] = {}
        async for records, _ in self.naive_pages(project):
            for record in records:
                seen.setdefault(record.id, record)
        return Listing(list(seen.values()), True)


@broken("swallows-foreign-next", kills={"R08"})
class SwallowsForeignNext(NaiveLister):
    """When the next link is refused (foreign origin), keeps the pages so far as complete."""

    async def list_records_complete(self, project: str) -> Listing:
        out: list[Record] = []
        seen: set[str | None] = set()
        try:
            async for records, nxt in self.naive_pages(project):
                out += records
                if nxt in seen:
                    raise ProtocolError(f"cycle at {nxt}")
                seen.add(nxt)
        except EgressDenied:
            pass
        return Listing(out, True)


@broken("stops-at-empty-page", kills={"R08"})
class StopsAtEmptyPage(NaiveLister):
    """Treats an empty page as the end of the listing, even when it has a next link."""

    async def list_records_complete(self, project: str) -> Listing:
        out: list[Record] = []
        async for records, _ in self.naive_pages(project):
            if not records:
                break
            out += records
        return Listing(out, True)


@broken("stops-at-short-page", kills={"R08"})
class StopsAtShortPage(NaiveLister):
    """Treats a page shorter than the page size as the last one."""

    async def list_records_complete(self, project: str) -> Listing:
        out: list[Record] = []
        size = None
        async for records, _ in self.naive_pages(project):
            out += records
            size = size or len(records)
            if len(records) < size:
                break
        return Listing(out, True)


@broken("partial-on-transport-error", kills={"R10"})
class PartialOnTransportError(NaiveLister):
    """Returns the pages it got before a transport error as a complete listing."""

    async def list_records_complete(self, project: str) -> Listing:
        out: list[Record] = []
        try:
            async for records, _ in self.naive_pages(project):
                out += records
        except TransportError:
            pass
        return Listing(out, True)


@broken("resumes-with-stale-pages", kills={"R10"})
class ResumesWithStalePages(NaiveLister):
    """Caches the pages of an interrupted listing and prepends them to the retry."""

    _cache: list[Record]

    async def list_records_complete(self, project: str) -> Listing:
        cache = self.__dict__.setdefault("_cache", [])
        out: list[Record] = []
        try:
            async for records, _ in self.naive_pages(project):
                out += records
        except TransportError:
            cache.extend(out)
            raise
        result = cache + out
        cache.clear()
        return Listing(result, True)
