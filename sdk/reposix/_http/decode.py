"""Turning responses into typed values or typed errors (never a bare KeyError/ValidationError)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from reposix._errors import (
    AuthError,
    NotFound,
    ProtocolError,
    RateLimited,
    ReposixError,
    VersionMismatch,
)
from reposix._http.redact import redact_text, redact_url

__all__ = ["decode", "excerpt", "protocol_error", "raise_for_status"]

T = TypeVar("T")


def excerpt(response: httpx.Response, limit: int = 200) -> str:
    """The start of a response body for error messages, with secrets masked."""
    try:
        text = response.content[: limit * 2].decode("utf-8", errors="replace")
    except httpx.ResponseNotRead:
        return ""
    return redact_text(text)[:limit]


def _where(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        request = response.request
    except RuntimeError:  # a Response built by hand has no request
        return None, None
    return request.method, redact_url(request.url)


def protocol_error(
    response: httpx.Response, message: str, *, hint: str | None = None
) -> ProtocolError:
    """A `ProtocolError` describing ``response``: method, redacted URL, status, excerpt."""
    method, url = _where(response)
    return ProtocolError(
        redact_text(message),
        method=method,
        url=url,
        status=response.status_code,
        excerpt=excerpt(response),
        hint=hint,
    )


def decode(response: httpx.Response, adapter: TypeAdapter[T], what: str = "response") -> T:
    """Validate the whole body with ``adapter`` in one pass.

    Bad JSON, a wrong shape or a missing field is a [`ProtocolError`][reposix.ProtocolError]
    naming the first offending location, never a bare ``ValidationError``.
    """
    try:
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        loc = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        msg = errors[0]["msg"] if errors else "invalid"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        detail = f"{msg} at {loc or '<root>'}{more}"
        raise protocol_error(response, f"unexpected {what} shape: {detail}") from None
    except httpx.ResponseNotRead:
        raise protocol_error(response, f"{what}: the body was never read") from None


def raise_for_status(
    response: httpx.Response,
    *,
    what: str,
    env_vars: Sequence[str] = (),
    conflict_version: int | None = None,
) -> None:
    """Map an error status to the SDK's typed errors; return quietly on 2xx.

    404/410 → NotFound, 401/403 → AuthError (naming ``env_vars``), 409/412 →
    VersionMismatch, 429 → RateLimited, anything else (3xx included) →
    ProtocolError with method, redacted URL, status and a body excerpt.
    """
    status = response.status_code
    if 200 <= status < 300:
        return
    method, url = _where(response)
    where = f" [{method} {url}]" if method else ""
    err: ReposixError
    if status in (404, 410):
        err = NotFound(f"{what} (HTTP {status}){where}")
    elif status in (401, 403):
        err = AuthError(
            f"{what}: the server refused the credentials (HTTP {status}){where}",
            env_vars=env_vars,
        )
    elif status in (409, 412):
        err = VersionMismatch(
            f"{what}: the record changed on the server (HTTP {status}){where}",
            expected=conflict_version,
            actual=None,
        )
    elif status == 429:
        err = RateLimited(f"{what}: the server refused for rate limiting (HTTP 429){where}")
    elif 300 <= status < 400:
        location = redact_url(response.headers.get("location", "")) or "(no Location)"
        err = protocol_error(
            response,
            f"{what}: unexpected redirect to {location}",
            hint="request the final URL, or set ClientOpts.follow_redirects=True",
        )
    else:
        err = protocol_error(response, f"{what}: unexpected HTTP {status}")
    raise err
