"""Redaction of secrets from URLs, headers and log records."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import httpx

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "SENSITIVE_PARAMS", "redact_headers", "redact_url"]

REDACTED = "***"
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "private-token"}
)
SENSITIVE_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "api_key",
        "apikey",
        "key",
        "password",
        "secret",
        "private_token",
        "client_secret",
        "sig",
        "signature",
    }
)


def redact_url(url: str | httpx.URL, secrets: Iterable[str] = ()) -> str:
    """The URL without userinfo, with sensitive query values and known secrets masked."""
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else url
        parsed = parsed.copy_with(username=None, password=None)
        if parsed.query:
            params = [
                (k, REDACTED if k.lower() in SENSITIVE_PARAMS else v)
                for k, v in parsed.params.multi_items()
            ]
            parsed = parsed.copy_with(params=params)
        text = str(parsed)
    except Exception:
        text = str(url)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credential-bearing values masked."""
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


class RedactingFilter(logging.Filter):
    """A logging filter that masks known secret values in every record it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        cleaned = message
        for secret in self.secrets:
            if secret:
                cleaned = cleaned.replace(secret, REDACTED)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
