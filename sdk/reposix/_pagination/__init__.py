"""Async pagination helpers for the styles real trackers use.

One helper per style, all built on one loop (``_engine``) that pins next links
to the first request's origin, detects cycles and stalls, honours
:class:`PageLimits` and reports truncation on the :class:`Paginator`.
"""

from reposix._pagination.base import (
    KeyFn,
    Page,
    PageInfo,
    PageLimits,
    Paginator,
    StatusCheck,
    Truncation,
    collect,
)
from reposix._pagination.cursor import paginate_cursor_url, site_resolver
from reposix._pagination.graphql import paginate_graphql
from reposix._pagination.link import paginate_link
from reposix._pagination.newest import NewestFirst
from reposix._pagination.offset import paginate_offset
from reposix._pagination.token import paginate_token

__all__ = [
    "KeyFn",
    "NewestFirst",
    "Page",
    "PageInfo",
    "PageLimits",
    "Paginator",
    "StatusCheck",
    "Truncation",
    "collect",
    "paginate_cursor_url",
    "paginate_graphql",
    "paginate_link",
    "paginate_offset",
    "paginate_token",
    "site_resolver",
]
