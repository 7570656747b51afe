"""Mounting a wire fake under a path prefix, as an API gateway or a proxy serves a backend.

A fake written for a site root (``/rest/api/3/…``, ``/wiki/api/v2/…``) is served under a
prefix such as Atlassian's ``https://api.atlassian.com/ex/confluence/{cloudId}``
(https://developer.atlassian.com/cloud/confluence/oauth-2-3lo-apps/) by stripping the
prefix before dispatch. What the fake writes back (next links, ``self`` URLs) stays
site-relative, as the real gateway's do: a connector must put the prefix back itself.
"""

from __future__ import annotations

import httpx

__all__ = ["mount_prefix", "unmount"]


def mount_prefix(base_url: str, *, context: str = "") -> str:
    """The path a fake at ``base_url`` is mounted under (``""`` for a site root).

    ``context`` is a product context path the fake serves itself (Confluence's
    ``/wiki``): a base URL ending in it is the site root.
    """
    path = httpx.URL(base_url).path.rstrip("/")
    if context and path.endswith(context):
        path = path[: -len(context)]
    return path


def unmount(request: httpx.Request, prefix: str) -> httpx.Request | None:
    """``request`` with ``prefix`` removed from its path, or None if it is not under it."""
    if not prefix:
        return request
    path = request.url.path
    if path != prefix and not path.startswith(prefix + "/"):
        return None
    inner = request.url.copy_with(path=path[len(prefix) :] or "/")
    return httpx.Request(request.method, inner, headers=request.headers, content=request.content)
