"""Serving the simulator over real sockets with uvicorn (foreground or in a thread)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from reposix._errors import ConfigError
from reposix.sim._app import SimApp

__all__ = ["HEADER_TIMEOUT", "bind", "running", "serve", "url_for"]

HEADER_TIMEOUT = 10.0
"""Seconds a connection may take to send a request's headers (the body has its own bound,
`BODY_TIMEOUT`); then the connection is closed."""


class _HeaderDeadline(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for each request's headers.

    uvicorn times out idle keep-alive connections but not a connection that sends part
    of a request's headers (or nothing) and then stalls: one such client per socket
    could hold the simulator open forever. The deadline is armed when a connection
    opens and when the first bytes of each later request arrive; trickling bytes does
    not extend it. It only closes a connection whose next request has not started.
    """

    header_timeout = HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        idle = self.cycle is None or self.cycle.response_complete
        if idle and (self._deadline is None or self._armed_for is not self.cycle):
            self._arm()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._armed_for: Any = self.cycle
        self._deadline = self.loop.call_later(self.header_timeout, self._expire)

    def _expire(self) -> None:
        self._deadline = None
        if self.cycle is self._armed_for and not self.transport.is_closing():
            self.transport.close()  # no request started since the deadline was armed


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free port); ``ConfigError`` if taken."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --port (0 picks a free one) or stop what is using it",
        ) from None
    sock.setblocking(False)
    return sock


def url_for(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _server(app: SimApp, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level=log_level,
        access_log=log_level == "debug",
        http=_HeaderDeadline,
    )
    return uvicorn.Server(config)


def serve(app: SimApp, sock: socket.socket, *, log_level: str = "warning") -> None:
    """Serve ``app`` on ``sock`` until interrupted (Ctrl-C)."""
    _server(app, log_level).run(sockets=[sock])


@contextmanager
def running(
    app: SimApp, host: str = "127.0.0.1", port: int = 0, *, timeout: float = 10.0
) -> Iterator[str]:
    """Serve ``app`` in a background thread for the ``with`` block; yields its base URL.

    For tests and demos that need real sockets; the server stops when the block exits.
    """
    sock = bind(host, port)
    server = _server(app, "warning")
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="reposix-sim", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the simulator did not start")
        time.sleep(0.01)
    try:
        yield url_for(sock)
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
