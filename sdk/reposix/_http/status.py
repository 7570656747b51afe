"""One table from an HTTP error status to the SDK's typed errors, with per-vendor overrides.

Every connector maps a final (post-retry) error response the same way: look the status
up, take the vendor's own error text through the one redaction path
([`server_message`][reposix.server_message]), build the typed error with a hint that
says how to fix it. The defaults follow the status semantics of RFC 9110 §15
(https://www.rfc-editor.org/rfc/rfc9110#section-15) and RFC 6585 §4 for 429
(https://www.rfc-editor.org/rfc/rfc6585#section-4):

| status | error | source |
| --- | --- | --- |
| 3xx (not followed) | `ProtocolError` naming the redacted `Location` | RFC 9110 §15.4 |
| 401 | `AuthError` naming the connector's env vars | RFC 9110 §15.5.2 |
| 403 | `AuthError` | RFC 9110 §15.5.4 |
| 404, 410 | `NotFound` | RFC 9110 §15.5.5, §15.5.11 |
| 409, 412 | `VersionMismatch` | RFC 9110 §15.5.10, §15.5.13 (a failed ``If-Match``) |
| 422 on a write | `InvalidRecord` | RFC 9110 §15.5.21 |
| 429 | `RateLimited` | RFC 6585 §4 |
| anything else (5xx included) | `ProtocolError` with method, URL, status, excerpt | |

A vendor that differs declares it in its own table: rules for a status are tried in
order, the vendor's first (a rule may apply only to writes, or only when the vendor's
message says something), then the defaults. Each vendor rule names its ``source``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import TypeAdapter

from reposix._errors import (
    AuthError,
    ConfigError,
    InvalidRecord,
    NotFound,
    ProtocolError,
    RateLimited,
    ReposixError,
    VersionMismatch,
)
from reposix._http.decode import _where, protocol_error, server_message, server_text
from reposix._http.redact import redact_url

__all__ = ["DEFAULT_STATUSES", "StatusRule", "StatusTable", "raise_for_status"]

_KINDS: tuple[type[ReposixError], ...] = (
    AuthError,
    InvalidRecord,
    NotFound,
    ProtocolError,
    RateLimited,
    VersionMismatch,
)
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class StatusRule:
    """How one HTTP status becomes a typed error.

    ``error``: one of `NotFound`, `AuthError`, `VersionMismatch`, `RateLimited`,
    `InvalidRecord`, `ProtocolError` (or a subclass). ``says``: what the server did, as it
    follows ``"<what>: "`` in the message (``"{vendor} refused access"``; ``{vendor}`` is
    replaced by the table's vendor name); empty for `NotFound`, whose message is the
    caller's ``missing`` text. ``hint``: how to fix it. ``writes_only``: the rule applies
    only to a request that is not GET/HEAD/OPTIONS (reads fall through to the next rule).
    ``when``: the rule applies only if this predicate holds on the vendor's (redacted)
    error message. ``source``: the URL of the RFC section or vendor document (or public
    bug report) that says the server behaves so.

    Raises `ConfigError` when ``error`` is not one of the kinds above.
    """

    error: type[ReposixError]
    says: str = ""
    hint: str | None = None
    writes_only: bool = False
    when: Callable[[str], bool] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if not (isinstance(self.error, type) and issubclass(self.error, _KINDS)):
            raise ConfigError(
                f"a status rule cannot raise {self.error!r}",
                hint="use NotFound, AuthError, VersionMismatch, RateLimited, InvalidRecord "
                "or ProtocolError",
            )

    def applies(self, *, write: bool, message: str) -> bool:
        """Whether this rule covers a response with this direction and vendor message."""
        if self.writes_only and not write:
            return False
        return self.when is None or self.when(message)


_DEFAULT_RULES: dict[int, tuple[StatusRule, ...]] = {
    401: (
        StatusRule(
            AuthError,
            "{vendor} refused the credentials",
            source="https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
        ),
    ),
    403: (
        StatusRule(
            AuthError,
            "{vendor} refused the credentials",
            source="https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4",
        ),
    ),
    404: (StatusRule(NotFound, source="https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5"),),
    410: (StatusRule(NotFound, source="https://www.rfc-editor.org/rfc/rfc9110#section-15.5.11"),),
    409: (
        StatusRule(
            VersionMismatch,
            "the record changed on the server",
            source="https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
        ),
    ),
    412: (
        StatusRule(
            VersionMismatch,
            "the record changed on the server",
            source="https://www.rfc-editor.org/rfc/rfc9110#section-15.5.13",
        ),
    ),
    422: (
        StatusRule(
            InvalidRecord,
            "{vendor} refused the values",
            hint="fix the field the server names and retry",
            writes_only=True,
            source="https://www.rfc-editor.org/rfc/rfc9110#section-15.5.21",
        ),
    ),
    429: (
        StatusRule(
            RateLimited,
            "{vendor} refused for rate limiting",
            source="https://www.rfc-editor.org/rfc/rfc6585#section-4",
        ),
    ),
}


@dataclass(frozen=True, eq=False)
class StatusTable:
    """A vendor's status → typed-error table: its ``rules`` first, then the defaults.

    The defaults follow RFC 9110 §15 (https://www.rfc-editor.org/rfc/rfc9110#section-15)
    and RFC 6585 §4 for 429: 401/403 `AuthError`, 404/410 `NotFound`, 409/412
    `VersionMismatch`, 422 on a write `InvalidRecord`, 429 `RateLimited`, anything else
    (an unfollowed 3xx, a 5xx after the SDK's retries) `ProtocolError`.

    ``vendor`` names the server in messages (``"github"``). ``env_vars`` are the
    credential variables an `AuthError` names. ``error_adapter`` + ``render`` read the
    vendor's error body into one line (through `server_message`, so the client's
    secrets are masked and the text clipped to ``limit``); without them no body text is
    quoted (a `ProtocolError` still carries a redacted excerpt). ``show_request`` adds
    ``[METHOD url]`` (redacted) to messages. Build one per connector module, at import.
    """

    vendor: str = "the server"
    rules: Mapping[int, StatusRule | Sequence[StatusRule]] = field(default_factory=dict)
    env_vars: Sequence[str] = ()
    error_adapter: TypeAdapter[Any] | None = None
    render: Callable[[Any], str] = str
    limit: int = 300
    show_request: bool = False

    def rules_for(self, status: int) -> tuple[StatusRule, ...]:
        """The rules tried for ``status``, in order: the vendor's, then the defaults."""
        own = self.rules.get(status, ())
        mine = (own,) if isinstance(own, StatusRule) else tuple(own)
        return mine + _DEFAULT_RULES.get(status, ())

    def message(self, response: httpx.Response) -> str:
        """The vendor's error text from ``response`` (redacted, one line), or ``""``."""
        if self.error_adapter is None:
            return ""
        return server_message(response, self.error_adapter, self.render, limit=self.limit)

    def error_for(
        self,
        response: httpx.Response,
        *,
        what: str,
        missing: str | None = None,
        hints: Mapping[int, str] | None = None,
        write: bool | None = None,
        expected_version: int | None = None,
        actual_version: int | None = None,
    ) -> ReposixError | None:
        """The typed error for ``response``, or None for a 2xx.

        ``what`` names the operation (``"update"``); ``missing`` is the `NotFound`
        message (``"github issue o/r#5 not found"``; ``what`` if not given). ``hints``
        replaces a rule's hint for a status at this call site. ``write`` says whether the
        request writes (default: its method is not GET/HEAD/OPTIONS).
        ``expected_version``/``actual_version`` go into a `VersionMismatch`.
        """
        status = response.status_code
        if 200 <= status < 300:
            return None
        method, url = _where(response)
        if write is None:
            write = method is not None and method.upper() not in _READS
        text = self.message(response)
        rules = self.rules_for(status)
        rule = next((r for r in rules if r.applies(write=write, message=text)), None)
        where = f" [{method} {url}]" if self.show_request and method else ""
        if rule is None:
            return self._unexpected(response, what=what, status=status)
        hint = (hints or {}).get(status, rule.hint)
        said = f": {text}" if text else ""
        says = rule.says.replace("{vendor}", self.vendor)
        subject = (missing or what) if issubclass(rule.error, NotFound) else what
        msg = f"{subject}{': ' + says if says else ''} (HTTP {status}{said}){where}"
        if issubclass(rule.error, ProtocolError):
            said_as = f"{what}: {says or 'unexpected'} (HTTP {status})"
            return protocol_error(response, said_as, hint=hint)
        if issubclass(rule.error, AuthError):
            return rule.error(msg, env_vars=self.env_vars, hint=hint)
        if issubclass(rule.error, VersionMismatch):
            return rule.error(msg, expected=expected_version, actual=actual_version, hint=hint)
        return rule.error(msg, hint=hint)

    def raise_for(
        self,
        response: httpx.Response,
        *,
        what: str,
        missing: str | None = None,
        hints: Mapping[int, str] | None = None,
        write: bool | None = None,
        expected_version: int | None = None,
        actual_version: int | None = None,
    ) -> None:
        """Raise [`error_for`][reposix.StatusTable.error_for]'s error; return quietly on 2xx.

        Fits a paginator's ``check`` hook as ``functools.partial(table.raise_for, what=…)``.
        """
        err = self.error_for(
            response,
            what=what,
            missing=missing,
            hints=hints,
            write=write,
            expected_version=expected_version,
            actual_version=actual_version,
        )
        if err is not None:
            raise err

    @staticmethod
    def _unexpected(response: httpx.Response, *, what: str, status: int) -> ProtocolError:
        if 300 <= status < 400:
            raw_location = response.headers.get("location", "")
            location = server_text(response, redact_url(raw_location), 200) or "(no Location)"
            return protocol_error(
                response,
                f"{what}: unexpected redirect to {location}",
                hint="request the final URL, or set ClientOpts.follow_redirects=True",
            )
        return protocol_error(response, f"{what}: unexpected HTTP {status}")


DEFAULT_STATUSES = StatusTable(show_request=True)
"""The RFC defaults alone (no vendor text, ``[METHOD url]`` in messages)."""


def raise_for_status(
    response: httpx.Response,
    *,
    what: str,
    env_vars: Sequence[str] = (),
    conflict_version: int | None = None,
) -> None:
    """Map an error status to the SDK's typed errors with the RFC defaults; quiet on 2xx.

    404/410 → `NotFound`, 401/403 → `AuthError` (naming ``env_vars``), 409/412 →
    `VersionMismatch` (``expected=conflict_version``), 422 on a write → `InvalidRecord`,
    429 → `RateLimited`, anything else (3xx included) → `ProtocolError` with method,
    redacted URL, status and a body excerpt. A connector whose vendor differs builds a
    [`StatusTable`][reposix.StatusTable] with its overrides instead.
    """
    table = DEFAULT_STATUSES if not env_vars else StatusTable(env_vars=env_vars, show_request=True)
    table.raise_for(response, what=what, expected_version=conflict_version)
