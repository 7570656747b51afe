"""Redaction of secrets from URLs, headers, free text and log records.

Two layers: *known* secret values (every credential an [`HttpClient`][reposix.HttpClient] was
given is registered here, process-wide) are replaced wherever they appear, and
*shapes* that carry credentials (URL userinfo, ``?token=`` style parameters,
``Authorization: Bearer …``) are masked even when the value was never registered.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping

import httpx

__all__ = [
    "REDACTED",
    "SENSITIVE_HEADERS",
    "SENSITIVE_PARAMS",
    "RedactingFilter",
    "fresh_registry",
    "install_log_redaction",
    "known_secrets",
    "redact_headers",
    "redact_text",
    "redact_url",
    "register_secret",
]

REDACTED = "***"
"""What every redacted value is replaced with."""
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "private-token",
        "job-token",
        "x-auth-token",
        "x-access-token",
    }
)
"""Header names (lower-case) whose values are always masked."""
SENSITIVE_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "api_key",
        "apikey",
        "api-key",
        "key",
        "password",
        "passwd",
        "secret",
        "private_token",
        "client_secret",
        "sig",
        "signature",
        "auth",
        "code",
    }
)
"""Query parameter names (lower-case) whose values are always masked."""

_lock = threading.Lock()
_secrets: set[str] = set()

_PARAM_RE = re.compile(
    r"(?P<lead>[?&;](?:"
    + "|".join(re.escape(p) for p in sorted(SENSITIVE_PARAMS, key=len, reverse=True))
    + r")=)(?P<value>[^&#\s\"'<>]*)",
    re.IGNORECASE,
)
_USERINFO_RE = re.compile(r"(?P<lead>\b[a-z][a-z0-9+.-]*://)(?P<value>[^/?#@\s\"'<>]+)@", re.I)
# A credential after an auth scheme word. The value must look like a token (8+
# token characters, at least one digit or symbol) so prose such as "basic
# authentication" is left alone.
_TOKEN = r"(?=[^\s\"',;]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}"
_AUTH_SCHEME_RE = re.compile(
    r"(?P<lead>\b(?:bearer|basic|token|bot)\s+)(?P<value>" + _TOKEN + ")", re.I
)
_HEADER_LINE_RE = re.compile(
    r"(?P<lead>\b(?:"
    + "|".join(re.escape(h) for h in sorted(SENSITIVE_HEADERS, key=len, reverse=True))
    + r")(?:['\"]\s*,\s*b?['\"]|['\"]?\s*[:=]\s*(?:b?['\"])?)(?:(?:bearer|basic|token)\s+)?)"
    + r"(?P<value>[^\s\"',;]+)",
    re.IGNORECASE,
)


MIN_REGISTERED_LENGTH = 8
"""Shorter values are not masked process-wide (see `register_secret`)."""


def register_secret(value: str) -> None:
    """Remember ``value`` so every redaction in this process masks it (and its URL-encoded form).

    Values shorter than `MIN_REGISTERED_LENGTH` are skipped here: masking every ``x``
    or ``acme`` in every log line of the process would shred unrelated text (and the error
    messages other code matches on). A client still masks all of its own secrets, however
    short, in its own audit rows and errors.
    """
    if len(value) < MIN_REGISTERED_LENGTH:
        return
    with _lock:
        _secrets.add(value)
        quoted = urllib.parse.quote(value, safe="")
        if quoted != value:
            _secrets.add(quoted)
        plus = urllib.parse.quote_plus(value, safe="")
        if plus != value:
            _secrets.add(plus)


@contextlib.contextmanager
def fresh_registry() -> Iterator[None]:
    """Run a block as if this process had never registered a secret (restored after).

    For tests and the conformance kit: what a connector logs while it is being built,
    before its client registers the credential, must not rely on an earlier
    registration to be masked.
    """
    with _lock:
        saved = set(_secrets)
        _secrets.clear()
    try:
        yield
    finally:
        with _lock:
            _secrets.update(saved)


def known_secrets() -> frozenset[str]:
    """The secret values registered so far (for tests and custom sinks)."""
    with _lock:
        return frozenset(_secrets)


def _mask(match: re.Match[str]) -> str:
    value = match.group("value")
    return match.group("lead") + (value if value == REDACTED else REDACTED)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with known secrets and credential-shaped substrings masked."""
    values = known_secrets().union(s for s in secrets if s)
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted(values, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "://" in text:
        text = _USERINFO_RE.sub(lambda m: m.group("lead") + REDACTED + "@", text)
    if "=" in text:
        text = _PARAM_RE.sub(_mask, text)
    text = _AUTH_SCHEME_RE.sub(_mask, text)
    return _HEADER_LINE_RE.sub(_mask, text)


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
    return redact_text(text, secrets)


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """A copy of ``headers`` with credential-bearing values masked."""
    return {
        k: (REDACTED if k.lower() in SENSITIVE_HEADERS else redact_text(v, secrets))
        for k, v in headers.items()
    }


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every record it sees.

    ``secrets`` holds extra values on top of the process-wide registry. Attach
    it to your own handlers too if they receive records from outside reposix.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record, self.secrets)
        return True


def _redact_record(record: logging.LogRecord, extra: Iterable[str] = ()) -> None:
    if getattr(record, "_reposix_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:
        return
    cleaned = redact_text(message, extra)
    if cleaned != message:
        record.msg = cleaned
        record.args = None
    record._reposix_redacted = True


_filter = RedactingFilter()
_installed = False
_WATCHED_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "reposix",
    "reposix.http",
    "reposix.audit",
)


def install_log_redaction() -> None:
    """Redact every log record in this process (idempotent).

    httpx logs full request URLs at INFO and httpcore logs response headers at
    DEBUG, from child loggers that a filter on a parent does not see. So the
    redaction hooks the log-record factory (every record, whatever its logger),
    and also sits as a filter on the httpx/httpcore/reposix loggers in case
    something replaces the factory later.
    """
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    for name in _WATCHED_LOGGERS:
        logging.getLogger(name).addFilter(_filter)
