"""httpx ``Auth`` hooks built from [`Secret`][reposix.Secret] values.

These hooks are the only SDK code that calls `reveal`: the value
is written into the outgoing request's headers at signing time and nowhere
else. [`HttpClient`][reposix.HttpClient] registers each hook's `secrets`
for redaction and never runs a hook for a request that left the first origin.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx

from reposix._clock import Clock
from reposix._errors import ConfigError
from reposix._secret import Secret

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "BasicAuth",
    "BearerAuth",
    "FileTokenStore",
    "HeaderAuth",
    "MemoryTokenStore",
    "RefreshingAuth",
    "SecretAuth",
    "TokenPair",
    "TokenStore",
]


class SecretAuth(httpx.Auth):
    """Base of the SDK's auth hooks: knows its secrets, never prints them."""

    def secrets(self) -> tuple[Secret, ...]:
        """Every value this hook puts on the wire, so the client can redact them."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(***)"


class BearerAuth(SecretAuth):
    """``Authorization: Bearer <token>``."""

    def __init__(self, token: Secret) -> None:
        if not isinstance(token, Secret):
            raise TypeError("BearerAuth takes a reposix.Secret")
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Bearer " + self._token.reveal()
        yield request

    def secrets(self) -> tuple[Secret, ...]:
        """The token."""
        return (self._token,)


class BasicAuth(SecretAuth):
    """``Authorization: Basic base64(user:secret)``. The username is not secret."""

    def __init__(self, username: str, password: Secret) -> None:
        if not isinstance(password, Secret):
            raise TypeError("BasicAuth takes a reposix.Secret password")
        if ":" in username:
            raise ConfigError("a Basic auth username cannot contain ':'")
        self._username = username
        self._password = password

    def _encoded(self) -> str:
        raw = f"{self._username}:{self._password.reveal()}".encode()
        return base64.b64encode(raw).decode("ascii")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Basic " + self._encoded()
        yield request

    def secrets(self) -> tuple[Secret, ...]:
        """The password and the encoded ``user:password`` (both reach the wire or logs)."""
        return (self._password, Secret(self._encoded()))

    def __repr__(self) -> str:
        return f"BasicAuth({self._username!r}, ***)"


class HeaderAuth(SecretAuth):
    """A custom header carrying the secret (``PRIVATE-TOKEN``, ``X-Api-Key``…)."""

    def __init__(self, header: str, value: Secret, prefix: str = "") -> None:
        if not isinstance(value, Secret):
            raise TypeError("HeaderAuth takes a reposix.Secret value")
        if not header or any(c in header for c in ":\r\n \t"):
            raise ConfigError(f"{header!r} is not a valid header name")
        self._header = header
        self._value = value
        self._prefix = prefix

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._header] = self._prefix + self._value.reveal()
        yield request

    def secrets(self) -> tuple[Secret, ...]:
        """The header value."""
        return (self._value,)

    def __repr__(self) -> str:
        return f"HeaderAuth({self._header!r}, ***)"


# -- tokens that expire and rotate ----------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class TokenPair:
    """What a login or refresh call returns: an access token, maybe a rotated refresh token,
    and the access token's lifetime in seconds (None: unknown, refresh on 401 only)."""

    access: Secret
    refresh: Secret | None = None
    expires_in: float | None = None

    def __repr__(self) -> str:
        return f"TokenPair(***, expires_in={self.expires_in!r})"


Refresher = Callable[[Secret | None], Awaitable[TokenPair]]
"""Obtains a new `TokenPair` given the current refresh token (None: there is none
yet, log in). It must send through the connector's client with ``authenticate=False`` and
raise [`AuthError`][reposix.AuthError] (telling the user to log in again) when refused."""


class TokenStore(Protocol):
    """Where the latest refresh token lives between runs (rotation invalidates the old one)."""

    def load(self) -> Secret | None:
        """The stored refresh token, or None."""
        ...

    def save(self, token: Secret) -> None:
        """Keep ``token``, replacing the previous one."""
        ...


class MemoryTokenStore:
    """A `TokenStore` for one process: the token lives as long as the object."""

    def __init__(self, token: Secret | None = None) -> None:
        self._token = token

    def load(self) -> Secret | None:
        """The token saved last (or given at construction)."""
        return self._token

    def save(self, token: Secret) -> None:
        """Replace the token."""
        self._token = token

    def __repr__(self) -> str:
        return "MemoryTokenStore(***)"


