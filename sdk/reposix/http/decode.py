"""Turning responses into typed values or typed errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from reposix.errors import AuthError, NotFound, ProtocolError, ReposixError, VersionMismatch
from reposix.http.redact import redact_url

__all__ = ["decode", "excerpt", "protocol_error", "raise_for_status"]

T = TypeVar("T")


def excerpt(response: httpx.Response, limit: int = 200) -> str:
    """The start of a response body, for error messages."""
    try:
        return response.content[:limit].decode("utf-8", errors="replace")
    except httpx.ResponseNotRead:
        return ""


def protocol_error(response: httpx.Response, message: str) -> ProtocolError:
    """A :class:`ProtocolError` describing ``response``."""
    return ProtocolError(
        message,
        method=response.request.method,
        url=redact_url(response.request.url),
        status=response.status_code,
        excerpt=excerpt(response),
    )


def decode(response: httpx.Response, adapter: TypeAdapter[T], what: str = "response") -> T:
    """Validate the whole body with ``adapter`` in one pass; bad JSON is a ProtocolError."""
    try:
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        errors = exc.errors()
        loc = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        msg = errors[0]["msg"] if errors else "invalid"
        detail = f"{msg} at {loc or '<root>'}"
        raise protocol_error(response, f"unexpected {what} shape: {detail}") from None


def raise_for_status(
    response: httpx.Response,
    *,
    what: str,
    env_vars: Sequence[str] = (),
    conflict_version: int | None = None,
) -> None:
    """Map an error status to the SDK's typed errors; return quietly on 2xx."""
    status = response.status_code
    if 200 <= status < 300:
        return
    err: ReposixError
    if status == 404 or status == 410:
        err = NotFound(f"{what} (HTTP {status})")
    elif status in (401, 403):
        err = AuthError(
            f"{what}: the server refused the credentials (HTTP {status})", env_vars=env_vars
        )
    elif status in (409, 412):
        err = VersionMismatch(
            f"{what}: the record changed on the server (HTTP {status})",
            expected=conflict_version,
            actual=None,
        )
    else:
        err = protocol_error(response, f"{what}: unexpected HTTP {status}")
    raise err
