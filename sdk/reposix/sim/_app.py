"""The simulator's HTTP API as an ASGI app (Starlette routing, hand-written middleware).

Mount it in-process with ``Runtime(transport=httpx.ASGITransport(app=app))`` or serve
it with ``reposix sim``. The API is documented in ``docs/simulator.md``; in short::

    GET  /healthz                                  200 {"status": "ok"}
    GET  /projects                                 200 [project]
    POST /projects                                 201 project      {"slug", "name"?}
    GET  /projects/{slug}                          200 project
    GET  /projects/{slug}/records                  200 [record]     ?since= ?per_page= ?after=
    POST /projects/{slug}/records                  201 record       Idempotency-Key
    GET  /projects/{slug}/records/{id}             200 record       ETag: "<version>"
    PATCH /projects/{slug}/records/{id}            200 record       If-Match: "<version>"
    DELETE /projects/{slug}/records/{id}           204              If-Match (optional)
    POST /projects/{slug}/records/{id}/close       200 record       {"reason": …}
    GET|PUT|PATCH /_admin/faults                   200 faults   X-Reposix-Admin-Token

Every error is JSON: ``{"error": {"code": "not_found", "message": "…"}}``; hostile input
(deep or invalid JSON, lone surrogates, out-of-range numbers, dates or ids, bodies that
are too large or never finish) is a 4xx in that envelope, never a 500 or a held
connection. ``/_admin`` exists only when the app is built with an ``admin_token``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import re
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from reposix._backend import DeleteReason
from reposix._clock import Clock
from reposix._faults import apply_mid_listing, next_index, plan_pages
from reposix._records import SERVER_FIELDS, Record, RecordDraft
from reposix._search import text_matches, text_rank
from reposix._secret import Secret
from reposix.sim._faults import Faults, FixedWindowLimiter
from reposix.sim._store import (
    USER_FIELDS,
    Conflict,
    InvalidChange,
    Project,
    SimStore,
    StoreError,
    fingerprint,
    format_ts,
)

__all__ = [
    "ADMIN_TOKEN_HEADER",
    "BODY_TIMEOUT",
    "MAX_BODY",
    "MAX_JSON_DEPTH",
    "ApiError",
    "SimApp",
    "SimRequest",
    "create_app",
]

log = logging.getLogger("reposix.sim")

MAX_BODY = 1024 * 1024
"""Request bodies above 1 MiB are refused with 413."""
BODY_TIMEOUT = 10.0
"""Seconds a request body may take to arrive in full; then 408 and the connection closes."""
MAX_JSON_DEPTH = 32
"""JSON bodies nested deeper than this are refused with 400 (records are shallow)."""
ADMIN_TOKEN_HEADER = "X-Reposix-Admin-Token"
"""The header that carries the admin token on ``/_admin`` requests."""
_MAX_ID = 2**63 - 1
_MIN_INT = -(2**63)
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII digits only: str.isdigit() accepts "²"
_STATUS_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}

Endpoint = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    """An error response: status, stable code, a message that teaches the fix, extra fields."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        """The JSON error response (413 and 408 also close the connection: body unread)."""
        body = {"error": {"code": self.code, "message": self.message, **self.extra}}
        if self.status in (408, 413):
            headers = {**(headers or {}), "Connection": "close"}
        return JSONResponse(body, status_code=self.status, headers=headers)


@dataclass(frozen=True, slots=True)
class SimRequest:
    """One request the app received (kept in `requests`)."""

    method: str
    path: str
    query: str
    status: int


def _store_error(exc: StoreError) -> ApiError:
    if isinstance(exc, KeyError):  # UnknownProject, UnknownRecord
        return ApiError(404, "not_found", exc.message)
    if isinstance(exc, Conflict):
        return ApiError(
            409,
            "version_mismatch",
            exc.message,
            current_version=exc.actual,
            expected_version=exc.expected,
        )
    status = {"conflict": 409, "idempotency_key_reused": 422}.get(exc.code, 400)
    return ApiError(status, exc.code, exc.message)


def _endpoint(fn: Callable[[SimApp, Request], Awaitable[Response]]) -> Any:
    """Wrap a handler: typed refusals become JSON errors; a bug becomes a JSON 500, logged."""

    async def wrapper(self: SimApp, request: Request) -> Response:
        try:
            return await fn(self, request)
        except ApiError as exc:
            return exc.response()
        except StoreError as exc:
            return _store_error(exc).response()
        except Exception:
            log.exception("simulator bug on %s %s", request.method, request.url.path)
            return ApiError(500, "internal", "internal simulator error (logged)").response()

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _check_json(value: Any) -> None:
    """Refuse what JSON parses but no record can hold: depth, lone surrogates, huge numbers.

    Iterative, so its own depth is bounded by `MAX_JSON_DEPTH`, not the stack.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ApiError(
                    400, "bad_json", f"request body is nested deeper than {MAX_JSON_DEPTH} levels"
                )
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ApiError(
                    400,
                    "bad_json",
                    "request body holds a lone UTF-16 surrogate escape (e.g. \\ud800); "
                    "send valid Unicode text",
                ) from None
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int) and not _MIN_INT <= item <= _MAX_ID:
            raise ApiError(400, "bad_json", "a number in the body does not fit in 64 bits")
        elif isinstance(item, float) and not math.isfinite(item):
            raise ApiError(400, "bad_json", "a number in the body is too large for a float")