class FileTokenStore:
    """A `TokenStore` in one file, readable by its owner only (mode 0600), so a CLI
    run keeps the rotated refresh token for the next run. Writes are atomic (temp + rename)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> Secret | None:
        """The token in the file, or None when the file is missing or empty."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return Secret(text) if text else None

    def save(self, token: Secret) -> None:
        """Write ``token`` to a 0600 temp file beside the target, then rename it over."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, token.reveal().encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"


class RefreshingAuth(SecretAuth):
    """Bearer auth with a short-lived access token, refreshed through ``refresher``.

    Before a request, a missing access token or one within ``leeway`` seconds of its known
    expiry (on ``clock``) is renewed. On a 401 the token is renewed once and the request
    re-sent once. Concurrent requests share one renewal (an ``asyncio.Lock`` plus a
    generation counter: a request whose token was already replaced does not refresh again).
    The rotated refresh token is kept in memory and saved to ``store``.

    Re-sending a write after a 401 is safe: a 401 is the server refusing to authenticate
    the request, answered before any handler acts on it (RFC 9110 §15.5.2: "the request has
    not been applied because it lacks valid authentication credentials"), so the write was
    not processed. Any other response, success or error, is returned as is and never
    re-sent, whatever the token's clock says (the kit's W20 checks a write is processed once).

    Every token obtained is announced to ``watch_secrets`` listeners (the SDK's client
    registers it for redaction); ``extra_secrets`` (a password) are redacted from the start.
    """

    def __init__(
        self,
        refresher: Refresher,
        *,
        clock: Clock,
        refresh_token: Secret | None = None,
        store: TokenStore | None = None,
        extra_secrets: tuple[Secret, ...] = (),
        leeway: float = 30.0,
    ) -> None:
        if refresh_token is not None and not isinstance(refresh_token, Secret):
            raise TypeError("RefreshingAuth takes a reposix.Secret refresh token")
        self._refresher = refresher
        self._clock = clock
        self._store: TokenStore = store if store is not None else MemoryTokenStore()
        stored = self._store.load()
        self._refresh: Secret | None = stored or refresh_token
        self._access: Secret | None = None
        self._expires_at: float | None = None
        self._extra = tuple(extra_secrets)
        self._leeway = leeway
        self._generation = 0
        self._lock: asyncio.Lock | None = None
        self._listeners: list[Callable[[Secret], None]] = []
        self.refreshes = 0
        """How many renewals (logins or refreshes) this hook performed."""

    def watch_secrets(self, listener: Callable[[Secret], None]) -> None:
        """Call ``listener`` with every token obtained from now on."""
        self._listeners.append(listener)

    def secrets(self) -> tuple[Secret, ...]:
        """The tokens held now and the extra secrets."""
        held = (self._access, self._refresh)
        return (*self._extra, *(s for s in held if s is not None))

    @property
    def refresh_token(self) -> Secret | None:
        """The current (latest rotated) refresh token."""
        return self._refresh

    def _fresh(self) -> bool:
        if self._access is None:
            return False
        return self._expires_at is None or self._clock.monotonic() < self._expires_at

    async def _renew(self, seen: int) -> None:
        """Renew unless another request already did since generation ``seen``."""
        if self._lock is None:
            import asyncio  # deferred: importing a connector stays free of asyncio

            self._lock = asyncio.Lock()
        async with self._lock:
            if self._generation != seen:
                return
            pair = await self._refresher(self._refresh)
            self._install(pair)

    def _install(self, pair: TokenPair) -> None:
        self._access = pair.access
        self._expires_at = (
            None
            if pair.expires_in is None
            else self._clock.monotonic() + max(0.0, pair.expires_in - self._leeway)
        )
        fresh = [pair.access]
        if pair.refresh is not None:
            self._refresh = pair.refresh
            self._store.save(pair.refresh)
            fresh.append(pair.refresh)
        self._generation += 1
        self.refreshes += 1
        for secret in fresh:
            for listener in self._listeners:
                listener(secret)

    def _sign(self, request: httpx.Request) -> None:
        assert self._access is not None  # set by _renew before any request is signed
        request.headers["Authorization"] = "Bearer " + self._access.reveal()

    async def prepare(self) -> None:
        """Renew a missing or expiring access token now (the SDK client calls it before
        its rate gate, so the renewal's own rate-limit answer delays the request)."""
        if not self._fresh():
            await self._renew(self._generation)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not self._fresh():
            await self._renew(self._generation)
        seen = self._generation
        self._sign(request)
        response = yield request
        if response.status_code != 401:
            return
        # Refused before processing (see the class docstring): renew once, re-send once.
        await self._renew(seen)
        self._sign(request)
        yield request

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise ConfigError("RefreshingAuth works with the SDK's async client only")

    def __repr__(self) -> str:
        return "RefreshingAuth(***)"
