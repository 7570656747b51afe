"""The one HTTP client: allowlisted, audited, rate-gated, redacting."""

from reposix._http.allowlist import ALLOWLIST_ENV, Allowlist, Origin, origin_of
from reposix._http.auth import BasicAuth, BearerAuth, HeaderAuth
from reposix._http.client import IDEMPOTENT_METHODS, ClientOpts, HttpClient, client
from reposix._http.decode import (
    decode,
    error_body,
    excerpt,
    protocol_error,
    server_message,
    server_text,
)
from reposix._http.redact import redact_headers, redact_url
from reposix._http.status import DEFAULT_STATUSES, StatusRule, StatusTable, raise_for_status

__all__ = [
    "ALLOWLIST_ENV",
    "DEFAULT_STATUSES",
    "IDEMPOTENT_METHODS",
    "Allowlist",
    "BasicAuth",
    "BearerAuth",
    "ClientOpts",
    "HeaderAuth",
    "HttpClient",
    "Origin",
    "StatusRule",
    "StatusTable",
    "client",
    "decode",
    "error_body",
    "excerpt",
    "origin_of",
    "protocol_error",
    "raise_for_status",
    "redact_headers",
    "redact_url",
    "server_message",
    "server_text",
]
