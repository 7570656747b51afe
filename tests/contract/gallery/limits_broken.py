"""Broken connectors for the rate-limit invariants (L01–L05), each a small SimBackend subclass.

Each is registered with ``@broken(name, kills=...)`` in the kit's gallery registry.
"""

from __future__ import annotations

import dataclasses

from reposix._backend import Listing
from reposix._errors import AuthError, RateLimited
from reposix._http import HttpClient, client
from reposix._ratelimit.policy import RateLimitPolicy
from reposix._records import Record, RecordId
from reposix.sim._backend import TOKEN_ENV, SimBackend
from reposix_contract._gallery import broken


def _no_rate_retries(base: HttpClient) -> HttpClient:
    """A new SDK client (so a new, open rate gate) that gives up at the first refusal."""
    runtime = dataclasses.replace(base.opts.runtime, rate_limit=RateLimitPolicy(max_attempts=1))
    return client(dataclasses.replace(base.opts, runtime=runtime))


class _FreshClientPerRequest(SimBackend):
    """Base: every request goes through a brand-new SDK client (a fresh rate gate)."""

    def _fresh(self, base: HttpClient) -> HttpClient:
        return client(base.opts)

    @property
    def _http(self) -> HttpClient:
        return self._fresh(self.__dict__["_http"])

    @_http.setter
    def _http(self, value: HttpClient) -> None:
        self.__dict__["_http"] = value


@broken("ignores-retry-after", kills={"L01", "L04"})
class IgnoresRetryAfter(_FreshClientPerRequest):
    """Turns off the SDK's rate-limit retries and retries a 429 itself, at once."""

    def _fresh(self, base: HttpClient) -> HttpClient:
        return _no_rate_retries(base)

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        for attempt in range(5):
            try:
                return await super().get_record(project, record_id)
            except RateLimited:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")


@broken("retries-rate-limit-forever", kills={"L02"})
class RetriesRateLimitForever(SimBackend):
    """Catches RateLimited and calls again, up to 30 times."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        for _ in range(29):
            try:
                return await super().get_record(project, record_id)
            except RateLimited:
                continue
        return await super().get_record(project, record_id)

    async def list_records_complete(self, project: str) -> Listing:
        for _ in range(29):
            try:
                return await super().list_records_complete(project)
            except RateLimited:
                continue
        return await super().list_records_complete(project)


@broken("no-shared-gate", kills={"L03"})
class NoSharedGate(_FreshClientPerRequest):
    """Builds a new SDK client (and so a new rate gate) for every request."""


@broken("forbidden-is-auth", kills={"L03"})
class ForbiddenIsAuth(SimBackend):
    """Treats a refused 403 as bad credentials, rate-limit headers or not (it turns off the
    SDK's rate-limit retries on one shared client, then maps RateLimited to AuthError)."""

    @property
    def _http(self) -> HttpClient:
        swapped = self.__dict__.get("_gallery_http")
        if swapped is None:
            swapped = self.__dict__["_gallery_http"] = _no_rate_retries(self.__dict__["_http"])
        return swapped

    @_http.setter
    def _http(self, value: HttpClient) -> None:
        self.__dict__["_http"] = value

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        try:
            return await super().get_record(project, record_id)
        except RateLimited:
            raise AuthError("forbidden: check your token", env_vars=(TOKEN_ENV,)) from None


@broken("swallows-rate-limited", kills={"L02", "L05"})
class SwallowsRateLimited(SimBackend):
    """Returns an empty, 'complete' listing when rate limited."""

    async def list_records_complete(self, project: str) -> Listing:
        try:
            return await super().list_records_complete(project)
        except RateLimited:
            return Listing([], True)