class _RecordIdConvertor(Convertor[str]):
    """Route ``{record_id:record_id}``: ASCII digits of any length, checked in the handler.

    Starlette's ``int`` convertor calls ``int()`` during routing, outside any handler, so a
    5,000-digit id raised ``ValueError`` (Python's int-string limit) and answered 500.
    """

    regex = "[0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


register_url_convertor("record_id", _RecordIdConvertor())
_RECORD_PATH = "/projects/{slug}/records/{record_id:record_id}"


def _parse_if_match(request: Request) -> int | None:
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip()
    value = value.removeprefix("W/")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not _DIGITS.fullmatch(value):
        raise ApiError(
            400,
            "bad_if_match",
            f'If-Match must be a record version like "3" (the ETag), got {raw[:40]!r}',
        )
    return int(value)


def _parse_since(raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(
            400,
            "bad_since",
            f"since={raw[:100]!r} is not ISO-8601; send e.g. 2026-01-01T00:00:00.000000Z",
        ) from None
    if value.tzinfo is None:
        raise ApiError(400, "bad_since", f"since={raw!r} has no timezone; append Z or +00:00")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-14:00 is after year 9999 in UTC
        raise ApiError(
            400, "bad_since", f"since={raw!r} is outside years 1-9999 once converted to UTC"
        ) from None


def _int_param(request: Request, name: str, minimum: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= _MAX_ID:
        raise ApiError(
            400,
            f"bad_{name}",
            f"{name}={raw[:40]!r} must be an integer from {minimum} to {_MAX_ID}",
        )
    return int(raw)


def _record_id(request: Request) -> int:
    raw = request.path_params["record_id"]
    if not _DIGITS.fullmatch(raw):
        raise ApiError(
            400,
            "bad_record_id",
            f"record id {raw[:40]}… is longer than 19 digits; ids are positive 64-bit integers",
        )
    value = int(raw)
    if value < 1 or value > _MAX_ID:
        raise ApiError(
            404, "not_found", f"record {value} does not exist (ids are positive integers)"
        )
    return value


def _etag(record: Record) -> dict[str, str]:
    return {"ETag": f'"{record.version}"'}


class SimApp:
    """The simulator: an ASGI callable over a `SimStore`, with switchable faults.

    Attributes tests and the conformance kit use: ``store``, ``faults`` (mutate it in
    place), ``requests`` (the most recent requests, newest last) and ``clock``.
    """

    def __init__(
        self,
        store: SimStore,
        *,
        faults: Faults | None = None,
        clock: Clock | None = None,
        token: Secret | str | None = None,
        admin_token: Secret | str | None = None,
        default_page_size: int = 30,
        max_page_size: int = 100,
        max_body: int = MAX_BODY,
        body_timeout: float = BODY_TIMEOUT,
        request_log: int = 1000,
    ) -> None:
        if not 1 <= default_page_size <= max_page_size:
            raise ValueError("need 1 <= default_page_size <= max_page_size")
        self.store = store
        self.faults = faults if faults is not None else Faults()
        self.clock: Clock = clock or store.clock
        self._token = Secret(token) if isinstance(token, str) else token
        self._admin_token = Secret(admin_token) if isinstance(admin_token, str) else admin_token
        if self._admin_token is not None and not self._admin_token.reveal():
            raise ValueError("admin_token must not be empty")
        self.body_timeout = body_timeout
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size
        self.max_body = max_body
        self.requests: deque[SimRequest] = deque(maxlen=request_log)
        self.limiter = FixedWindowLimiter()
        self._router = Starlette(
            routes=[
                Route("/healthz", self._healthz, methods=["GET"]),
                Route("/projects", self._list_projects, methods=["GET"]),
                Route("/projects", self._create_project, methods=["POST"]),
                Route("/projects/{slug}", self._get_project, methods=["GET"]),
                Route("/projects/{slug}/records", self._list_records, methods=["GET"]),
                Route("/projects/{slug}/records", self._create_record, methods=["POST"]),
                Route(_RECORD_PATH, self._get, methods=["GET"]),
                Route(_RECORD_PATH, self._patch, methods=["PATCH"]),
                Route(_RECORD_PATH, self._delete, methods=["DELETE"]),
                Route(_RECORD_PATH + "/close", self._close, methods=["POST"]),
                Route("/_admin/faults", self._admin_faults, methods=["GET", "PUT", "PATCH"]),
            ],
            exception_handlers={HTTPException: self._http_exception},
        )

    def __repr__(self) -> str:
        return f"SimApp({self.store!r})"

    # -- ASGI entry point --------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._router(scope, receive, send)
            return
        status_box = [0]

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = int(message["status"])
            await send(message)

        try:
            await self._serve(scope, receive, logged_send)
        finally:
            self.requests.append(
                SimRequest(
                    method=scope["method"],
                    path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=status_box[0],
                )
            )

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        path: str = scope["path"]
        if path == "/healthz":
            await self._router(scope, receive, send)
            return
        if self._token is not None and not self._authorized(request):
            await ApiError(
                401,
                "unauthorized",
                "missing or wrong bearer token; set REPOSIX_SIM_TOKEN to the token "
                "the simulator was started with",
            ).response({"WWW-Authenticate": 'Bearer realm="reposix-sim"'})(scope, receive, send)
            return
        length = request.headers.get("content-length", "")
        if length and not (_DIGITS.fullmatch(length) and int(length) <= self.max_body):
            await self._too_large().response()(scope, receive, send)
            return
        if path == "/_admin" or path.startswith("/_admin/"):
            refusal = self._admin_refusal(request)
            if refusal is not None:
                await refusal.response()(scope, receive, send)
                return
            await self._router(scope, receive, send)
            return
        await self._with_faults(scope, receive, send, request)

    def _authorized(self, request: Request) -> bool:
        assert self._token is not None
        sent = request.headers.get("authorization", "")
        expected = "Bearer " + self._token.reveal()
        return hmac.compare_digest(sent.encode(), expected.encode())

    @property
    def admin_enabled(self) -> bool:
        """Whether ``/_admin`` answers (only when built with an ``admin_token``)."""
        return self._admin_token is not None

    def _admin_refusal(self, request: Request) -> ApiError | None:
        if self._admin_token is None:
            return ApiError(
                404,
                "admin_disabled",
                "the /_admin endpoints are off; start the simulator for fault injection "
                "(reposix sim --fault-injection) and send its admin token",
            )
        sent = request.headers.get(ADMIN_TOKEN_HEADER.lower(), "")
        if not hmac.compare_digest(sent.encode(), self._admin_token.reveal().encode()):
            return ApiError(
                401,
                "unauthorized",
                f"missing or wrong admin token; send the {ADMIN_TOKEN_HEADER} header with "
                "the token `reposix sim --fault-injection` printed (or --admin-token)",
            )
        return None

    def _too_large(self) -> ApiError:
        return ApiError(
            413,
            "body_too_large",
            f"request body exceeds {self.max_body} bytes; split the content",
            limit=self.max_body,
        )

    async def _with_faults(
        self, scope: Scope, receive: Receive, send: Send, request: Request
    ) -> None:
        faults = self.faults
        if faults.redirect_to is not None:
            target, faults.redirect_to = faults.redirect_to, None
            await Response(status_code=302, headers={"Location": target})(scope, receive, send)
            return
        if faults.latency > 0:
            await self.clock.sleep(faults.latency)
        extra: dict[str, str] = {}
        if faults.rate_limit is not None:
            agent = request.headers.get("x-reposix-agent", "anonymous")
            allowed, remaining, reset_in = self.limiter.hit(
                agent, self.clock.monotonic(), faults.rate_limit, faults.rate_window
            )
            extra = self._limit_headers(faults.rate_limit, remaining, reset_in)
            if not allowed:
                extra["Retry-After"] = self._retry_after(reset_in, faults.retry_after_format)
                await ApiError(
                    429,
                    "rate_limited",
                    f"more than {faults.rate_limit} requests in {faults.rate_window:g}s; "
                    "wait for Retry-After",
                    retry_after=math.ceil(reset_in),
                ).response(extra)(scope, receive, send)
                return
        entry = faults.next_scheduled(scope["method"])
        if entry is not None and entry != "ok":
            early = self._scheduled_response(entry)
            if early is not None:
                await early(scope, receive, send)
                return
            if entry == "remaining0":
                extra.update(self._limit_headers(1, 0, faults.retry_after))
            else:
                await self._after_handler(entry, scope, receive, send)
                return
        await self._router(scope, receive, _add_headers(send, extra))

    def _limit_headers(self, limit: int, remaining: int, reset_in: float) -> dict[str, str]:
        reset_at = math.ceil(self.clock.now().timestamp() + reset_in)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset_at),
        }

    def _retry_after(self, seconds: float, style: str) -> str:
        if style == "http-date":
            when = self.clock.now() + timedelta(seconds=seconds)
            when = when.replace(microsecond=0) + timedelta(seconds=1 if when.microsecond else 0)
            return format_datetime(when.astimezone(UTC), usegmt=True)
        return str(math.ceil(seconds))

    def _scheduled_response(self, entry: str) -> Response | None:
        wait = self.faults.retry_after
        if entry in ("429", "429-date"):
            style = "http-date" if entry == "429-date" else "seconds"
            return ApiError(
                429, "rate_limited", "injected rate limit", retry_after=math.ceil(wait)
            ).response({"Retry-After": self._retry_after(wait, style)})
        if entry in ("429-remaining0", "403-ratelimit"):
            status = 429 if entry == "429-remaining0" else 403
            return ApiError(status, "rate_limited", "injected rate limit").response(
                self._limit_headers(1, 0, wait)
            )
        if entry.isdigit():
            return ApiError(int(entry), "injected", f"injected HTTP {entry}").response()
        return None

    async def _after_handler(self, entry: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the handler (its write commits), then damage or replace its response."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._router(scope, receive, capture)
        body = b"".join(chunks)
        if entry.endswith("-after"):
            status = int(entry.removesuffix("-after"))
            await ApiError(status, "injected", f"injected HTTP {status} after commit").response()(
                scope, receive, send
            )
            return
        body = b'{"not json' if entry == "malformed" else body[: len(body) // 2]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = (
            f"no route for {request.method} {request.url.path}; see docs/simulator.md"
            if exc.status_code == 404
            else f"{request.method} is not allowed on {request.url.path}"
        )
        return ApiError(exc.status_code, code, message).response(
            dict(exc.headers) if exc.headers else None
        )

    # -- helpers -----------------------------------------------------------------------------

    async def _body(self, request: Request) -> bytes:
        """The whole body, at most ``max_body`` bytes, arriving within ``body_timeout`` s."""
        data = bytearray()
        try:
            async with asyncio.timeout(self.body_timeout):
                async for chunk in request.stream():
                    data.extend(chunk)
                    if len(data) > self.max_body:
                        raise self._too_large()
        except TimeoutError:
            raise ApiError(
                408,
                "body_timeout",
                f"the request body did not arrive within {self.body_timeout:g}s "
                f"({len(data)} bytes received); send the Content-Length you announce",
            ) from None
        return bytes(data)

    def _json(self, raw: bytes) -> dict[str, Any]:
        try:
            value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except RecursionError:
            raise ApiError(
                400, "bad_json", f"request body is nested deeper than {MAX_JSON_DEPTH} levels"
            ) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(
                400, "bad_json", f"request body is not valid UTF-8 JSON: {str(exc)[:200]}"
            ) from None
        if not isinstance(value, dict):
            raise ApiError(400, "bad_json", "request body must be a JSON object")
        _check_json(value)
        return value

    def record_json(self, record: Record, request: Request) -> dict[str, Any]:
        """A record as the wire sends it (fixed-width microsecond timestamps, decoys if on)."""
        data = record.model_dump(mode="json")
        data["created_at"] = format_ts(record.created_at)
        data["updated_at"] = format_ts(record.updated_at)
        if self.faults.decoys:
            slug = request.path_params.get("slug", "")
            origin = self.faults.decoy_origin.rstrip("/")
            data["url"] = f"{origin}/api/projects/{slug}/records/{record.id}"
            data["html_url"] = f"{origin}/{slug}/records/{record.id}"
        return data

    @staticmethod
    def _project_json(project: Project) -> dict[str, Any]:
        return {
            "slug": project.slug,
            "name": project.name,
            "created_at": format_ts(project.created_at),
        }

    # -- routes ------------------------------------------------------------------------------

    async def _healthz(self, request: Request) -> Response:
        """Liveness probe: answers while the process serves.

        Response: 200 ``{"status": "ok"}``; never authenticated, rate limited or faulted.
        Source: the ``/healthz`` convention of Kubernetes probes,
        https://kubernetes.io/docs/reference/using-api/health-checks/
        """
        return JSONResponse({"status": "ok"})

    @_endpoint
    async def _list_projects(self, request: Request) -> Response:
        """List every project.

        Response: 200 ``[{"slug", "name", "created_at"}]``, in creation order, unpaged.
        Source: the simulator's own shape (projects exist explicitly; see the rules on the
        simulator page).
        """
        return JSONResponse([self._project_json(p) for p in self.store.projects()])

    @_endpoint
    async def _create_project(self, request: Request) -> Response:
        """Create an empty project.

        Request: ``{"slug": str, "name": str | null}``; the slug is 1-64 characters of
        ``[A-Za-z0-9._-]`` starting with a letter or digit.
        Response: 201 project, ``Location: /projects/{slug}``.
        Errors: 400 ``bad_json``, ``unknown_field``, ``invalid_field``, ``invalid_slug``;
        409 ``conflict`` (the slug is taken).
        Source: 201 with ``Location`` as RFC 9110 defines it,
        https://www.rfc-editor.org/rfc/rfc9110#name-201-created
        """
        data = self._json(await self._body(request))
        unknown = sorted(set(data) - {"slug", "name"})
        if unknown:
            raise ApiError(400, "unknown_field", f"unknown field(s) {', '.join(unknown)}")
        slug, name = data.get("slug"), data.get("name")
        if not isinstance(slug, str) or not (name is None or isinstance(name, str)):
            raise ApiError(400, "invalid_field", "slug must be a string, name a string or null")
        self.store.add_project(slug, name, exist_ok=False)
        return JSONResponse(
            self._project_json(self.store.project(slug)),
            status_code=201,
            headers={"Location": f"/projects/{slug}"},
        )

    @_endpoint
    async def _get_project(self, request: Request) -> Response:
        """Read one project.

        Response: 200 ``{"slug", "name", "created_at"}``.
        Errors: 404 ``not_found`` (no such project).
        Source: the simulator's own shape.
        """
        return JSONResponse(self._project_json(self.store.project(request.path_params["slug"])))

    @_endpoint
    async def _list_records(self, request: Request) -> Response:
        """List a project's records by id, one page per request; or search them.

        Request: ``?per_page=`` (1 to the maximum page size, default 30), ``?since=``
        (ISO-8601 with a zone: only records updated strictly after it), ``?after=`` and
        ``?page=`` (the keyset cursor the ``Link`` header carries); or ``?q=`` (full-text
        search: every match, best first, on one page).
        Response: 200 ``[record]``; ``Link: <url>; rel="next"`` while pages remain;
        ``X-Total-Count`` (records matching ``since``).
        Errors: 400 ``bad_since``, ``bad_per_page``, ``bad_after``, ``bad_page``;
        404 ``not_found`` (no such project).
        Source: ``Link``-header paging as GitHub's REST API pages,
        https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
        (header syntax: RFC 8288, https://www.rfc-editor.org/rfc/rfc8288)
        """
        slug = request.path_params["slug"]
        if "q" in request.query_params:
            # Full-text search (reposix._search): every match, best first, one page.
            query = request.query_params["q"]
            hits = [r for r in self.store.list(slug) if text_matches(query, r.title, r.body)]
            hits.sort(key=lambda r: (-text_rank(query, r.title, r.body), r.id))
            return JSONResponse([self.record_json(r, request) for r in hits])
        raw_since = request.query_params.get("since", "")
        since = _parse_since(raw_since) if raw_since else None
        per_page = _int_param(request, "per_page", 1)
        after = _int_param(request, "after", 0) or 0
        page = _int_param(request, "page", 1) or 1
        faults = self.faults
        size = faults.page_size or min(per_page or self.default_page_size, self.max_page_size)
        # Keyset paging in the store: a page costs O(page), not O(collection).
        total = self.store.count(slug, since=since)

        def link(after_id: int, page_no: int) -> str:
            params: dict[str, Any] = {"per_page": size}
            if raw_since:
                params["since"] = raw_since
            params["after"] = after_id
            params["page"] = page_no
            return str(request.url.replace(query=urlencode(params)))

        # One page plan for the simulator and the kit's fakes (reposix._faults); the
        # simulator walks it by keyset (``after``), so a page costs O(page).
        plan = plan_pages(total, size, faults)
        index = page - 1
        items: list[Record] = []
        next_url: str | None = None
        if 0 <= index < len(plan):
            start, end = plan[index]
            if end > start:
                items = self.store.list(slug, since=since, after=after, limit=end - start)
            last = items[-1].id if items else after
            target = next_index(index, len(plan), faults)
            if target is not None:
                keyset = 0 if target == 0 else after if target == index else last
                next_url = link(keyset, target + 1)
            if faults.foreign_next and index == 0:
                foreign = faults.foreign_origin.rstrip("/")
                next_url = foreign + request.url.path + "?" + urlencode({"after": last, "page": 2})
            if index == 0 and faults.mid_listing is not None:
                order = [r.id for r in self.store.list(slug, since=since)]
                served = [r.id for r in items]
                apply_mid_listing(faults, self.store, slug, served=served, order=order)
        headers = {"X-Total-Count": str(total)}
        if next_url is not None:
            headers["Link"] = f'<{next_url}>; rel="next"'
        body = [self.record_json(r, request) for r in items]
        return JSONResponse(body, headers=headers)

    @_endpoint
    async def _create_record(self, request: Request) -> Response:
        """Create a record from its user fields (``title`` required).

        Request: ``{"title", "status"?, "assignee"?, "labels"?, "body"?, "parent_id"?,
        "extensions"?}``; optional ``Idempotency-Key`` header (1-255 characters).
        Response: 201 record (version 1), ``Location``, ``ETag: "1"``; a replay of the same
        key and body returns the first response plus ``Idempotent-Replayed: true``.
        Errors: 400 ``server_field``, ``unknown_field``, ``invalid_field``,
        ``invalid_parent``, ``bad_idempotency_key``; 404 ``not_found``;
        422 ``idempotency_key_reused`` (same key, different body).
        Source: the IETF Idempotency-Key draft,
        https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/, and
        ``Idempotent-Replayed`` as Stripe sends it, https://docs.stripe.com/api/idempotent_requests
        """
        slug = request.path_params["slug"]
        raw = await self._body(request)
        data = self._json(raw)
        server = sorted(SERVER_FIELDS & set(data))
        if server:
            raise ApiError(
                400,
                "server_field",
                f"{', '.join(server)} set by the server; remove it from the create body",
            )
        unknown = sorted(set(data) - USER_FIELDS)
        if unknown:
            raise ApiError(
                400,
                "unknown_field",
                f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(USER_FIELDS))}",
            )
        try:
            draft = RecordDraft.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise InvalidChange("invalid_field", f"{loc}: {first['msg']}") from None
        key = request.headers.get("idempotency-key")
        if key is not None and not 1 <= len(key) <= 255:
            raise ApiError(400, "bad_idempotency_key", "Idempotency-Key must be 1-255 characters")
        record, replayed = self.store.create(
            slug, draft, idempotency_key=key, request_fingerprint=fingerprint(raw)
        )
        headers = {"Location": f"/projects/{slug}/records/{record.id}", **_etag(record)}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return JSONResponse(self.record_json(record, request), status_code=201, headers=headers)

    @_endpoint
    async def _get(self, request: Request) -> Response:
        """Read one record.

        Response: 200 record, ``ETag: "<version>"``.
        Errors: 400 ``bad_record_id``; 404 ``not_found``.
        Source: ``ETag`` as RFC 9110 defines it, https://www.rfc-editor.org/rfc/rfc9110#name-etag
        """
        record = self.store.require(request.path_params["slug"], _record_id(request))
        return JSONResponse(self.record_json(record, request), headers=_etag(record))

    @_endpoint
    async def _patch(self, request: Request) -> Response:
        """Change some user fields of a record; ``null`` clears ``assignee`` or ``parent_id``.

        Request: a JSON object of user fields; optional ``If-Match: "<version>"``
        (``3`` and ``W/"3"`` accepted, ``*`` means any).
        Response: 200 record, ``ETag``; a change that changes nothing bumps no version.
        Errors: 400 ``bad_json``, ``unknown_field``, ``server_field``, ``invalid_field``,
        ``invalid_parent``, ``bad_if_match``; 404 ``not_found``;
        409 ``version_mismatch`` with ``current_version`` and ``expected_version``.
        Source: ``If-Match`` preconditions of RFC 9110,
        https://www.rfc-editor.org/rfc/rfc9110#name-if-match
        """
        slug, record_id = request.path_params["slug"], _record_id(request)
        expected = _parse_if_match(request)
        raw = await self._body(request)
        changes = self._json(raw) if raw.strip() else {}
        record = self.store.update(slug, record_id, changes, expected)
        return JSONResponse(self.record_json(record, request), headers=_etag(record))

    @_endpoint
    async def _delete(self, request: Request) -> Response:
        """Delete a record for good (its id is never reused).

        Request: optional ``If-Match: "<version>"``.
        Response: 204, no body.
        Errors: 400 ``bad_if_match``; 404 ``not_found``; 409 ``version_mismatch``.
        Source: RFC 9110 DELETE and ``If-Match``,
        https://www.rfc-editor.org/rfc/rfc9110#name-delete
        """
        slug, record_id = request.path_params["slug"], _record_id(request)
        self.store.delete(slug, record_id, _parse_if_match(request))
        return Response(status_code=204)

    @_endpoint
    async def _close(self, request: Request) -> Response:
        """Close a record with a reason: ``completed`` sets ``done``, the others ``wont_fix``.

        Request: ``{"reason": "completed" | "not_planned" | "duplicate" | "abandoned"}``;
        optional ``If-Match``.
        Response: 200 record, ``ETag``; closing to the current status changes nothing.
        Errors: 400 ``invalid_field``, ``bad_if_match``; 404 ``not_found``;
        409 ``version_mismatch``.
        Source: close reasons as GitHub's ``state_reason``,
        https://docs.github.com/en/rest/issues/issues#update-an-issue
        """
        slug, record_id = request.path_params["slug"], _record_id(request)
        expected = _parse_if_match(request)
        data = self._json(await self._body(request))
        reasons = ", ".join(r.value for r in DeleteReason)
        if set(data) != {"reason"}:
            raise ApiError(400, "invalid_field", f'send {{"reason": …}} with one of: {reasons}')
        try:
            reason = DeleteReason(data["reason"])
        except ValueError:
            raise ApiError(
                400, "invalid_field", f"reason {data['reason']!r} is not one of: {reasons}"
            ) from None
        record = self.store.close_record(slug, record_id, reason, expected)
        return JSONResponse(self.record_json(record, request), headers=_etag(record))

    @_endpoint
    async def _admin_faults(self, request: Request) -> Response:
        """Read (GET), replace (PUT) or change (PATCH) the fault knobs.

        Request: ``X-Reposix-Admin-Token`` header; PUT and PATCH take a JSON object of
        knobs (the simulator page lists them); PUT resets the others to their defaults.
        Response: 200 every knob's current value; a write also resets the rate limiter.
        Errors: 400 ``invalid_field`` (unknown knob or bad value); 401 ``unauthorized``
        (wrong admin token); 404 ``admin_disabled`` (started without fault injection).
        Source: the simulator's own admin API (no vendor has one).
        """
        if request.method != "GET":
            data = self._json(await self._body(request))
            try:
                new = Faults.from_json(
                    data, base=self.faults if request.method == "PATCH" else None
                )
            except ValueError as exc:
                raise ApiError(400, "invalid_field", str(exc)) from None
            for f in fields(Faults):
                setattr(self.faults, f.name, getattr(new, f.name))
            self.limiter.reset()
        return JSONResponse(self.faults.to_json())


def _add_headers(send: Send, extra: dict[str, str]) -> Send:
    if not extra:
        return send
    encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]

    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *encoded]
        await send(message)

    return wrapped


def create_app(
    store: SimStore | None = None,
    *,
    seed: bool = True,
    faults: Faults | None = None,
    clock: Clock | None = None,
    token: Secret | str | None = None,
    admin_token: Secret | str | None = None,
    default_page_size: int = 30,
    max_page_size: int = 100,
) -> SimApp:
    """A simulator app. Without ``store``, an in-memory one (on ``clock``) with the demo seed.

    ``seed`` loads the built-in demo seed into a store that has no projects yet;
    ``admin_token`` turns on the ``/_admin`` fault-injection endpoints (off without it).
    """
    if store is None:
        store = SimStore(clock=clock)
    if seed and not store.projects():
        from reposix.sim._seed import apply_seed

        apply_seed(store)
    return SimApp(
        store,
        faults=faults,
        clock=clock,
        token=token,
        admin_token=admin_token,
        default_page_size=default_page_size,
        max_page_size=max_page_size,
    )
