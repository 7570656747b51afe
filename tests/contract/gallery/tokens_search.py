"""Broken search (R20) and broken token renewal (R21, W20).

The search entries derive from the simulator; the token entries from the ``rhythm``
connector on its wire fake, whose access tokens expire after 15 minutes of virtual time
(the Rhythm blueprint's "short-lived access ~15min").
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from typing import Any, ClassVar

import httpx

from reposix._backend import Capabilities
from reposix._http.auth import RefreshingAuth
from reposix._records import Record
from reposix.sim import SimBackend
from reposix_contract._gallery import broken
from reposix_contract._targets import Target, from_plugin
from reposix_rhythm import plugin as rhythm_plugin
from reposix_rhythm.connector import RhythmConnector


def _rhythm() -> Target:
    return from_plugin(rhythm_plugin)


# -- R20 ---------------------------------------------------------------------------------------


@broken("search-ignores-the-words", kills={"R20"})
class SearchIgnoresTheWords(SimBackend):
    """Answers every search with the whole project."""

    async def search_records(self, project: str, text: str) -> list[Record]:
        return await self.list_records(project)


@broken("search-by-exact-substring", kills={"R20"})
class SearchByExactSubstring(SimBackend):
    """Filters a listing by the exact, case-folded query string: no stemming (``saving``
    misses ``saved``), a phrase must appear verbatim, and stop words match."""

    async def search_records(self, project: str, text: str) -> list[Record]:
        needle = text.casefold()
        return [
            r
            for r in await self.list_records(project)
            if needle in r.title.casefold() or needle in r.body.casefold()
        ]


@broken("search-undeclared-but-sends", kills={"R20"})
class SearchUndeclaredButSends(SimBackend):
    """Does not declare search, yet lists the project before saying it cannot search."""

    capabilities: ClassVar[Capabilities] = dataclasses.replace(
        SimBackend.capabilities, search=False
    )

    async def search_records(self, project: str, text: str) -> list[Record]:
        await self.list_records(project)
        return await super(SimBackend, self).search_records(project, text)


# -- R21 / W20 ----------------------------------------------------------------------------------


class _NeverRenews(RefreshingAuth):
    """Logs in once; an expired token is sent as is and a 401 handed back."""

    async def prepare(self) -> None:
        if self._access is None:
            await self._renew(self._generation)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await self.prepare()
        self._sign(request)
        yield request


class _ResendsWhenExpiredInFlight(RefreshingAuth):
    """Renews when the token expired while the request was in flight and re-sends it,
    whatever the server answered ("it must have been refused")."""

    async def prepare(self) -> None:
        if self._access is None:
            await self._renew(self._generation)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await self.prepare()
        seen = self._generation
        self._sign(request)
        response = yield request
        if response.status_code == 401 or not self._fresh():
            await self._renew(seen)
            self._sign(request)
            yield request


def _with_auth(cls: type[RefreshingAuth]) -> Any:
    """The rhythm target, its connector's auth hook switched to ``cls``."""

    def build(base_url: str, credentials: Any, runtime: Any) -> RhythmConnector:
        connector = rhythm_plugin.build(base_url, credentials, runtime)
        connector._auth.__class__ = cls  # the client holds this very hook
        return connector

    return lambda: dataclasses.replace(_rhythm(), build=build)


@broken("token-never-renewed", kills={"R21"}, base=_with_auth(_NeverRenews))
class TokenNeverRenewed(RhythmConnector):
    """Logs in once and never renews the access token: the listing dies at the expiry."""


@broken("write-resent-after-expiry", kills={"W20"}, base=_with_auth(_ResendsWhenExpiredInFlight))
class WriteResentAfterExpiry(RhythmConnector):
    """Re-sends any request during which the access token expired, though the server
    answered 2xx: the write is processed twice."""
