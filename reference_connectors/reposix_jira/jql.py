"""JQL building: validated project keys, quoting, and the minute-precision ``updated`` clause.

Jira reads a JQL date literal (``"yyyy-MM-dd HH:mm"``) in the *calling user's* time zone
(their profile setting), with minute precision, and ``>=`` is inclusive. The connector
asks ``/rest/api/3/myself`` for that zone once, floors ``since`` to the minute in it,
and filters the results to ``updated > since`` on the exact (millisecond) timestamps. The
incremental query sorts newest first, so the connector stops paging at the first issue
that is not newer than ``since`` (a minute-wide window can hold many older issues).
If the zone is unknown to this machine, it widens the window by the largest UTC offset
(14 h) instead: more records fetched, none missed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reposix import ConfigError

__all__ = [
    "ORDER",
    "PROJECT_KEY",
    "RECENT_FIRST",
    "changed_since_jql",
    "jql_string",
    "parse_zone",
    "project_jql",
    "validate_key",
]

PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]+$")
"""Jira project keys: an uppercase letter, then uppercase letters, digits or underscores."""

ORDER = " ORDER BY key ASC"
"""Full listings ask for key order: stable across calls and pages."""

RECENT_FIRST = " ORDER BY updated DESC, key DESC"
"""Incremental queries ask for the newest first, so paging can stop at the first issue not
newer than ``since``."""

_WIDEST = timedelta(hours=14)


def validate_key(project: str) -> str:
    """``project`` if it is a Jira project key, else a ``ConfigError`` that shows the form."""
    if not isinstance(project, str) or not PROJECT_KEY.match(project):
        raise ConfigError(
            f"jira project {project!r} is not a project key",
            hint="use the project's key in capitals, e.g. DEMO (the prefix of issue keys "
            "like DEMO-12)",
        )
    return project


def jql_string(value: str) -> str:
    """``value`` as a double-quoted JQL string literal (quotes and backslashes escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def project_jql(project: str) -> str:
    """Every issue of ``project``, in key order."""
    return f"project = {jql_string(validate_key(project))}{ORDER}"


def parse_zone(name: str | None) -> tzinfo | None:
    """The user's profile time zone, or None if absent or unknown here."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def jql_minute(since: datetime, zone: tzinfo | None) -> str:
    """The JQL date literal for the minute containing ``since`` in ``zone``.

    With no zone the literal is the UTC minute minus 14 hours: still a lower bound
    whatever the user's zone is.
    """
    if since.tzinfo is None:
        raise ConfigError(
            "list_changed_since needs a timezone-aware datetime",
            hint="pass e.g. datetime(..., tzinfo=UTC)",
        )
    local = since.astimezone(zone) if zone is not None else since.astimezone(UTC) - _WIDEST
    return local.strftime("%Y-%m-%d %H:%M")


def changed_since_jql(project: str, since: datetime, zone: tzinfo | None) -> str:
    """Issues of ``project`` updated in or after the minute of ``since`` (inclusive)."""
    key = jql_string(validate_key(project))
    return f"project = {key} AND updated >= {jql_string(jql_minute(since, zone))}{RECENT_FIRST}"
