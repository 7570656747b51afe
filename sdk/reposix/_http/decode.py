"""Turning responses into typed values or typed errors (never a bare KeyError/ValidationError)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from reposix._errors import (
    ProtocolError,
)
from reposix._http.redact import redact_text, redact_url
from reposix._redact import OwnedSecrets

__all__ = [
    "decode",
    "error_body",
    "excerpt",
    "protocol_error",
    "server_message",
    "server_text",
]

T = TypeVar("T")

_SECRET_MARGIN = 1024
"""Bytes read past an excerpt's end, so a secret straddling the cut is still recognized
(and masked) before the text is clipped."""


def server_text(response: httpx.Response, text: str, limit: int = 300) -> str:
    """Text the server sent (a body, an error message, a header), ready for an error.

    The one redaction path for server text: the secrets of the client that received
    ``response`` are masked in every form, at any length and wherever they occur, then
    the process-wide rule applies; the result is clipped to ``limit`` characters only
    after masking, so a clipped secret never survives half-masked.
    """
    owned = response.extensions.get("reposix.secrets")
    cleaned = owned.redact(text) if isinstance(owned, OwnedSecrets) else redact_text(text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def excerpt(response: httpx.Response, limit: int = 200) -> str:
    """The start of a response body for error messages, with secrets masked."""
    try:
        raw = response.content[: limit * 4 + _SECRET_MARGIN]
    except httpx.ResponseNotRead:
        return ""
    return server_text(response, raw.decode("utf-8", errors="replace"), limit)


def error_body(response: httpx.Response, adapter: TypeAdapter[T]) -> T | None:
    """``response``'s body validated by ``adapter``, or None if it is not that shape.

    For reading fields of an error body (a current version, an error code); text from it
    that goes into a message goes through [`server_message`][reposix.server_message] instead.
    """
    try:
        return adapter.validate_json(response.content)
    except (ValueError, httpx.ResponseNotRead):
        return None


def server_message(
    response: httpx.Response,
    adapter: TypeAdapter[T],
    render: Callable[[T], str] = str,
    *,
    limit: int = 300,
) -> str:
    """The vendor's own error text from ``response``'s body, through `server_text`.

    ``adapter`` validates the vendor's error body (``ErrorCollection``, ``basic-error``…)
    and ``render`` turns it into one line. ``""`` when the body is not that shape.
    Connectors build error messages from response bodies only through this function,
    `excerpt` and `protocol_error` (``tests/hardening`` checks it).
    """
    try:
        text = render(adapter.validate_json(response.content))
    except (ValueError, TypeError, KeyError, AttributeError, httpx.ResponseNotRead):
        return ""  # pydantic's ValidationError is a ValueError
    return server_text(response, str(text), limit) if text else ""


def _where(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        request = response.request
    except RuntimeError:  # a Response built by hand has no request
        return None, None
    # A next link the server sent may hold anything: the URL is server text too.
    return request.method, server_text(response, redact_url(request.url), 2000)


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
