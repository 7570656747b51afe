"""The only place in reposix that constructs an ``httpx.AsyncClient``.

ruff's banned-api rule (TID251) forbids ``httpx.AsyncClient``/``httpx.get``…
everywhere else; this file is the single exemption in ``pyproject.toml``.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

import httpx

from reposix._version import __version__

if TYPE_CHECKING:
    import ssl

__all__ = [
    "POOL_LIMITS",
    "USER_AGENT",
    "build_async_client",
    "remember_missing_sniffio",
    "tls_context",
]

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


class _Preload:
    """httpx's default TLS context, built once per process on a thread of its own.

    Every ``httpx.AsyncClient`` builds a context of its own (``verify=True``), and
    loading the CA bundle into it takes about 20 ms
    (``SSLContext.load_verify_locations``; slower still with OpenSSL 3:
    https://github.com/python/cpython/issues/95031). That load runs in C without the
    GIL, so started when this module is imported it overlaps the imports that follow
    (pydantic and the record models, about 80 ms), and every client of the process then
    shares the one context, as requests does with its preloaded default context
    (https://github.com/psf/requests/pull/6667). The context is the one httpx builds for
    ``verify=True, trust_env=False`` (``httpx.create_ssl_context``, certifi's bundle).
    httpcore sets ALPN on the context it is given for each connection
    (https://github.com/encode/httpcore/blob/1.0.9/httpcore/_async/connection.py), always
    to HTTP/1.1 for these clients, so sharing it changes nothing a client sees.

    The trade-off: importing the HTTP stack starts a short-lived daemon thread (about
    20 ms of CPU on another core; a ``fork()`` in those 20 ms warns, on Python 3.12+,
    about forking a multi-threaded process). A context built before the application swapped
    ``ssl.SSLContext`` (``truststore.inject_into_ssl()``, the usual way a corporate root
    CA reaches a client that ignores the environment:
    https://truststore.readthedocs.io/en/latest/#using-truststore-with-all-libraries) is
    not used: the context is built again, as httpx would, with the class now in place.
    """

    _WAIT_SECONDS = 10.0
    """How long ``get`` waits for the thread before building the context itself."""

    def __init__(self) -> None:
        self._context: ssl.SSLContext | None = None
        self._built_with: type | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = threading.Thread(
            target=self._load, name="reposix-tls-context", daemon=True
        )
        try:
            self._thread.start()
        except RuntimeError:  # no thread to spare (a process limit): load it when first needed
            self._thread = None

    def _load(self) -> None:
        import ssl

        try:
            built_with = ssl.SSLContext
            context = httpx.create_ssl_context(trust_env=False)
        except Exception:
            return  # get() builds it again, so the error is raised in the caller
        self._context, self._built_with = context, built_with

    def get(self) -> ssl.SSLContext:
        import ssl

        with self._lock:  # clients built on several threads at once get the one context
            thread, self._thread = self._thread, None
            if thread is not None:
                thread.join(self._WAIT_SECONDS)
                if thread.is_alive():  # stuck (it should take 20 ms): give up on it for good
                    self._context = None
            current = ssl.SSLContext
            if self._context is None or self._built_with is not current:
                # The preload failed or was given up (build it here, so an error is raised
                # here), or the application replaced ssl.SSLContext since (truststore).
                context = httpx.create_ssl_context(trust_env=False)
                self._context, self._built_with = context, current
            return self._context


_TLS = _Preload()


def tls_context() -> ssl.SSLContext:
    """The process's shared TLS context (certifi's CA bundle, as httpx's default).

    Raises what ``ssl`` raises when the bundle cannot be loaded (``OSError``,
    ``ssl.SSLError``).
    """
    return _TLS.get()


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
        verify=tls_context() if transport is None else True,
        timeout=httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        ),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
        trust_env=False,
        limits=POOL_LIMITS,
    )
