"""The only place in reposix that constructs an ``httpx.AsyncClient``."""

from __future__ import annotations

import httpx

from reposix._version import __version__


def build_async_client(
    *,
    connect_timeout: float,
    read_timeout: float,
    transport: httpx.AsyncBaseTransport | None,
) -> httpx.AsyncClient:
    """A raw client with redirects off; wrapped at once by :class:`HttpClient`."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        follow_redirects=False,
        headers={"User-Agent": f"reposix/{__version__}"},
        transport=transport,
        trust_env=False,
    )
