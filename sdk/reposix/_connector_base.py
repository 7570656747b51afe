"""``HttpConnector``: the plumbing every HTTP connector shares, on the SDK's gated client.

A connector that speaks HTTP subclasses it instead of ``BackendConnector`` and passes its
base URL, auth hook and fixed headers to ``super().__init__``; the gated client
(``self._http``), ``aclose`` and a ``repr`` that shows only the redacted base URL come
with it. See the ``BackendConnector`` docs page for an example.

This module sits above both the HTTP layer and the ``BackendConnector`` ABC (which
imports neither ``httpx`` nor this module), so the import graph keeps flowing one way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from reposix._backend import BackendConnector
from reposix._http import ClientOpts, HttpClient, client
from reposix._runtime import Runtime
from reposix._secret import Secret

if TYPE_CHECKING:
    import httpx

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
        """``value`` if it is a :class:`~reposix._secret.Secret`, else ``TypeError`` naming
        the connector and ``what`` (so a plain string never reaches an auth hook)."""
        if not isinstance(value, Secret):
            raise TypeError(f"{cls.__name__} takes {what} as a reposix.Secret")
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._http.redact(self.base_url)!r})"

    async def aclose(self) -> None:
        """Close the HTTP client's connection pool."""
        await self._http.aclose()
