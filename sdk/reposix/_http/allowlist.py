"""The egress allowlist: which origins the SDK may talk to.

Both the entries and the URLs are parsed by httpx (the same parser that later
sends the request, so the check and the wire cannot disagree), hosts are
IDNA-encoded by httpx and lower-cased, and a few ambiguous spellings that other
parsers or the OS resolver read differently are refused outright (backslashes,
percent-encoded hosts, non-canonical IPv4 forms, IPv6 zone ids).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass

import httpx

from reposix._env import ALLOWED_ORIGINS
from reposix._errors import ConfigError, EgressDenied

__all__ = ["ALLOWLIST_ENV", "DEFAULT_ALLOWLIST", "Allowlist", "Origin", "origin_of"]

ALLOWLIST_ENV = ALLOWED_ORIGINS.name
"""Env var holding the comma-separated ``scheme://host[:port]`` allowlist."""
DEFAULT_ALLOWLIST = "http://127.0.0.1:*,http://localhost:*,http://[::1]:*"
"""The allowlist when ``$REPOSIX_ALLOWED_ORIGINS`` is unset or blank: loopback only."""
_DEFAULT_PORTS = {"http": 80, "https": 443}
# After IDNA encoding a DNS name is ASCII letters, digits, '-', '_' (seen in the
# wild) and dots. Anything else ('%', '\\', spaces…) is an ambiguity we refuse.
_HOST_CHARS = re.compile(r"[a-z0-9_.-]+")
# WHATWG: a host whose last label is numeric (decimal or 0x-hex) is an IPv4
# address, and inet_aton() accepts 127.1, 2130706433, 0x7f.1, 0177.0.0.1…
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)")


@dataclass(frozen=True, slots=True)
class Origin:
    """A normalized ``scheme://host:port``. ``port`` None in an entry means any port.

    ``host`` is lower-case ASCII (IDNA-encoded), an IPv4 dotted quad, or a
    compressed IPv6 address without brackets.
    """

    scheme: str
    host: str
    port: int | None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "*" if self.port is None else str(self.port)
        return f"{self.scheme}://{host}:{port}"


@functools.lru_cache(maxsize=256)
def _normalize_host(raw: str) -> str:
    """Canonical host text, or ValueError for a host we refuse to interpret.

    Cached: every request checks its host twice (the allowlist, the listing's pinned
    origin), and a client talks to one or two hosts."""
    host = raw.lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise ValueError("URL has no host")
    if ":" in host:
        if "%" in host:
            raise ValueError(f"IPv6 zone ids are not allowed ({raw!r})")
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            raise ValueError(f"invalid IPv6 address {raw!r}") from None
    if not _HOST_CHARS.fullmatch(host):
        raise ValueError(f"invalid host {raw!r}")
    labels = host.split(".")
    if labels[-1] == "":  # one trailing dot is a (distinct) FQDN spelling
        labels = labels[:-1]
    if not labels or any(label == "" for label in labels):
        raise ValueError(f"invalid host {raw!r} (empty label)")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            canonical = str(ipaddress.IPv4Address(host))
        except ValueError:
            canonical = ""
        if canonical != host:
            raise ValueError(f"non-canonical IPv4 address {raw!r}: write it as a dotted quad")
    return host


def _authority_text(url: str) -> str:
    _, sep, rest = url.partition("://")
    return re.split(r"[/?#]", rest, maxsplit=1)[0] if sep else ""


def origin_of(url: str | httpx.URL) -> Origin:
    """The origin of an absolute http(s) URL, with the default port made explicit.

    Raises ValueError for anything that is not a plain http(s) URL with a host.
    """
    if isinstance(url, str):
        if "\\" in _authority_text(url):
            # RFC 3986 (httpx) and WHATWG (browsers) split "a.com\@b.com" differently.
            raise ValueError("backslash in the URL's authority")
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ValueError(f"unparsable URL: {exc}") from None
    else:
        parsed = url
    scheme = parsed.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"scheme {scheme or '(none)'!r} is not http or https")
    port = parsed.port if parsed.port is not None else _DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is out of range")
    host = parsed.raw_host.decode("ascii", errors="replace")
    return Origin(scheme, _normalize_host(host), port)


