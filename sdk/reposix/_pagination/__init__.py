"""Async pagination helpers for the styles real trackers use.

One helper per style, all built on one loop (``_engine``) that pins next links
to the first request's origin, detects cycles and stalls, honours
:class:`PageLimits` and reports truncation on the :class:`Paginator`.

Names load lazily, so a connector that pages one style does not import the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reposix._pagination.base import KeyFn as KeyFn
    from reposix._pagination.base import Page as Page
    from reposix._pagination.base import PageInfo as PageInfo
    from reposix._pagination.base import PageLimits as PageLimits
    from reposix._pagination.base import Paginator as Paginator
    from reposix._pagination.base import StatusCheck as StatusCheck
    from reposix._pagination.base import Truncation as Truncation
    from reposix._pagination.base import collect as collect
    from reposix._pagination.cursor import paginate_cursor_url as paginate_cursor_url
    from reposix._pagination.cursor import site_resolver as site_resolver
    from reposix._pagination.graphql import paginate_graphql as paginate_graphql
    from reposix._pagination.link import paginate_link as paginate_link
    from reposix._pagination.offset import paginate_offset as paginate_offset
    from reposix._pagination.token import paginate_token as paginate_token

_EXPORTS: dict[str, tuple[str, ...]] = {
    "reposix._pagination.base": (
        "KeyFn",
        "Page",
        "PageInfo",
        "PageLimits",
        "Paginator",
        "StatusCheck",
        "Truncation",
        "collect",
    ),
    "reposix._pagination.cursor": ("paginate_cursor_url", "site_resolver"),
    "reposix._pagination.graphql": ("paginate_graphql",),
    "reposix._pagination.link": ("paginate_link",),
    "reposix._pagination.offset": ("paginate_offset",),
    "reposix._pagination.token": ("paginate_token",),
}

_MODULE_OF: dict[str, str] = {name: mod for mod, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'reposix._pagination' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
