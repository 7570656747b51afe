"""JSON and URL helpers for wire fakes, and a tiny path router."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from reposix._faults import DECOY_ORIGIN

__all__ = [
    "BadRequest",
    "Routes",
    "decoy",
    "iso_ms",
    "iso_seconds",
    "iso_z",
    "json_response",
    "parse_iso",
    "read_json",
]


class BadRequest(ValueError):
    """The request body is not the JSON the fake expects; answer with the backend's 400."""


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A JSON response (UTF-8, compact, ``Content-Type: application/json``)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return httpx.Response(status, content=body, headers=merged)


def read_json(request: httpx.Request) -> Any:
    """The request's JSON body; ``BadRequest`` if it is not valid JSON."""
    try:
        return json.loads(request.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"request body is not JSON: {exc}") from None


def decoy(path: str = "/") -> str:
    """A URL on `DECOY_ORIGIN` for a server URL field (``url``, ``html_url``, avatars).

    A connector that ever requests it fails S03.
    """
    return DECOY_ORIGIN + "/" + path.lstrip("/")


def iso_z(value: datetime) -> str:
    """``2026-01-01T00:00:07.123456Z`` (microseconds kept)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_seconds(value: datetime) -> str:
    """``2026-01-01T00:00:07Z`` (GitHub's precision: whole seconds, truncated)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(value: datetime) -> str:
    """``2026-01-01T00:00:07.123+0000`` (Atlassian's format: milliseconds, numeric offset)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_iso(text: str) -> datetime:
    """Parse the ISO-8601 forms above (``Z``, ``+0000``, ``+00:00``) into an aware datetime.

    ``ValueError`` for garbage or a time without an offset (fakes answer it with a 400).
    Python 3.11's ``datetime.fromisoformat`` reads every form, so no rewriting is needed.
    """
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no offset")
    return value


Handler = Callable[..., Awaitable[httpx.Response]]
_PARAM = re.compile(r"\{(\w+)(?::(int|path))?\}")


class Routes:
    """Method + path-template routing for a fake's ``handle``.

    ``@routes.get("/repos/{owner}/{repo}/issues/{number:int}")`` registers a handler
    called as ``handler(request, owner=…, repo=…, number=…)``; `dispatch`
    answers unmatched paths with ``not_found()``.
    """

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], dict[str, str], Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` on ``template``."""
        kinds: dict[str, str] = {}

        def part(m: re.Match[str]) -> str:
            kinds[m.group(1)] = m.group(2) or "str"
            if m.group(2) == "int":
                return rf"(?P<{m.group(1)}>\d+)"
            if m.group(2) == "path":
                return rf"(?P<{m.group(1)}>.+)"
            return rf"(?P<{m.group(1)}>[^/]+)"

        regex = ""
        index = 0
        for m in _PARAM.finditer(template):
            regex += re.escape(template[index : m.start()]) + part(m)
            index = m.end()
        regex += re.escape(template[index:])
        self._routes.append((method.upper(), re.compile(f"^{regex}$"), kinds, handler))

    def _decorator(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(method, template, handler)
            return handler

        return register

    def get(self, template: str) -> Callable[[Handler], Handler]:
        """Decorator: a GET route."""
        return self._decorator("GET", template)

    def post(self, template: str) -> Callable[[Handler], Handler]:
        """Decorator: a POST route."""
        return self._decorator("POST", template)

    def put(self, template: str) -> Callable[[Handler], Handler]:
        """Decorator: a PUT route."""
        return self._decorator("PUT", template)

    def patch(self, template: str) -> Callable[[Handler], Handler]:
        """Decorator: a PATCH route."""
        return self._decorator("PATCH", template)

    def delete(self, template: str) -> Callable[[Handler], Handler]:
        """Decorator: a DELETE route."""
        return self._decorator("DELETE", template)

    async def dispatch(
        self,
        request: httpx.Request,
        not_found: Callable[[], httpx.Response],
        *,
        owner: Any = None,
        prefix: str = "",
    ) -> httpx.Response:
        """Call the handler matching ``request`` (path below ``prefix``), else ``not_found()``.

        ``owner`` is passed first when handlers are plain functions of the fake
        (``handler(owner, request, …)``); leave it None for bound methods.
        """
        path = request.url.path
        if prefix:
            if not path.startswith(prefix):
                return not_found()
            path = path[len(prefix) :] or "/"
        method = request.method.upper()
        for verb, regex, kinds, handler in self._routes:
            if verb != method:
                continue
            m = regex.match(path)
            if m is None:
                continue
            kwargs: dict[str, Any] = {
                k: int(v) if kinds[k] == "int" else v for k, v in m.groupdict().items()
            }
            if owner is not None:
                return await handler(owner, request, **kwargs)
            return await handler(request, **kwargs)
        return not_found()
