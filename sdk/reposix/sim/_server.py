"""Serving the simulator over real sockets with uvicorn (foreground or in a thread)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from reposix._errors import ConfigError
from reposix.sim._app import SimApp

__all__ = ["bind", "running", "serve", "url_for"]


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
        app, lifespan="off", log_level=log_level, access_log=log_level == "debug"
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
