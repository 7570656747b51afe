"""The typed error hierarchy. Every message starts with a stable lowercase prefix."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from reposix._redact import redact_text

__all__ = [
    "DOCS",
    "AuditError",
    "AuditTampered",
    "AuthError",
    "ConfigError",
    "EgressDenied",
    "InvalidRecord",
    "MissingCredentials",
    "NotFound",
    "NotSupported",
    "ProtocolError",
    "RateLimited",
    "ReposixError",
    "TransportError",
    "VersionMismatch",
]

DOCS = "docs"
"""Where error messages point: the documentation pages of the reposix repository
(``docs/<page>.md#<anchor>``, the sources of the mkdocs site). A path, not a URL: the
project owns no docs host, and every target is checked to exist by the test suite."""


class ReposixError(Exception):
    """Base of every error the SDK raises on purpose; catch this, not ``Exception``.

    The message and hint pass through the process-wide secret redaction when the error
    is built (``docs/trust-model.md#secrets``), so no connector can put a registered
    secret into an error, whatever server text it quotes.
    """

    prefix: ClassVar[str] = "reposix error"
    doc_page: ClassVar[str] = "errors.md"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = redact_text(message)
        self.hint = redact_text(hint) if hint else hint
        super().__init__(self._render())

    def _render(self) -> str:
        text = f"{self.prefix}: {self.message}"
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text + f"\n  docs: {DOCS}/{self.doc_page}"

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self) -> tuple[object, ...]:
        # ``Exception`` pickles as ``cls(*args)``: args hold the rendered text, which a
        # second ``__init__`` would prefix again, and subclasses take keyword fields.
        return (_restore, (type(self), self.__dict__.copy()))


def _restore(cls: type[ReposixError], state: dict[str, object]) -> ReposixError:
    """Rebuild a pickled error without running ``__init__`` a second time."""
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._render())
    return error


class NotFound(ReposixError):
    """The project or record does not exist (HTTP 404 or equivalent)."""

    prefix = "not found"


class NotSupported(ReposixError):
    """The connector declares it cannot do this; nothing was sent."""

    prefix = "not supported"
    doc_page = "backend.md#capabilities"


class VersionMismatch(ReposixError):
    """The record changed since it was read: optimistic concurrency refused the write."""

    prefix = "version mismatch"
    doc_page = "backend.md#versioning"

    def __init__(
        self, message: str, *, expected: int | None, actual: int | None, hint: str | None = None
    ) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            message,
            hint=hint or "re-read the record, re-apply your change and retry with its version",
        )


class RateLimited(ReposixError):
    """The server refused for rate limiting longer than the SDK is allowed to wait."""

    prefix = "rate limited"
    doc_page = "rate-limits.md"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        until: datetime | None = None,
        hint: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        self.until = until
        super().__init__(
            message,
            hint=hint
            or "wait until the reset time, lower the connector's request budget, "
            "or raise RateLimitPolicy.max_total_wait",
        )


class AuthError(ReposixError):
    """The server rejected the credentials (HTTP 401, or a 403 that is not a rate limit)."""

    prefix = "auth error"
    doc_page = "credentials.md"

    def __init__(
        self, message: str, *, env_vars: Sequence[str] = (), hint: str | None = None
    ) -> None:
        self.env_vars = tuple(env_vars)
        if hint is None and self.env_vars:
            hint = "check " + ", ".join(self.env_vars)
        super().__init__(message, hint=hint)


class EgressDenied(ReposixError):
    """A request was refused before any byte was sent: its origin is not allowlisted."""

    prefix = "egress denied"
    doc_page = "http.md#allowlist"

    def __init__(self, origin: str, allowlist: Sequence[str], *, detail: str = "") -> None:
        self.origin = origin
        self.allowlist = tuple(allowlist)
        shown = ", ".join(self.allowlist) or "(empty)"
        super().__init__(
            f"{origin} is not in the allowlist [{shown}]" + (f" ({detail})" if detail else ""),
            hint=f"add {origin} to REPOSIX_ALLOWED_ORIGINS (comma-separated scheme://host[:port])",
        )


class ProtocolError(ReposixError):
    """The server sent something we cannot understand; nothing was guessed or dropped."""

    prefix = "protocol error"
    doc_page = "errors.md#protocol-error"

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        status: int | None = None,
        excerpt: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.method = method
        self.url = redact_text(url) if url else url
        self.status = status
        self.excerpt = redact_text(excerpt) if excerpt else excerpt
        where = " ".join(str(p) for p in (method, self.url) if p)
        if status is not None:
            where += f" -> {status}"
        text = message + (f" [{where}]" if where else "")
        if self.excerpt:
            text += f"\n  body: {self.excerpt[:200]!r}"
        super().__init__(text, hint=hint)


class TransportError(ReposixError):
    """The connection failed or timed out after the retries the SDK allows."""

    prefix = "transport error"
    doc_page = "http.md#timeouts-and-retries"


class InvalidRecord(ReposixError):
    """A record (from a user or a file) does not satisfy the Record schema."""

    prefix = "invalid record"
    doc_page = "records.md"


class ConfigError(ReposixError):
    """A setting (env var, option, URL) is malformed."""

    prefix = "config error"
    doc_page = "configuration.md"


class AuditError(ReposixError):
    """An audit row could not be written: the request it describes happened, unlogged.

    Raised to the caller of the request whose write failed (or of ``flush``/``close``),
    after retries; the rows stay buffered and are retried on the next write.
    """

    prefix = "audit error"
    doc_page = "audit.md"


class AuditTampered(AuditError):
    """The audit log was changed behind the SDK's back (rows, table or triggers)."""

    prefix = "audit log tampered"
    doc_page = "trust-model.md#audit-log"


class MissingCredentials(ReposixError):
    """Required credential env vars are unset; lists every one of them."""

    prefix = "missing credentials"
    doc_page = "credentials.md"

    def __init__(self, connector: str, missing: Sequence[str], *, doc_page: str | None = None):
        self.connector = connector
        self.missing = tuple(missing)
        if doc_page:
            self.doc_page = doc_page  # type: ignore[misc]
        lines = "\n".join(f"    {name}" for name in self.missing)
        super().__init__(
            f"the {connector} connector needs these environment variables:\n{lines}",
            hint="export each of them (values are never logged)",
        )
