"""The only place in reposix that constructs an ``httpx.AsyncClient``.

ruff's banned-api rule (TID251) forbids ``httpx.AsyncClient``/``httpx.get``…
everywhere else; this file is the single exemption in ``pyproject.toml``.
"""

from __future__ import annotations

import sys

import httpx

from reposix._version import __version__

__all__ = ["POOL_LIMITS", "USER_AGENT", "build_async_client", "remember_missing_sniffio"]

USER_AGENT = f"reposix/{__version__}"
"""The ``User-Agent`` every request carries."""

POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=32)
"""Connection pool of one client: at most 100 connections (httpx's default, and GitHub's
ceiling of 100 concurrent requests:
https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api), and up
to 32 kept alive (httpx keeps 20: https://www.python-httpx.org/advanced/resource-limits/),
so a listing fetching 20 revealed pages at once reuses every connection it opened."""


def remember_missing_sniffio() -> None:
    """Make a missing ``sniffio`` fail fast on every later import attempt.

    httpcore 1.x asks ``import sniffio`` each time it sets up a connection-pool lock (about
    four to nine times per request) to tell asyncio from trio; anyio 4 no longer installs
    sniffio, so each attempt is a failed import that walks ``sys.path`` (about 125 µs,
    0.2 s of CPU over a 10,000-issue listing in ``benchmarks/bench_github.py``). A
    ``None`` in ``sys.modules`` is Python's documented "known missing" marker: the import
    raises ``ImportError`` at once, and httpcore falls back to asyncio exactly as it does
    after a slow failure. Nothing is recorded when sniffio is installed or already loaded.
    Sources: https://github.com/encode/httpcore/blob/1.0.9/httpcore/_synchronization.py
    (``current_async_library``) and
    https://docs.python.org/3/reference/import.html#the-module-cache
    """
    if "sniffio" in sys.modules:
        return
    from importlib.util import find_spec

    if find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


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
    remember_missing_sniffio()
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        ),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
        trust_env=False,
        limits=POOL_LIMITS,
    )
