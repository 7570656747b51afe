"""Async pagination helpers for the styles real trackers use."""

from reposix.pagination.base import PageLimits, Paginator, collect
from reposix.pagination.link import paginate_link

__all__ = ["PageLimits", "Paginator", "collect", "paginate_link"]
