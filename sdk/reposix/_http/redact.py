"""Redaction of secrets from URLs, headers, free text and log records.

The registry and the text rules live in `reposix._redact` (so the error classes can
use them without importing HTTP); this module adds URLs, headers and the log hooks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping

import httpx

from reposix._redact import (
    MIN_REGISTERED_LENGTH,
    REDACTED,
    SENSITIVE_HEADERS,
    SENSITIVE_PARAMS,
    fresh_registry,
    known_secrets,
    redact_owned,
    redact_text,
    register_secret,
    secret_forms,
)

__all__ = [
    "MIN_REGISTERED_LENGTH",
    "REDACTED",
    "SENSITIVE_HEADERS",
    "SENSITIVE_PARAMS",
    "RedactingFilter",
    "fresh_registry",
    "install_log_redaction",
    "known_secrets",
    "redact_headers",
    "redact_owned",
    "redact_text",
    "redact_url",
    "register_secret",
    "secret_forms",
]

_lock = threading.Lock()


def redact_url(url: str | httpx.URL, secrets: Iterable[str] = ()) -> str:
    """The URL without userinfo, with sensitive query values and known secrets masked."""
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else url
        # Rebuilding a URL costs about ten times parsing one: only when something goes.
        if parsed.userinfo:
            parsed = parsed.copy_with(username=None, password=None)
        if parsed.query:
            params = parsed.params.multi_items()
            if any(k.lower() in SENSITIVE_PARAMS for k, _ in params):
                masked = [(k, REDACTED if k.lower() in SENSITIVE_PARAMS else v) for k, v in params]
                parsed = parsed.copy_with(params=masked)
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


_TRACEBACKS = logging.Formatter()


def _redact_record(record: logging.LogRecord, extra: Iterable[str] = ()) -> None:
    """Mask the message, the traceback (``log.exception``) and the stack of ``record``.

    The traceback is rendered once here and stored, redacted, in ``exc_text``, which
    ``logging.Formatter`` prints instead of rendering ``exc_info`` again.
    """
    if getattr(record, "_reposix_redacted", False):
        return
    record._reposix_redacted = True
    try:
        message = record.getMessage()
    except Exception:
        return
    cleaned = redact_text(message, extra)
    if cleaned != message:
        record.msg = cleaned
        record.args = None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = _TRACEBACKS.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_text(record.exc_text, extra)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info, extra)


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
