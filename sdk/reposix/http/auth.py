"""httpx ``Auth`` hooks built from :class:`~reposix.secret.Secret` values."""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx

from reposix.secret import Secret

__all__ = ["BasicAuth", "BearerAuth", "HeaderAuth"]


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>``."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Bearer " + self._token.reveal()
        yield request

    def secrets(self) -> tuple[Secret, ...]:
        """The secrets this hook sends, for redaction."""
        return (self._token,)

    def __repr__(self) -> str:
        return "BearerAuth(***)"


class BasicAuth(httpx.Auth):
    """``Authorization: Basic base64(user:secret)``."""

    def __init__(self, username: str, password: Secret) -> None:
        self._username = username
        self._password = password

    def header_value(self) -> str:
        raw = f"{self._username}:{self._password.reveal()}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.header_value()
        yield request

    def secrets(self) -> tuple[Secret, ...]:
        return (self._password, Secret(self.header_value().removeprefix("Basic ")))

    def __repr__(self) -> str:
        return f"BasicAuth({self._username!r}, ***)"


class HeaderAuth(httpx.Auth):
    """A custom header carrying the secret (``PRIVATE-TOKEN``, ``X-Api-Key``…)."""

    def __init__(self, header: str, value: Secret, prefix: str = "") -> None:
        self._header = header
        self._value = value
        self._prefix = prefix

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._header] = self._prefix + self._value.reveal()
        yield request

    def secrets(self) -> tuple[Secret, ...]:
        return (self._value,)

    def __repr__(self) -> str:
        return f"HeaderAuth({self._header!r}, ***)"
