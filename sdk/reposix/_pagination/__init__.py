"""Async pagination helpers for the styles real trackers use.

One helper per style, all built on one loop (``_engine``) that pins next links
to the first request's origin, detects cycles and stalls, honours
[`PageLimits`][reposix.PageLimits] and reports truncation on the
[`Paginator`][reposix.Paginator]. Each style lives in its own module and
nothing is re-exported here, so a connector that pages one style loads only that one;
connectors import every helper from ``reposix``.
"""
