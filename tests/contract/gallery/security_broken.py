"""Broken connectors for the security invariants (S01–S06), each a small SimBackend subclass.

Each is registered with ``@broken(name, kills=...)`` in the kit's gallery registry. Some
swap the SDK client for a differently configured one through a ``_http`` property
(the kit builds a plain SimBackend, then switches its class, so there is no
constructor to override).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from typing import Any

import httpx

from reposix._audit import AuditEvent, AuditSink
from reposix._errors import AuthError, NotFound, ReposixError
from reposix._http import HttpClient, client, decode
from reposix._records import Record, RecordId
from reposix.sim._backend import _ONE, _PAGE, SimBackend
from reposix_contract._gallery import broken

log = logging.getLogger("reposix_gallery.security")


def _token(backend: SimBackend) -> str:
    """The bearer token the SDK client signs with (reaching into it, as bad code does)."""
    auth: Any = backend.__dict__["_http"].opts.auth
    return str(auth._token.reveal()) if auth is not None else ""


class _SwappedClient(SimBackend):
    """Base for connectors that talk through a differently configured SDK client."""

    def _swap(self, base: HttpClient) -> HttpClient:
        raise NotImplementedError

    @property
    def _http(self) -> HttpClient:
        swapped = self.__dict__.get("_gallery_http")
        if swapped is None:
            swapped = self._swap(self.__dict__["_http"])
            self.__dict__["_gallery_http"] = swapped
        return swapped

    @_http.setter
    def _http(self, value: HttpClient) -> None:
        self.__dict__["_http"] = value

    async def aclose(self) -> None:
        swapped = self.__dict__.get("_gallery_http")
        if swapped is not None:
            await swapped.aclose()
        await self.__dict__["_http"].aclose()


@broken("own-http-client", kills={"S01", "S06"})
class OwnHttpClient(SimBackend):
    """Reads records through its own httpx.AsyncClient: no allowlist, no audit."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        auth = self.__dict__["_http"].opts.auth
        async with httpx.AsyncClient(base_url=self.base_url, auth=auth) as raw:
            response = await raw.get(self._one(project, record_id))
        self._raise(response, f"record {record_id}")
        return decode(response, _ONE, "record").to_record()


@broken("follows-redirects", kills={"S02"})
class FollowsRedirects(_SwappedClient):
    """Builds its client with follow_redirects=True."""

    def _swap(self, base: HttpClient) -> HttpClient:
        return client(dataclasses.replace(base.opts, follow_redirects=True))


@broken("follows-any-next-link", kills={"S02"})
class FollowsAnyNextLink(SimBackend):
    """Paginates by hand and follows every next link, whatever its host."""

    async def list_records(self, project: str) -> list[Record]:
        out: list[Record] = []
        url: str | httpx.URL = self._records(project)
        params: dict[str, Any] | None = {"per_page": self.runtime.page_size or 100}
        while True:
            response = await self._http.get(url, op="list_records", params=params)
            self._raise(response, "listing")
            out += [r.to_record() for r in decode(response, _PAGE, "page")]
            nxt = response.links.get("next", {}).get("url")
            if not nxt:
                return out
            url, params = httpx.URL(nxt), None


@broken("follows-html-url", kills={"S03"})
class FollowsHtmlUrl(SimBackend):
    """After get_record, fetches the record's html_url 'to enrich' it (errors ignored)."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        response = await self._http.get(self._one(project, record_id), op="get_record")
        self._raise(response, f"record {record_id}")
        link = json.loads(response.content).get("html_url")
        if link:
            with contextlib.suppress(ReposixError):
                await self._http.get(httpx.URL(link), op="enrich")
        return decode(response, _ONE, "record").to_record()


@broken("urls-in-extensions", kills={"S03"})
class UrlsInExtensions(SimBackend):
    """Keeps the server's url and html_url fields in extensions."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        response = await self._http.get(self._one(project, record_id), op="get_record")
        self._raise(response, f"record {record_id}")
        data = json.loads(response.content)
        record = decode(response, _ONE, "record").to_record()
        links = {k: data[k] for k in ("url", "html_url") if k in data}
        return record.replace(extensions={**record.extensions, **links})


@broken("logs-token", kills={"S05"})
class LogsToken(SimBackend):
    """Logs the auth header as a structured-log field (JSON log handlers print extras).

    (A token formatted into the message itself is masked by the SDK's log-record
    redaction; extra fields are not.)
    """

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        log.debug("GET record %s", record_id, extra={"auth": "Bearer " + _token(self)})
        return await super().get_record(project, record_id)


@broken("token-in-error", kills={"S05"})
class TokenInError(SimBackend):
    """Chains an exception holding the token as the cause of its NotFound.

    (A token put into a typed error's own message is masked by the SDK when the error is
    built; the cause chain is the connector's own text, which S05 still reads.)
    """

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        try:
            return await super().get_record(project, record_id)
        except NotFound as exc:
            raise NotFound(exc.message) from LookupError(f"sent as {_token(self)}")


@broken("repr-shows-token", kills={"S05"})
class ReprShowsToken(SimBackend):
    """Its repr shows the token."""

    def __repr__(self) -> str:
        return f"ReprShowsToken({self.base_url!r}, token={_token(self)!r})"


@broken("auth-error-without-env-vars", kills={"S04"})
class AuthErrorWithoutEnvVars(SimBackend):
    """Maps 401 to an AuthError that does not say which env var to check."""

    def _raise(
        self, response: httpx.Response, what: str, *, expected_version: int | None = None
    ) -> None:
        if response.status_code == 401:
            raise AuthError(f"{what}: unauthorized")
        super()._raise(response, what, expected_version=expected_version)


class _DropAudit:
    def append(self, event: AuditEvent) -> None:
        del event


@broken("skips-audit", kills={"S06"})
class SkipsAudit(_SwappedClient):
    """Sends through a client whose audit sink drops every event."""

    def _swap(self, base: HttpClient) -> HttpClient:
        runtime = dataclasses.replace(base.opts.runtime, audit=_DropAudit())
        return client(dataclasses.replace(base.opts, runtime=runtime))


@broken("wrong-audit-status", kills={"S06"})
class WrongAuditStatus(_SwappedClient):
    """Audits every request as a 200 'ok', whatever the server answered."""

    def _swap(self, base: HttpClient) -> HttpClient:
        audit = base.opts.runtime.audit
        assert audit is not None
        real: AuditSink = audit

        class _Rewrite:
            def append(self, event: AuditEvent) -> None:
                if event.outcome != "egress_denied":
                    event = dataclasses.replace(event, status=200, outcome="ok")
                real.append(event)

        runtime = dataclasses.replace(base.opts.runtime, audit=_Rewrite())
        return client(dataclasses.replace(base.opts, runtime=runtime))


@broken("raw-project-in-path", kills={"S07"})
class RawProjectInPath(SimBackend):
    """Splices the project name into URL paths without percent-encoding it."""

    @staticmethod
    def _records(project: str) -> str:
        return f"projects/{project}/records"


@broken("one-op-for-everything", kills={"S06"})
class OneOpForEverything(_SwappedClient):
    """Audits every request under the same op name, reads and writes alike."""

    def _swap(self, base: HttpClient) -> HttpClient:
        audit = base.opts.runtime.audit
        assert audit is not None
        real: AuditSink = audit

        class _Relabel:
            def append(self, event: AuditEvent) -> None:
                real.append(dataclasses.replace(event, op="http"))

        runtime = dataclasses.replace(base.opts.runtime, audit=_Relabel())
        return client(dataclasses.replace(base.opts, runtime=runtime))
