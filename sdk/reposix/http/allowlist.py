"""The egress allowlist: which origins the SDK may talk to (baseline; hardened in tests)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from reposix.errors import ConfigError, EgressDenied

__all__ = ["ALLOWLIST_ENV", "DEFAULT_ALLOWLIST", "Allowlist", "Origin", "origin_of"]

ALLOWLIST_ENV = "REPOSIX_ALLOWED_ORIGINS"
DEFAULT_ALLOWLIST = "http://127.0.0.1:*,http://localhost:*,http://[::1]:*"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Origin:
    """A normalized ``scheme://host:port``. ``port`` None in an entry means any port."""

    scheme: str
    host: str
    port: int | None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "*" if self.port is None else str(self.port)
        return f"{self.scheme}://{host}:{port}"


def _normalize_host(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"invalid host {host!r}") from exc


def origin_of(url: str | httpx.URL) -> Origin:
    """The origin of a URL, with the default port made explicit."""
    parsed = httpx.URL(url) if isinstance(url, str) else url
    scheme = parsed.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"scheme {scheme!r} is not http or https")
    if not parsed.host:
        raise ValueError("URL has no host")
    port = parsed.port if parsed.port is not None else _DEFAULT_PORTS[scheme]
    return Origin(scheme, _normalize_host(parsed.host), port)


@dataclass(frozen=True, slots=True)
class Allowlist:
    """A parsed ``REPOSIX_ALLOWED_ORIGINS`` value."""

    entries: tuple[Origin, ...]

    @classmethod
    def parse(cls, value: str) -> Allowlist:
        """Parse a comma-separated list of ``scheme://host[:port]``; ``port`` may be ``*``."""
        value = value.strip() or DEFAULT_ALLOWLIST
        entries = []
        for raw in value.split(","):
            raw = raw.strip()
            if not raw:
                continue
            entries.append(_parse_entry(raw))
        return cls(tuple(entries))

    @classmethod
    def from_env(cls) -> Allowlist:
        """The allowlist in force: ``$REPOSIX_ALLOWED_ORIGINS`` or loopback only."""
        return cls.parse(os.environ.get(ALLOWLIST_ENV, ""))

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
        """The URL's origin if allowed; otherwise raise :class:`EgressDenied`."""
        try:
            origin = origin_of(url)
        except ValueError as exc:
            raise EgressDenied(_safe_origin(url), self.describe(), detail=str(exc)) from None
        if not self.allows(origin):
            raise EgressDenied(str(origin).removesuffix(":*"), self.describe())
        return origin


def _safe_origin(url: str | httpx.URL) -> str:
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else url
        return f"{parsed.scheme}://{parsed.host}"
    except Exception:
        return "<unparsable url>"


def _parse_entry(raw: str) -> Origin:
    try:
        scheme, rest = raw.split("://", 1)
    except ValueError:
        raise ConfigError(
            f"allowlist entry {raw!r} is not scheme://host[:port]",
            hint=f"fix {ALLOWLIST_ENV}",
        ) from None
    scheme = scheme.lower()
    if scheme not in _DEFAULT_PORTS or not rest or "/" in rest.rstrip("/") or "@" in rest:
        raise ConfigError(
            f"allowlist entry {raw!r} is not http(s)://host[:port]", hint=f"fix {ALLOWLIST_ENV}"
        )
    rest = rest.rstrip("/")
    port: int | None
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    elif rest.count(":") == 1:
        host, port_text = rest.split(":")
    else:
        host, port_text = rest, ""
    if port_text == "*":
        port = None
    elif port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(
                f"allowlist entry {raw!r} has a bad port", hint=f"fix {ALLOWLIST_ENV}"
            )
        port = int(port_text)
    else:
        port = _DEFAULT_PORTS[scheme]
    try:
        return Origin(scheme, _normalize_host(host), port)
    except ValueError as exc:
        raise ConfigError(f"allowlist entry {raw!r}: {exc}", hint=f"fix {ALLOWLIST_ENV}") from None
