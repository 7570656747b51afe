"""``HttpClient``: the one gated, audited, allowlisted way to reach the network."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx

from reposix._audit_event import AuditEvent, AuditSink, Outcome, flush_sink
from reposix._clock import Stopwatch
from reposix._errors import (
    AuditError,
    ConfigError,
    EgressDenied,
    ProtocolError,
    RateLimited,
    TransportError,
)
from reposix._http._transport import build_async_client
from reposix._http.allowlist import Allowlist, Origin
from reposix._http.redact import (
    SENSITIVE_HEADERS,
    install_log_redaction,
    redact_headers,
    redact_owned,
    redact_text,
    redact_url,
    register_secret,
)
from reposix._ratelimit.gate import RateGate
from reposix._ratelimit.retry import RetryState
from reposix._redact import OwnedSecrets
from reposix._runtime import Runtime
from reposix._secret import Secret

__all__ = ["IDEMPOTENT_METHODS", "ClientOpts", "HttpClient", "client"]

log = logging.getLogger("reposix.http")

NETWORK_WAIT = "reposix.network_wait"
"""``Response.extensions`` key: seconds the request's final attempt kept the event loop
waiting on the network (connection set-up, the server, the transfer), measured as wall
time minus the loop thread's CPU time (`reposix._clock.Stopwatch`); retries, back-off and
rate-limit waits are not in it. Read it with `network_wait`. On a `VirtualClock` the wall
time is virtual (a fake's simulated latency, and any other task's virtual sleep in the
meantime) while the CPU time is real."""


def network_wait(response: httpx.Response) -> float:
    """The `NETWORK_WAIT` of a response from `HttpClient`, else 0.0 (seconds)."""
    value = response.extensions.get(NETWORK_WAIT, 0.0)
    return value if isinstance(value, float) else 0.0


class _WorkWhileWaiting:
    """httpcore's trace callback for one request: runs the work queued for it once the
    request's body is sent (`HttpClient.while_waiting`).

    ``credit``: the CPU seconds of that work to count as network wait in `NETWORK_WAIT`.
    The work blocks the loop, so whether the network was still busy meanwhile shows only
    afterwards: if the response headers were still awaited once it ended (more than
    `_STILL_WAITING` seconds from ``receive_response_headers.started`` to ``.complete``),
    the whole work overlapped the wait and is credited; if they were already there, none
    of it is (the wait reads shorter than it was, never longer).
    """

    _STILL_WAITING = 0.001

    __slots__ = ("_clock", "_cpu", "_headers_from", "_work", "credit", "work_cpu")

    def __init__(
        self,
        work: Mapping[Hashable, Callable[[], object]],
        *,
        clock: Callable[[], float] = time.perf_counter,
        cpu: Callable[[], float] = time.thread_time,
    ) -> None:
        self._work = list(work.values())
        self._clock, self._cpu = clock, cpu
        self._headers_from = 0.0
        self.work_cpu = 0.0
        self.credit = 0.0

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if event.endswith("send_request_body.complete") and self._work:
            work, self._work = self._work, []
            started = self._cpu()
            for one in work:
                try:
                    one()
                except Exception as exc:  # the caller's first use redoes it and raises there
                    log.debug("work while waiting failed: %s", type(exc).__name__)
            self.work_cpu = self._cpu() - started
        elif event.endswith("receive_response_headers.started"):
            self._headers_from = self._clock()
        elif event.endswith("receive_response_headers.complete") and self.work_cpu:
            still_waiting = self._clock() - self._headers_from > self._STILL_WAITING
            self.credit = self.work_cpu if still_waiting else 0.0


IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})


@dataclass(frozen=True)
class ClientOpts:
    """Options for [`client`][reposix.client]. Every field has a safe default."""

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

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"ClientOpts.{name} must be > 0 seconds")
        if self.deadline is not None and not self.deadline > 0:
            raise ConfigError("ClientOpts.deadline must be > 0 seconds or None")
        if self.max_redirects < 0:
            raise ConfigError("ClientOpts.max_redirects must be >= 0")

    def __repr__(self) -> str:
        # Hand-written so caller-supplied headers and the base URL are redacted.
        base = redact_url(self.base_url) if self.base_url else None
        return (
            f"ClientOpts(connector={self.connector!r}, base_url={base!r}, auth={self.auth!r}, "
            f"secrets=<{len(self.secrets)}>, headers={redact_headers(self.headers)!r}, "
            f"connect_timeout={self.connect_timeout}, read_timeout={self.read_timeout}, "
            f"deadline={self.deadline}, follow_redirects={self.follow_redirects}, "
            f"max_redirects={self.max_redirects})"
        )


def _default_sink() -> AuditSink:
    # The SQLite log (and sqlite3) loads when the first client without a sink of its own
    # opens it, not when a connector is imported.
    from reposix._audit import default_sink

    return default_sink()


class HttpClient:
    """Wraps an ``httpx.AsyncClient`` it never exposes; every request is checked and audited."""

    def __init__(self, opts: ClientOpts) -> None:
        self.opts = opts
        runtime = opts.runtime
        self.allowlist = runtime.allowlist or Allowlist.from_env()
        self.clock = runtime.clock
        self.audit: AuditSink = runtime.audit if runtime.audit is not None else _default_sink()
        self.gate = opts.gate or RateGate(runtime.rate_limit, runtime.clock)
        try:
            base = httpx.URL(opts.base_url) if opts.base_url else None
        except httpx.InvalidURL as exc:
            raise ConfigError(f"base_url is not a URL: {redact_text(str(exc))}") from None
        # Userinfo is never sent: httpx would turn it into a Basic auth header.
        self.base_url = base.copy_with(userinfo=b"") if base is not None else None
        secrets = list(opts.secrets)
        hook_secrets = getattr(opts.auth, "secrets", None)
        if callable(hook_secrets):
            secrets.extend(hook_secrets())
        self._secret_values = tuple(s.reveal() for s in secrets if s)
        self._owned = OwnedSecrets(self._secret_values)
        for value in self._secret_values:
            register_secret(value)
        watch = getattr(opts.auth, "watch_secrets", None)
        if callable(watch):
            watch(self._add_secret)  # rotated tokens join every redaction path as they arrive
        install_log_redaction()
        self._client = build_async_client(
            connect_timeout=opts.connect_timeout,
            read_timeout=opts.read_timeout,
            transport=runtime.transport,
        )
        self._while_waiting: dict[Hashable, Callable[[], object]] = {}

    def while_waiting(self, work: Callable[[], object], *, key: Hashable = None) -> None:
        """Run ``work`` once the next request is on the wire, while its response is awaited.

        For first-use CPU work the caller is about to need, such as building a page
        validator (10-20 ms for a vendor's page model): it then overlaps the network's
        latency instead of following it. The next request to be sent takes everything
        queued; ``work`` runs once, in the event loop's thread, right after that request's
        body is sent (httpcore's ``trace`` extension:
        https://www.encode.io/httpcore/extensions/#trace). Work queued under a ``key``
        already queued (default: ``work`` itself) is not queued twice. Work the request
        did not run (a transport that reports no such event, such as
        ``httpx.MockTransport``, or a request that failed first) is dropped: the caller's
        first use does it as it would have. An exception from ``work`` is logged at DEBUG
        and dropped; the first use redoes the work and raises in the caller.
        """
        self._while_waiting.setdefault(work if key is None else key, work)

    def __repr__(self) -> str:
        base = redact_url(self.base_url) if self.base_url else None
        return f"HttpClient(connector={self.opts.connector!r}, base_url={base!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying connection pool and write this process's buffered audit rows."""
        try:
            await self._client.aclose()
        finally:
            flush_sink(self.audit)

    def _add_secret(self, secret: Secret) -> None:
        """Redact ``secret`` from now on (a token an auth hook obtained after start-up)."""
        value = secret.reveal()
        if value and value not in self._secret_values:
            register_secret(value)
            self._secret_values = (*self._secret_values, value)

    def redact(self, text: str) -> str:
        """Client-owned text (server text quoted in an error, a failure detail) with this
        client's secrets masked at any length and wherever they occur, then the
        process-wide rule (registered secrets, credential shapes)."""
        return self._owned.redact(text)

    def url(self, path: str) -> httpx.URL:
        """Resolve ``path`` against the base URL (userinfo is dropped, never sent).

        Raises [`EgressDenied`][reposix.EgressDenied] for text that is not a URL or whose
        authority holds a backslash (parsers disagree on where such a host ends).
        """
        try:
            if _authority_has_backslash(path):
                raise ValueError("backslash in the URL's authority")
            # An absolute URL (a next link) resolves to itself: parse it once instead of
            # joining it onto the base (the costlier path, same result per RFC 3986 5.2.2).
            absolute = path.startswith(("https://", "http://"))
            url = httpx.URL(path) if self.base_url is None or absolute else self.base_url.join(path)
        except (httpx.InvalidURL, ValueError) as exc:
            raise EgressDenied(
                "<invalid url>", self.allowlist.describe(), detail=self.redact(str(exc))
            ) from None
        return url.copy_with(userinfo=b"") if url.userinfo else url

    def audit_refusal(self, op: str, method: str, url: httpx.URL | str) -> None:
        """Record a request refused before it reached this client (e.g. a pinned next link)."""
        now = self.clock.monotonic()
        self._audit(op, method.upper(), url, None, now, "egress_denied")

    def _audit(
        self,
        op: str,
        method: str,
        url: httpx.URL | str,
        status: int | None,
        started: float,
        outcome: Outcome,
        shown: str | None = None,
    ) -> None:
        """Append one audit row; ``shown`` is ``url`` already redacted, if the caller has it."""
        self.audit.append(
            AuditEvent(
                ts=self.clock.now(),
                connector=self.opts.connector,
                op=op,
                method=method,
                url=shown if shown is not None else self._redacted(url),
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
        read_only: bool = False,
        authenticate: bool = True,
    ) -> httpx.Response:
        """Send one logical request: allowlist, rate gate, retries, audit.

        Returns the final response whatever its status (see ``raise_for_status``);
        raises EgressDenied, RateLimited or TransportError. The allowlist check
        runs before any byte is sent, on every attempt and every redirect hop.
        ``read_only=True`` marks a POST that only reads (a search, a GraphQL query)
        as safe to retry like a GET. Every attempt's audit row is written before any
        error leaves this method (AuditError if the log cannot take it).
        ``authenticate=False`` sends without the auth hook: a token refresh or login call
        (it carries its own credential in the body; the audit row never holds a body).
        """
        try:
            return await self._request(
                method,
                url,
                op=op,
                params=params,
                json=json,
                content=content,
                headers=headers,
                idempotency_key=idempotency_key,
                read_only=read_only,
                authenticate=authenticate,
            )
        except BaseException as exc:
            try:
                flush_sink(self.audit)  # rows reach the log before the error reaches the caller
            except AuditError:
                if isinstance(exc, Exception):
                    raise  # the caller learns its request went unaudited (exc chained)
                # Cancellation and interpreter exit must propagate: log, the rows stay buffered.
                log.exception("audit rows not written while %s propagated", type(exc).__name__)
            raise

    async def _request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        op: str,
        params: Mapping[str, Any] | None,
        json: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        idempotency_key: str | None,
        read_only: bool,
        authenticate: bool = True,
    ) -> httpx.Response:
        method = method.upper()
        started_all = self.clock.monotonic()
        # Redaction is the costly part of an audit row: do it once per URL of this
        # request (the target, then each redirect hop), not once per row and label.
        memo: list[tuple[httpx.URL, str]] = []

        def show(url: httpx.URL) -> str:
            if memo and memo[0][0] is url:
                return memo[0][1]
            text = self._redacted(url)
            memo[:] = [(url, text)]
            return text

        try:
            target = self.url(url) if isinstance(url, str) else _strip_userinfo(url)
        except EgressDenied:
            self._audit(op, method, url, None, started_all, "egress_denied")
            raise
        if params:
            # Merged here (as httpx would) so every audit row shows the query sent.
            target, params = target.copy_merge_params(params), None
        merged = {**self.opts.headers, **(headers or {})}
        if idempotency_key is not None:
            merged["Idempotency-Key"] = idempotency_key
        retry_ok = method in IDEMPOTENT_METHODS or idempotency_key is not None or read_only
        state = RetryState(gate=self.gate, retry=self.opts.runtime.retry, retryable=retry_ok)
        deadline_at = None if self.opts.deadline is None else started_all + self.opts.deadline
        home: Origin | None = None
        left_home = False
        redirects = 0
        while True:
            started = self.clock.monotonic()
            try:
                origin = self.allowlist.check(target)
            except EgressDenied:
                self._audit(op, method, target, None, started, "egress_denied", show(target))
                raise
            home = home or origin
            if origin != home and not left_home:
                # Credentials belong to the first origin: never carry them across.
                left_home = True
                merged = self._without_credentials(merged)
            prepare = getattr(self.opts.auth, "prepare", None)
            if authenticate and not left_home and callable(prepare):
                # A token renewal is its own gated request: run it before this request's
                # gate check, so a rate limit it meets delays this request too.
                await prepare()
            resume_at = self.clock.monotonic() + self.gate.delay()
            self._check_deadline(deadline_at, resume_at, op, method, target)
            state.label = f"{method} {show(target)}"
            try:
                await state.before_attempt()  # the rate gate: may wait, or refuse at once
            except RateLimited:
                self._audit(op, method, target, None, started, "rate_limited", show(target))
                raise
            started = self.clock.monotonic()
            request = self._client.build_request(
                method, target, params=params, json=json, content=content, headers=merged
            )
            auth = None if left_home or not authenticate else self.opts.auth
            try:
                response = await self._send(request, auth, deadline_at, op, started)
            # Rate limits, 5xx and transport retries: reposix._ratelimit.retry decides.
            except httpx.TransportError as exc:
                step = state.after_transport_error(exc)
                outcome = step.outcome or "transport_error"
                self._audit(op, method, target, None, started, outcome, show(target))
                if step.action != "retry":
                    hint = step.error.hint if step.error else None
                    if hint is None and isinstance(exc, httpx.ConnectError):
                        hint = _connect_hint(target)
                    raise TransportError(
                        self._failure(method, target, exc, state.attempt), hint=hint
                    ) from None
                if step.delay > 0:
                    await self._pause(state.spend(step.delay), deadline_at, op, method, target)
                continue
            # The decode helpers mask this client's secrets, at any length, in server text.
            response.extensions["reposix.secrets"] = self._owned
            status = response.status_code
            step = state.after_response(response)
            if step.action != "return":
                outcome = step.outcome or "retried"
                self._audit(op, method, target, status, started, outcome, show(target))
                if step.action != "retry":
                    step.throw()
                if step.delay > 0:
                    await self._pause(state.spend(step.delay), deadline_at, op, method, target)
                continue
            if (
                status in _REDIRECTS
                and self.opts.follow_redirects
                and "location" in response.headers
            ):
                redirects += 1
                self._audit(op, method, target, status, started, "ok", show(target))
                if redirects > self.opts.max_redirects:
                    raise TransportError(
                        f"{method} {self._redacted(target)}: more than "
                        f"{self.opts.max_redirects} redirects",
                        hint="raise ClientOpts.max_redirects or request the final URL directly",
                    )
                location = response.headers["location"]
                try:
                    target = _strip_userinfo(_join(target, location))
                except ValueError as exc:
                    self._audit(op, method, location, None, started, "egress_denied")
                    raise EgressDenied(
                        "<invalid redirect>", self.allowlist.describe(), detail=str(exc)
                    ) from None
                # The next loop turn re-checks the allowlist before sending.
                if (status == 303 and method != "HEAD") or (
                    status in (301, 302) and method == "POST"
                ):
                    method, json, content = "GET", None, None
                    merged = {k: v for k, v in merged.items() if k.lower() not in _BODY_HEADERS}
                params = None  # already part of the URL the server redirected from
                state.restart()
                continue
            outcome = "ok" if status < 400 else "http_error"
            self._audit(op, method, target, status, started, outcome, show(target))
            return response

    def _redacted(self, url: httpx.URL | str) -> str:
        return redact_owned(redact_url(url), self._secret_values)

    def _without_credentials(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers minus anything that carries a credential."""
        return {
            k: v
            for k, v in headers.items()
            if k.lower() not in SENSITIVE_HEADERS
            and not any(secret in v for secret in self._secret_values)
        }

    def _failure(self, method: str, url: httpx.URL, exc: Exception, attempts: int) -> str:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        detail = self.redact(str(exc))[:200]
        text = f"{method} {self._redacted(url)} {kind} after {attempts} attempt(s): "
        return text + type(exc).__name__ + (f" ({detail})" if detail else "")

    def _check_deadline(
        self, deadline_at: float | None, resume_at: float, op: str, method: str, url: httpx.URL
    ) -> None:
        """Refuse to wait or send past the whole-operation deadline (audited as timeout)."""
        if deadline_at is None:
            return
        if max(resume_at, self.clock.monotonic()) >= deadline_at:
            self._audit(op, method, url, None, self.clock.monotonic(), "timeout")
            raise TransportError(
                f"{method} {self._redacted(url)}: the {self.opts.deadline:g}s deadline "
                "for the whole operation (waits and retries included) was exceeded",
                hint="raise ClientOpts.deadline, or None for no deadline",
            )

    async def _pause(
        self, delay: float, deadline_at: float | None, op: str, method: str, url: httpx.URL
    ) -> None:
        """Back off for ``delay`` seconds unless that would cross the deadline."""
        self._check_deadline(deadline_at, self.clock.monotonic() + delay, op, method, url)
        await self.clock.sleep(delay)

    async def _send(
        self,
        request: httpx.Request,
        auth: httpx.Auth | None,
        deadline_at: float | None,
        op: str,
        started: float,
    ) -> httpx.Response:
        """Send and read one request, within what is left of the deadline."""
        self._check_deadline(deadline_at, self.clock.monotonic(), op, request.method, request.url)
        remaining = None if deadline_at is None else deadline_at - self.clock.monotonic()
        from asyncio import timeout  # on first use: importing the SDK does not start asyncio

        hook: _WorkWhileWaiting | None = None
        if self._while_waiting:  # this request takes the queue (see while_waiting)
            hook = _WorkWhileWaiting(self._while_waiting)
            self._while_waiting = {}
            request.extensions["trace"] = hook
        watch = Stopwatch(self.clock.monotonic)
        try:
            async with timeout(remaining):
                response = await self._client.send(request, auth=auth)
                await response.aread()
        except TimeoutError:
            self._check_deadline(deadline_at, float("inf"), op, request.method, request.url)
            raise
        except httpx.DecodingError as exc:
            self._audit(op, request.method, request.url, None, started, "http_error")
            raise ProtocolError(
                f"undecodable response body: {type(exc).__name__}",
                method=request.method,
                url=self._redacted(request.url),
            ) from None
        finally:
            if hook is not None:
                request.extensions.pop("trace", None)  # the response keeps no hold on it
        response.extensions[NETWORK_WAIT] = watch.idle(credit=hook.credit if hook else 0.0)
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


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _connect_hint(url: httpx.URL) -> str:
    """How to fix a refused or unresolvable connection to ``url`` (loopback: the simulator)."""
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
    hint = f"nothing answered at {origin}: check the URL and that the server is up"
    if url.host in _LOOPBACK_HOSTS:
        hint += "; for the simulator, start it with 'reposix sim' in another terminal"
    return hint


def _authority_has_backslash(url: str) -> bool:
    """RFC 3986 (httpx) and WHATWG (browsers) split ``a.com\\@b.com`` differently."""
    _, sep, rest = url.partition("://")
    if not sep:
        rest = url[2:] if url.startswith("//") else ""
    return "\\" in rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]


def _strip_userinfo(url: httpx.URL) -> httpx.URL:
    """``url`` without ``user:password@`` (httpx would send it as Basic auth)."""
    return url.copy_with(userinfo=b"") if url.userinfo else url


def _join(base: httpx.URL, location: str) -> httpx.URL:
    """Resolve a redirect's Location, refusing what parsers would read differently."""
    if _authority_has_backslash(location):
        raise ValueError("backslash in the Location authority")
    try:
        return base.join(location)
    except httpx.InvalidURL as exc:
        raise ValueError(f"unparsable Location: {redact_text(str(exc))}") from None
