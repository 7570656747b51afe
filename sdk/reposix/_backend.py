"""``BackendConnector``: the abstract base every connector implements."""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import ClassVar, Self

from reposix._errors import NotSupported
from reposix._records import Record, RecordDraft, RecordId, RecordStatus
from reposix._taint import Untainted

__all__ = [
    "BackendConnector",
    "Capabilities",
    "CommentSupport",
    "DeleteModel",
    "DeleteReason",
    "Listing",
    "ProgressHook",
    "RecordStream",
    "VersioningModel",
]

log = logging.getLogger("reposix.backend")
_PATH_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_MAY_BE_UNCARRIED = frozenset({"assignee", "labels", "parent_id", "extensions"})

ProgressHook = Callable[[int], None]
"""Called with the number of records just received, as a listing progresses."""


class DeleteReason(StrEnum):
    """Why a record is being removed; close-only backends map it to a status."""

    COMPLETED = "completed"
    NOT_PLANNED = "not_planned"
    DUPLICATE = "duplicate"
    ABANDONED = "abandoned"

    @property
    def closed_status(self) -> RecordStatus:
        """The status a close-only backend must leave the record in (same for every connector)."""
        return RecordStatus.DONE if self is DeleteReason.COMPLETED else RecordStatus.WONT_FIX


class VersioningModel(StrEnum):
    """How ``Record.version`` behaves on this backend."""

    STRONG = "strong"
    """The server refuses a write whose expected version is stale."""
    TIMESTAMP = "timestamp"
    """The version is derived from ``updated_at``; the server does not check it."""
    NONE = "none"
    """No meaningful version."""


class DeleteModel(StrEnum):
    """What ``delete_or_close`` does on this backend."""

    NONE = "none"
    """It raises ``NotSupported`` before any I/O."""
    CLOSE = "close"
    """It closes the record with ``reason.closed_status``; the record stays readable."""
    DELETE = "delete"
    """It removes the record: ``get_record`` raises ``NotFound`` afterwards."""


