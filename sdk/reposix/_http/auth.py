"""httpx ``Auth`` hooks built from :class:`~reposix._secret.Secret` values.

These hooks are the only SDK code that calls :meth:`Secret.reveal`: the value
is written into the outgoing request's headers at signing time and nowhere
else. :class:`~reposix._http.HttpClient` registers each hook's :meth:`secrets`
for redaction and never runs a hook for a request that left the first origin.
"""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx

from reposix._errors import ConfigError
from reposix._secret import Secret

__all__ = ["BasicAuth", "BearerAuth", "HeaderAuth", "SecretAuth"]


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
