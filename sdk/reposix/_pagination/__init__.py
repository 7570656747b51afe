"""Async pagination helpers for the styles real trackers use.

One helper per style, all built on one loop (``_engine``) that pins next links
to the first request's origin, detects cycles and stalls, honours
:class:`~reposix._pagination.base.PageLimits` and reports truncation on the
:class:`~reposix._pagination.base.Paginator`. Each style lives in its own module and
nothing is re-exported here, so a connector that pages one style loads only that one;
connectors import every helper from ``reposix``.
"""