class CommentSupport(StrEnum):
    """Where comments live on this backend."""

    NONE = "none"
    INLINE = "inline"
    SEPARATE_API = "separate_api"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a connector can do, declared once, up front, so callers and the kit need not probe.

    Every connector reads; each field here is an optional behaviour. The defaults are a
    typical tracker's API: records can be created and updated, comments live behind
    endpoints of their own, ``Record.version`` comes from ``updated_at`` (the server checks
    nothing), the server filters a listing by ``updated_at``, and nothing is deleted or
    searched. A connector declares only where its vendor differs, so its declaration reads
    as facts about that vendor (GitHub: ``Capabilities(delete=DeleteModel.CLOSE)``, issues
    close instead of going away). `READ_ONLY` is what a connector that declares nothing
    promises.

    The conformance kit holds a connector to what it declares: a declared write must work,
    an undeclared one must raise ``NotSupported`` without sending anything, and a declared
    behaviour with no code behind it fails R12.
    """

    create: bool = True
    """``create_record`` works."""
    update: bool = True
    """``update_record`` works."""
    delete: DeleteModel = DeleteModel.NONE
    """What ``delete_or_close`` does; removing data is never assumed."""
    comments: CommentSupport = CommentSupport.SEPARATE_API
    """Where comments live (informational: records do not carry comments)."""
    versioning: VersioningModel = VersioningModel.TIMESTAMP
    """How ``Record.version`` behaves; ``STRONG`` means stale writes are refused."""
    hierarchy: bool = False
    """``parent_id`` is stored and round-trips through create and update."""
    incremental: bool = True
    """``list_changed_since`` asks the server for the changes instead of filtering a full
    listing (the connector overrides it)."""
    search: bool = False
    """``search_records`` asks the server for the records matching words (full text)."""

    READ_ONLY: ClassVar[Capabilities]
    """Reads only, nothing more promised: no writes, no server-side change filter, no
    meaningful version, no comments. What `BackendConnector` declares until a subclass
    declares its own."""


Capabilities.READ_ONLY = Capabilities(
    create=False,
    update=False,
    comments=CommentSupport.NONE,
    versioning=VersioningModel.NONE,
    incremental=False,
)


@dataclass(frozen=True, slots=True)
class Listing:
    """A listing and whether it is the whole collection (False: a prefix, truncated)."""

    records: list[Record]
    is_complete: bool


PageSource = Callable[["RecordStream"], AsyncIterator[Sequence[Record]]]
"""Yields the records of a listing one page at a time, then calls ``stream.finish(...)``."""


class RecordStream:
    """The records of one listing, yielded as each page arrives.

    ``async for record in stream`` gives records in listing order;
    ``async for page in stream.pages()`` gives them one list per page (what
    ``reposix list`` prints and flushes). A stream is single use. When iteration
    ends, ``is_complete`` says whether the whole collection was read (False: what
    was yielded is a prefix, ``reason`` says why), exactly as ``Listing.is_complete``.
    Errors (``NotFound``, ``ProtocolError`` …) surface where they happen: the pages
    before them stay yielded. ``collect()`` gathers everything into a ``Listing``.

    A source is an async generator function taking the stream: it yields lists of
    records and, at its end, calls `finish`. Ending without ``finish`` means
    incomplete.
    """

    def __init__(self, source: PageSource) -> None:
        self._source = source
        self._started = False
        self._pages: AsyncIterator[Sequence[Record]] | None = None
        self.is_complete = False
        self.reason: str | None = None
        self.count = 0
        """Records yielded so far."""

    def finish(self, *, complete: bool, reason: str | None = None) -> None:
        """Called by the source when it ends: is what it yielded the whole collection?"""
        self.is_complete = complete
        self.reason = None if complete else (reason or "the listing ended early")

    async def pages(self) -> AsyncGenerator[list[Record], None]:
        """The records one non-empty list per page, in order."""
        if self._started:
            raise RuntimeError("a RecordStream can be iterated once")
        self._started = True
        self._pages = self._source(self)
        try:
            async for page in self._pages:
                if page:
                    records = page if type(page) is list else list(page)
                    del page  # hold one page, not two, while the caller works
                    self.count += len(records)
                    yield records
        finally:
            await self.aclose()

    async def __aiter__(self) -> AsyncGenerator[Record, None]:
        pages = self.pages()
        try:
            async for page in pages:
                for record in page:
                    yield record
        finally:
            await pages.aclose()

    async def aclose(self) -> None:
        """Stop the listing now (pending page requests are cancelled)."""
        pages, self._pages = self._pages, None
        close = getattr(pages, "aclose", None)
        if close is not None:
            await close()

    async def collect(self) -> Listing:
        """Every record, and whether that is the whole collection."""
        records: list[Record] = []
        async for page in self.pages():  # a page at a time: no generator step per record
            records += page
        return Listing(records, self.is_complete)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @classmethod
    def of(cls, listing: Listing) -> RecordStream:
        """A one-page stream of a listing already in hand."""

        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            yield listing.records
            stream.finish(complete=listing.is_complete, reason="the connector said truncated")

        return cls(source)

    @classmethod
    def after(cls, start: Callable[[], Awaitable[RecordStream]]) -> RecordStream:
        """The stream ``start()`` returns, awaited when iteration begins.

        For a listing that needs a lookup first (a GraphQL API's team id, a project's
        key): ``iter_records`` stays a plain method returning a stream, and the
        lookup's errors (``NotFound`` for an unknown project …) surface where the
        caller starts iterating, like any page's. Completeness is the inner stream's.
        """

        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            inner = await start()
            pages = inner.pages()
            try:
                async for page in pages:
                    yield page
            finally:
                await pages.aclose()
            stream.finish(complete=inner.is_complete, reason=inner.reason)

        return cls(source)


class BackendConnector(ABC):
    """One tracker, seen through the normalized record vocabulary.

    Subclasses set ``name`` and ``capabilities`` and implement the
    abstract methods. Write methods of a read-only connector raise ``NotSupported``
    without sending a request (the base class does this for you).
    """

    name: ClassVar[str]
    """Stable tag used in audit rows, logs and test ids."""
    capabilities: ClassVar[Capabilities] = Capabilities.READ_ONLY
    """The one declaration of what this connector can do beyond reading (declaring none
    promises reads only)."""
    root_collection_name: ClassVar[str] = "issues"
    """The collection's name as a single path component (``pages`` for Confluence)."""
    uncarried_fields: ClassVar[frozenset[str]] = frozenset()
    """Record fields this backend cannot store (e.g. Confluence has no assignee). The
    conformance kit compares them loosely and prints them beside the target's coverage."""
    url_extensions: ClassVar[frozenset[str]] = frozenset()
    """``extensions`` keys allowed to hold server URLs (none by default: URLs are not data)."""
    label_pattern: ClassVar[re.Pattern[str] | None] = None
    """The label names this backend accepts, as a pattern each whole name must match (None:
    any name). The conformance kit generates only matching labels; a connector should refuse
    others with ``InvalidRecord`` before any I/O."""

    assignee_pattern: ClassVar[re.Pattern[str] | None] = None
    """The assignee handles this backend can resolve, as a pattern each whole handle must
    match (None: any handle): GitLab usernames cannot hold ``:``, so an Atlassian account id
    can never name a GitLab user. The conformance kit generates only matching handles; a
    connector should refuse others with ``InvalidRecord`` before any I/O."""

    def __init__(self) -> None:
        self._progress_hooks: list[ProgressHook] = []

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        loose = set(cls.__dict__.get("uncarried_fields", ())) - _MAY_BE_UNCARRIED
        if loose:
            raise TypeError(
                f"{cls.__name__}.uncarried_fields may only name {sorted(_MAY_BE_UNCARRIED)}; "
                f"a connector must carry {sorted(loose)}"
            )
        root = cls.__dict__.get("root_collection_name")
        if root is not None and not _PATH_COMPONENT.match(root):
            raise TypeError(f"{cls.__name__}.root_collection_name {root!r} is not a path component")

    def accepts_label(self, name: str) -> bool:
        """Whether ``label_pattern`` admits ``name`` (always True without one). Pure: no I/O."""
        return self.label_pattern is None or self.label_pattern.fullmatch(name) is not None

    def accepts_assignee(self, handle: str) -> bool:
        """Whether ``assignee_pattern`` admits ``handle`` (always True without one). Pure."""
        return self.assignee_pattern is None or self.assignee_pattern.fullmatch(handle) is not None

    def stored_form(self, draft: RecordDraft) -> RecordDraft:
        """``draft`` as this backend will store it. Pure: no I/O.

        The default is the draft itself. A backend whose server normalizes values it does
        carry overrides this (Confluence lowercases label names and drops duplicates), so
        callers and the conformance kit compare what was written with what the server keeps
        instead of reporting the normalization as loss. It describes normalization only:
        a field the backend cannot store at all belongs in ``uncarried_fields``, and a
        stored form must not empty a field the draft filled (the kit checks this).
        """
        return draft

    def add_progress_hook(self, hook: ProgressHook) -> None:
        """Be told how many records arrive as listings progress (for progress bars)."""
        self._progress_hooks.append(hook)

    def report_progress(self, count: int) -> None:
        """Tell progress hooks that ``count`` more records arrived."""
        for hook in self._progress_hooks:
            hook(count)

    # -- read -------------------------------------------------------------------------------
    #
    # A connector implements ``iter_records`` (streaming: one page of records at a
    # time) or, at least, ``list_records_complete``; each has a default built on the
    # other. ``list_records`` and ``list_changed_since`` are built on them.

    def iter_records(self, project: str) -> RecordStream:
        """The records of ``project`` as each page arrives, in the order ``list_records`` gives.

        Unknown project: ``NotFound`` on the first iteration. A truncated listing
        ends with ``is_complete=False``. The default wraps ``list_records_complete``
        in one page; HTTP connectors override it to yield page by page.
        """
        if type(self).list_records_complete is BackendConnector.list_records_complete:
            raise TypeError(
                f"{type(self).__name__} must implement iter_records or list_records_complete"
            )

        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            listing = await self.list_records_complete(project)
            yield listing.records
            stream.finish(complete=listing.is_complete, reason="the connector said truncated")

        return RecordStream(source)

    def iter_changed_since(self, project: str, since: datetime) -> RecordStream:
        """Records with ``updated_at`` strictly after ``since``, as each page arrives.

        The default filters ``iter_records``; connectors with a native incremental
        query override it (and declare ``Capabilities(incremental=True)``).
        """
        full = self.iter_records(project)

        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            async for page in full.pages():
                yield [r for r in page if r.updated_at > since]
            stream.finish(complete=full.is_complete, reason=full.reason)

        return RecordStream(source)

    async def list_records_complete(self, project: str) -> Listing:
        """Every record of ``project`` and whether the listing is complete.

        A truncated listing must say ``is_complete=False`` and hold a prefix.
        Unknown project: ``NotFound``. Existing empty project: empty listing.
        The default collects ``iter_records``.
        """
        if type(self).iter_records is BackendConnector.iter_records:
            raise TypeError(
                f"{type(self).__name__} must implement iter_records or list_records_complete"
            )
        return await self.iter_records(project).collect()

    async def list_records(self, project: str) -> list[Record]:
        """Every record of ``project`` (see ``list_records_complete`` to detect truncation)."""
        listing = await self.list_records_complete(project)
        if not listing.is_complete:
            log.warning(
                "%s: listing of %s is truncated at %d records",
                self.name,
                project,
                len(listing.records),
            )
        return listing.records

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        """Ids of records with ``updated_at`` strictly after ``since``.

        The default collects ``iter_changed_since`` (a truncated change feed is
        logged: changes beyond it are not seen).
        """
        stream = self.iter_changed_since(project, since)
        ids = [r.id async for r in stream]
        if not stream.is_complete:
            log.warning(
                "%s: changes of %s since %s truncated at %d records",
                self.name,
                project,
                since.isoformat(),
                len(ids),
            )
        return ids

    @abstractmethod
    async def get_record(self, project: str, record_id: RecordId) -> Record:
        """One record; ``NotFound`` if it does not exist."""

    async def search_records(self, project: str, text: str) -> list[Record]:
        """Records of ``project`` whose title or body holds every word of ``text`` (as the
        server's full-text search matches them: stemmed, stop words ignored), best first.

        Optional: only connectors declaring ``Capabilities(search=True)`` implement it; the
        default raises ``NotSupported`` before any I/O.
        """
        raise NotSupported(f"{self.name} cannot search records")

    # -- write (default: not supported, no request sent) -------------------------------------

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        """Create a record and return the server's view of it (new id, timestamps, version)."""
        raise NotSupported(f"{self.name} cannot create records")

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        """Update user-controlled fields; ``VersionMismatch`` if ``expected_version`` is stale."""
        raise NotSupported(f"{self.name} cannot update records")

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        """Delete the record (``DeleteModel.DELETE``) or close it with ``reason.closed_status``
        (``DeleteModel.CLOSE``), as ``capabilities.delete`` declares."""
        raise NotSupported(f"{self.name} cannot delete or close records")

    # -- lifecycle ---------------------------------------------------------------------------

    async def aclose(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Release connections."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
