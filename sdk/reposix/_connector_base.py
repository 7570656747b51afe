"""``HttpConnector``: the plumbing every HTTP connector shares, on the SDK's gated client.

A connector that speaks HTTP subclasses it instead of ``BackendConnector`` and passes its
base URL, auth hook and fixed headers to ``super().__init__``; the gated client
(``self._http``), ``aclose`` and a ``repr`` that shows only the redacted base URL come
with it. See the ``BackendConnector`` docs page for an example.

This module sits above both the HTTP layer and the ``BackendConnector`` ABC (which
imports neither ``httpx`` nor this module), so the import graph keeps flowing one way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from reposix._backend import BackendConnector, RecordStream
from reposix._http import ClientOpts, HttpClient, client
from reposix._records import Record
from reposix._runtime import Runtime
from reposix._secret import Secret

if TYPE_CHECKING:
    import httpx

    from reposix._pagination.base import Paginator

W = TypeVar("W")

__all__ = ["HttpConnector"]


class HttpConnector(BackendConnector):
    """A ``BackendConnector`` that reaches its tracker through one gated HTTP client.

    ``base_url``: the API root; stored with exactly one trailing slash, so relative request
    paths join onto it and a path prefix (GitHub Enterprise's ``/api/v3``) survives.
    ``auth``: an SDK auth hook (``BearerAuth``, ``BasicAuth``, ``HeaderAuth``) or None.
    ``headers``: fixed headers sent on every request (never a credential).
    ``runtime``: clock, audit sink, allowlist, transport, ``max_records``, ``page_size``;
    a default ``Runtime()`` if omitted.
    """

    base_url: str
    runtime: Runtime
    _http: HttpClient

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None,
        headers: Mapping[str, str] | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/") + "/"
        self.runtime = runtime or Runtime()
        self._http = client(
            ClientOpts(
                connector=self.name,
                base_url=self.base_url,
                auth=auth,
                headers=dict(headers or {}),
                runtime=self.runtime,
            )
        )

    @classmethod
    def require_secret(cls, value: object, what: str = "the token") -> Secret:
        """``value`` if it is a [`Secret`][reposix.Secret], else ``TypeError`` naming
        the connector and ``what`` (so a plain string never reaches an auth hook)."""
        if not isinstance(value, Secret):
            raise TypeError(f"{cls.__name__} takes {what} as a reposix.Secret")
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._http.redact(self.base_url)!r})"

    def record_stream(
        self,
        pages: Paginator[W],
        build: Callable[[Sequence[W]], Iterable[Record]],
        *,
        cap: int | None = None,
    ) -> RecordStream:
        """A `RecordStream` over a paginator: each page of wire models → records.

        ``build`` maps one page (it may drop items, e.g. GitHub's pull requests); the
        page's wire models are released before the records are handed on, so at most a
        page of them is alive. ``cap`` (e.g. ``runtime.max_records``) ends the stream
        incomplete after that many records. Progress hooks hear of every page.
        ``Record``'s validator, if not built yet, is built while the first request is on
        the wire (`HttpClient.while_waiting`).
        """

        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            if not Record.__pydantic_complete__:
                self._http.while_waiting(Record.model_rebuild, key=Record)
            batches = pages.by_page()
            taken = 0
            try:
                async for batch in batches:
                    records = list(build(batch))
                    # The page list is ours (Paginator.by_page): empty it, so the wire
                    # models go now, not when the paginator is resumed for the next page.
                    if isinstance(batch, list):
                        batch.clear()
                    del batch
                    cut = cap is not None and taken + len(records) > cap
                    if cut and cap is not None:
                        records = records[: cap - taken]
                    taken += len(records)
                    if records:
                        self.report_progress(len(records))
                        yield records
                    if cut:
                        stream.finish(complete=False, reason=f"stopped at max_records={cap}")
                        return
            finally:
                close = getattr(batches, "aclose", None)
                if close is not None:
                    await close()
            stream.finish(complete=pages.complete, reason=pages.reason)

        return RecordStream(source)

    async def aclose(self) -> None:
        """Close the HTTP client's connection pool."""
        await self._http.aclose()