@dataclass(frozen=True, slots=True)
class Allowlist:
    """A parsed ``REPOSIX_ALLOWED_ORIGINS`` value.

    Matching is exact on scheme and normalized host; the port must be equal
    unless the entry's port is ``*``. A trailing dot is part of the host:
    ``example.com.`` only matches an entry written ``example.com.``.
    """

    entries: tuple[Origin, ...]

    @classmethod
    def parse(cls, value: str) -> Allowlist:
        """Parse a comma-separated list of ``scheme://host[:port]``; ``port`` may be ``*``.

        A blank value means loopback only; any malformed or empty entry is a
        [`ConfigError`][reposix.ConfigError] naming it.
        """
        if not value.strip():
            value = DEFAULT_ALLOWLIST
        entries = []
        for index, raw in enumerate(value.split(","), start=1):
            raw = raw.strip()
            if not raw:
                raise ConfigError(
                    f"{ALLOWLIST_ENV} entry {index} is empty",
                    hint=f"remove the stray comma from {ALLOWLIST_ENV}",
                )
            entries.append(_parse_entry(raw))
        return cls(tuple(entries))

    @classmethod
    def from_env(cls) -> Allowlist:
        """The allowlist in force: ``$REPOSIX_ALLOWED_ORIGINS`` or loopback only."""
        return cls.parse(ALLOWED_ORIGINS.get())

    def describe(self) -> list[str]:
        """The entries as strings, for error messages."""
        return [str(e) for e in self.entries]

    def allows(self, origin: Origin) -> bool:
        """Whether ``origin`` matches an entry."""
        return any(
            e.scheme == origin.scheme
            and e.host == origin.host
            and (e.port is None or e.port == origin.port)
            for e in self.entries
        )

    def check(self, url: str | httpx.URL) -> Origin:
        """The URL's origin if allowed; otherwise raise [`EgressDenied`][reposix.EgressDenied].

        Pure: no DNS lookup, no socket. Userinfo is ignored here (the client strips it).
        """
        try:
            origin = origin_of(url)
        except ValueError as exc:
            raise EgressDenied(_safe_origin(url), self.describe(), detail=str(exc)) from None
        if not self.allows(origin):
            raise EgressDenied(_display(origin), self.describe())
        return origin


def _display(origin: Origin) -> str:
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    return f"{origin.scheme}://{host}:{origin.port}"


def _safe_origin(url: str | httpx.URL) -> str:
    """A printable scheme://host for a refused URL, never its userinfo, path or query."""
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else url
        host = parsed.raw_host.decode("ascii", errors="replace")
        return f"{parsed.scheme or '(no scheme)'}://{host or '(no host)'}"
    except Exception:
        return "<unparsable url>"


def _entry_error(raw: str, why: str) -> ConfigError:
    return ConfigError(
        f"{ALLOWLIST_ENV} entry {raw!r} {why}",
        hint=f"write each entry of {ALLOWLIST_ENV} as http(s)://host[:port] (port may be *)",
    )


def _parse_entry(raw: str) -> Origin:
    text = raw.rstrip("/")
    wildcard = text.endswith(":*")
    if wildcard:
        text = text[:-2]
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in _DEFAULT_PORTS:
        raise _entry_error(raw, "is not http(s)://host[:port]")
    if not rest or rest.endswith(":") or any(c in rest for c in "/?#@\\ *"):
        raise _entry_error(raw, "must be only scheme://host[:port], no path, user or query")
    try:
        parsed = httpx.URL(text)
        origin = origin_of(parsed)
    except (httpx.InvalidURL, ValueError) as exc:
        raise _entry_error(raw, f"is invalid: {exc}") from None
    return Origin(origin.scheme, origin.host, None if wildcard else origin.port)
