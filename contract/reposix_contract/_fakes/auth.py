"""The auth checker: compare the credential header byte for byte, answer the real 401 body."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx

__all__ = ["basic", "bearer", "check_auth"]


def bearer(token: str) -> str:
    """The exact ``Authorization`` value for a bearer token."""
    return "Bearer " + token


def basic(user: str, secret: str) -> str:
    """The exact ``Authorization`` value for HTTP Basic ``user:secret``."""
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")


def check_auth(
    request: httpx.Request,
    expected: str,
    reject: Callable[[], httpx.Response] | httpx.Response,
    *,
    header: str = "Authorization",
) -> httpx.Response | None:
    """None if ``request`` carries exactly one ``header`` equal byte for byte to ``expected``.

    Otherwise the backend's real refusal (``reject``, e.g. GitHub's
    ``{"message": "Bad credentials", …}`` 401). Compare against the fake's
    ``credentials`` at request time: the kit swaps in a canary secret after
    building the fake.
    """
    name = header.lower().encode("ascii")
    values = [v for k, v in request.headers.raw if k.lower() == name]
    if len(values) == 1 and values[0] == expected.encode("utf-8"):
        return None
    return reject() if callable(reject) else reject
