"""``HttpClient``: the one gated, audited, allowlisted way to reach the network."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx

from reposix.audit import AuditEvent, AuditSink, Outcome, default_sink
from reposix.errors import EgressDenied, RateLimited, TransportError
from reposix.http._transport import build_async_client
from reposix.http.allowlist import Allowlist, origin_of
from reposix.http.redact import REDACTED, RedactingFilter, redact_url
from reposix.ratelimit.gate import RateGate
from reposix.ratelimit.signals import parse_signal
from reposix.runtime import Runtime
from reposix.secret import Secret

__all__ = ["IDEMPOTENT_METHODS", "ClientOpts", "HttpClient", "client"]

log = logging.getLogger("reposix.http")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

_filter = RedactingFilter()
for _name in ("httpx", "httpcore", "reposix"):
    logging.getLogger(_name).addFilter(_filter)


@dataclass(frozen=True)
class ClientOpts:
    """Options for :func:`client`. Every field has a safe default."""

    connector: str = "reposix"
    base_url: str | None = None
    auth: httpx.Auth | None = None
    secrets: Sequence[Secret] = ()
    """Extra secrets to redact (auth hooks' own secrets are added automatically)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    deadline: float | None = None
    """Whole-operation deadline in seconds across retries and waits, or None."""
    follow_redirects: bool = False
    max_redirects: int = 5
    runtime: Runtime = field(default_factory=Runtime)
    gate: RateGate | None = None
    """Share a gate between clients; None makes one for this client."""


class HttpClient:
    """Wraps an ``httpx.AsyncClient`` it never exposes; every request is checked and audited."""

    def __init__(self, opts: ClientOpts) -> None:
        self.opts = opts
        runtime = opts.runtime
        self.allowlist = runtime.allowlist or Allowlist.from_env()
        self.clock = runtime.clock
        self.audit: AuditSink = runtime.audit if runtime.audit is not None else default_sink()
        self.gate = opts.gate or RateGate(runtime.rate_limit, runtime.clock)
        self.base_url = httpx.URL(opts.base_url) if opts.base_url else None
        secrets = list(opts.secrets)
        hook_secrets = getattr(opts.auth, "secrets", None)
        if callable(hook_secrets):
            secrets.extend(hook_secrets())
        self._secret_values = tuple(s.reveal() for s in secrets if s)
        _filter.secrets.update(self._secret_values)
        self._client = build_async_client(
            connect_timeout=opts.connect_timeout,
            read_timeout=opts.read_timeout,
            transport=runtime.transport,
        )

    def __repr__(self) -> str:
        return f"HttpClient(connector={self.opts.connector!r}, base_url={self.base_url!s})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self._client.aclose()

    def redact(self, text: str) -> str:
        """``text`` with every secret this client knows replaced by ``***``."""
        for secret in self._secret_values:
            text = text.replace(secret, REDACTED)
        return text

    def url(self, path: str) -> httpx.URL:
        """Resolve ``path`` against the base URL."""
        if self.base_url is None:
            return httpx.URL(path)
        return self.base_url.join(path)

    def _audit(
        self,
        op: str,
        method: str,
        url: httpx.URL | str,
        status: int | None,
        started: float,
        outcome: Outcome,
    ) -> None:
        self.audit.append(
            AuditEvent(
                ts=self.clock.now(),
                connector=self.opts.connector,
                op=op,
                method=method,
                url=redact_url(url, self._secret_values),
                status=status,
                duration_ms=round((self.clock.monotonic() - started) * 1000, 3),
                outcome=outcome,
            )
        )

    async def request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        op: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Send one logical request: allowlist, rate gate, retries, audit.

        Returns the final response whatever its status (see ``raise_for_status``);
        raises EgressDenied, RateLimited or TransportError.
        """
        method = method.upper()
        target = self.url(str(url)) if isinstance(url, str) else url
        merged = {**self.opts.headers, **(headers or {})}
        if idempotency_key is not None:
            merged["Idempotency-Key"] = idempotency_key
        retry_ok = method in IDEMPOTENT_METHODS or idempotency_key is not None
        retry = self.opts.runtime.retry
        limits = self.opts.runtime.rate_limit
        started_all = self.clock.monotonic()
        waited = 0.0
        attempt = 0
        redirects = 0
        while True:
            attempt += 1
            started = self.clock.monotonic()
            try:
                self.allowlist.check(target)
            except EgressDenied:
                self._audit(op, method, target, None, started, "egress_denied")
                raise
            await self.gate.acquire()
            request = self._client.build_request(
                method, target, params=params, json=json, content=content, headers=merged
            )
            try:
                response = await self._client.send(
                    request, auth=self.opts.auth or httpx.USE_CLIENT_DEFAULT
                )
                await response.aread()
            except httpx.TransportError as exc:
                if retry_ok and attempt < retry.max_attempts:
                    self._audit(op, method, target, None, started, "retried")
                    await self.clock.sleep(retry.backoff(attempt))
                    continue
                self._audit(op, method, target, None, started, "transport_error")
                raise TransportError(
                    f"{method} {redact_url(target, self._secret_values)}: {type(exc).__name__}"
                ) from None
            status = response.status_code
            signal = parse_signal(status, response.headers, self.clock.now())
            if signal is not None and signal.refused:
                wait = self.gate.arm(signal)
                self._audit(op, method, target, status, started, "rate_limited")
                if (
                    retry_ok
                    and attempt < limits.max_attempts
                    and wait <= limits.max_wait
                    and waited + wait <= limits.max_total_wait
                ):
                    waited += wait
                    continue
                raise RateLimited(
                    f"{method} {redact_url(target, self._secret_values)} was refused "
                    f"for rate limiting (retry after {wait:.0f}s)",
                    retry_after=wait,
                )
            if signal is not None and signal.remaining == 0 and signal.wait is not None:
                self.gate.arm(signal)
            if status in retry.retry_statuses and retry_ok and attempt < retry.max_attempts:
                self._audit(op, method, target, status, started, "retried")
                await self.clock.sleep(retry.backoff(attempt))
                continue
            if (
                status in _REDIRECTS
                and self.opts.follow_redirects
                and "location" in response.headers
            ):
                redirects += 1
                self._audit(op, method, target, status, started, "ok")
                if redirects > self.opts.max_redirects:
                    raise TransportError(f"too many redirects from {redact_url(target)}")
                target = target.join(response.headers["location"])
                try:
                    self.allowlist.check(target)
                except EgressDenied:
                    self._audit(op, method, target, None, started, "egress_denied")
                    raise
                origin_of(target)
                attempt = 0
                continue
            self._audit(op, method, target, status, started, "ok" if status < 400 else "http_error")
            _ = started_all
            return response

    async def get(self, url: str | httpx.URL, *, op: str, **kw: Any) -> httpx.Response:
        """``request("GET", ...)``."""
        return await self.request("GET", url, op=op, **kw)

    async def post(self, url: str | httpx.URL, *, op: str, **kw: Any) -> httpx.Response:
        """``request("POST", ...)``."""
        return await self.request("POST", url, op=op, **kw)

    async def put(self, url: str | httpx.URL, *, op: str, **kw: Any) -> httpx.Response:
        """``request("PUT", ...)``."""
        return await self.request("PUT", url, op=op, **kw)

    async def patch(self, url: str | httpx.URL, *, op: str, **kw: Any) -> httpx.Response:
        """``request("PATCH", ...)``."""
        return await self.request("PATCH", url, op=op, **kw)

    async def delete(self, url: str | httpx.URL, *, op: str, **kw: Any) -> httpx.Response:
        """``request("DELETE", ...)``."""
        return await self.request("DELETE", url, op=op, **kw)


def client(opts: ClientOpts | None = None) -> HttpClient:
    """The only legal way for SDK and connector code to reach the network."""
    return HttpClient(opts or ClientOpts())
