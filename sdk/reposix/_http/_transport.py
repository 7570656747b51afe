"""The only place in reposix that constructs an ``httpx.AsyncClient``.

ruff's banned-api rule (TID251) forbids ``httpx.AsyncClient``/``httpx.get``…
everywhere else; this file is the single exemption in ``pyproject.toml``.
"""

from __future__ import annotations

import httpx

from reposix._version import __version__

__all__ = ["USER_AGENT", "build_async_client"]

USER_AGENT = f"reposix/{__version__}"
"""The ``User-Agent`` every request carries."""


def build_async_client(
    *,
    connect_timeout: float,
    read_timeout: float,
    transport: httpx.AsyncBaseTransport | None,
) -> httpx.AsyncClient:
    """A raw client, wrapped at once by [`HttpClient`][reposix.HttpClient].

    Redirects are off (the wrapper follows them itself, re-checking the
    allowlist per hop); ``trust_env=False`` so neither proxy variables nor
    ``.netrc`` can route traffic or add credentials behind the allowlist's back.
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        ),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
        trust_env=False,
    )
