"""The secret registry and the text-masking rules (no HTTP here, so ``_errors`` can use it).

Two rules, documented in ``docs/trust-model.md#secrets``:

* **Process-wide** (every log record, every ``ReposixError``'s text): each registered
  secret is masked in each of its *forms* (raw, percent-encoded, ``+``-encoded, base64
  and URL-safe base64 with and without padding, JSON-, ``repr``- and bytes-escaped). A
  form of 8 or more characters is masked wherever it occurs; a shorter form only where
  it stands as a **whole token**: either between separators (the character before it is
  the start of the text, whitespace or one of ``( ) [ ] { } < > , ; : = & ? |``, the one
  after it the end, one of those, or a ``.`` that ends a sentence), or as a whole quoted
  value (the same quote ``"``, ``'`` or a backtick on both sides). So a 4-character
  token is masked in ``Authorization: Bearer abcd``, ``(b'X-Echo', b'abcd')``,
  ``?token=abcd&x=1`` and ``"abcd"``, but never inside ``abcdef`` or ``/abcd/``, and a
  one-letter test token never shreds every word of every log line.
* **Client-owned** server text (body excerpts and vendor error messages the SDK puts in
  errors, audit URLs): the client's own secrets are masked in every form **at any
  length, wherever they occur**, then the process-wide rule applies.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import re
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import Final

__all__ = [
    "MIN_REGISTERED_LENGTH",
    "REDACTED",
    "SENSITIVE_HEADERS",
    "SENSITIVE_PARAMS",
    "OwnedSecrets",
    "fresh_registry",
    "known_secrets",
    "redact_owned",
    "redact_text",
    "register_secret",
    "secret_forms",
]

REDACTED: Final = "***"
"""What every redacted value is replaced with."""

MIN_REGISTERED_LENGTH: Final = 8
"""Forms at least this long are masked wherever they occur; shorter ones only as whole
tokens (see the module docstring)."""

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


def _mask(match: re.Match[str]) -> str:
    value = match.group("value")
    return match.group("lead") + (value if value == REDACTED else REDACTED)


def _shapes(text: str) -> str:
    """Credential-shaped substrings, masked even when the value was never registered."""
    if "://" in text:
        text = _USERINFO_RE.sub(lambda m: m.group("lead") + REDACTED + "@", text)
    if "=" in text:
        text = _PARAM_RE.sub(_mask, text)
    text = _AUTH_SCHEME_RE.sub(_mask, text)
    return _HEADER_LINE_RE.sub(_mask, text)


_DELIMITERS: Final = "()[]{}<>,;:=&?|"
_QUOTES: Final = "\"'`"
_lock = threading.Lock()
_long: set[str] = set()
_short: set[str] = set()
_short_re: re.Pattern[str] | None = None


@functools.lru_cache(maxsize=64)
def secret_forms(value: str) -> frozenset[str]:
    """Every spelling of ``value`` that can reach text: raw, URL-encoded, base64, escaped.

    Cached (a client redacts every request's URL with its own secrets): the values are
    the ones the process-wide registry holds already."""
    if not value:
        return frozenset()
    raw = value.encode("utf-8", "surrogatepass")
    forms = {
        value,
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote(value),
        urllib.parse.quote_plus(value, safe=""),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        repr(raw)[2:-1],
    }
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms.update({text, text.rstrip("=")})
    return frozenset(f for f in forms if f)


def _token_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(values), key=len, reverse=True)
    if not ordered:
        return None
    delim = re.escape(_DELIMITERS)
    alternatives = "|".join(re.escape(v) for v in ordered)
    end = rf"(?=$|[\s{delim}]|\.(?![^\s{delim}\"'`]))"
    # A bare token between separators, or a whole quoted value ('x', "x", `x`). A quote
    # on one side only is not a boundary: the b of b'Set-Cookie' is not a token.
    quoted = "|".join(rf"(?<={re.escape(q)})(?:{alternatives})(?={re.escape(q)})" for q in _QUOTES)
    return re.compile(rf"(?<![^\s{delim}])(?:{alternatives}){end}|{quoted}")


def register_secret(value: str) -> None:
    """Mask ``value`` (every form of it) in every log record and error of this process.

    Forms of 8+ characters are masked wherever they occur, shorter forms only as whole
    tokens (see the module docstring): masking every ``x`` of every log line would shred
    unrelated text and the error messages other code matches on.
    """
    global _short_re
    forms = secret_forms(value)
    with _lock:
        _long.update(f for f in forms if len(f) >= MIN_REGISTERED_LENGTH)
        short = {f for f in forms if len(f) < MIN_REGISTERED_LENGTH and f.strip()}
        if not short <= _short:
            _short.update(short)
            _short_re = _token_pattern(_short)


def known_secrets() -> frozenset[str]:
    """The forms registered so far (for tests and custom sinks)."""
    with _lock:
        return frozenset(_long | _short)


def _replace_all(text: str, values: Iterable[str]) -> str:
    # Longest first, so a secret that contains another is masked whole.
    for value in sorted(values, key=len, reverse=True):
        if value and value in text:
            text = text.replace(value, REDACTED)
    return text


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with registered secrets (and ``secrets``) masked by the process-wide rule,
    and credential-shaped substrings (URL userinfo, ``?token=`` style parameters,
    ``Authorization: Bearer …``) masked even when the value was never registered."""
    with _lock:
        long_values = tuple(_long)
        short_re = _short_re
    extra_long: list[str] = []
    extra_short: list[str] = []
    for secret in secrets:
        for form in secret_forms(secret):
            (extra_long if len(form) >= MIN_REGISTERED_LENGTH else extra_short).append(form)
    text = _replace_all(text, (*long_values, *extra_long))
    if short_re is not None:
        text = short_re.sub(REDACTED, text)
    if extra_short:
        extra_re = _token_pattern(f for f in extra_short if f.strip())
        if extra_re is not None:
            text = extra_re.sub(REDACTED, text)
    return _shapes(text)


def redact_owned(text: str, secrets: Iterable[str]) -> str:
    """Server text a client puts in its own errors: ``secrets`` masked in every form, at
    any length and wherever they occur, then the process-wide rule."""
    forms: set[str] = set()
    for secret in secrets:
        forms.update(secret_forms(secret))
    return redact_text(_replace_all(text, forms))


class OwnedSecrets:
    """One client's secrets, carried on each response it returns (``response.extensions``)
    so the SDK's decode helpers mask them, at any length, in server text put in errors."""

    __slots__ = ("_values",)

    def __init__(self, values: Iterable[str]) -> None:
        self._values = tuple(v for v in values if v)

    def redact(self, text: str) -> str:
        """``text`` with these secrets masked at any length, then the process-wide rule."""
        return redact_owned(text, self._values)

    def __repr__(self) -> str:
        return f"OwnedSecrets(<{len(self._values)}>)"


@contextlib.contextmanager
def fresh_registry() -> Iterator[None]:
    """Run a block as if this process had never registered a secret (restored after).

    For tests and the conformance kit: what a connector logs while it is being built,
    before its client registers the credential, must not rely on an earlier
    registration to be masked.
    """
    global _short_re
    with _lock:
        saved = (set(_long), set(_short), _short_re)
        _long.clear()
        _short.clear()
        _short_re = None
    try:
        yield
    finally:
        with _lock:
            _long.update(saved[0])
            _short.update(saved[1])
            _short_re = _token_pattern(_short)
