"""JQL building: validated project keys, quoting, and the minute-precision ``updated`` clause.

Jira reads a JQL date literal (``"yyyy-MM-dd HH:mm"``) in the *calling user's* time zone
(their profile setting), with minute precision, and ``>=`` is inclusive. The connector
asks ``/rest/api/3/myself`` for that zone once, floors ``since`` to the minute in it
(``reposix.atlassian_minute``, shared with Confluence's CQL: an hour earlier around a
daylight-saving fold or gap, 14 h earlier when the zone is unknown here), and filters
the results to ``updated > since`` on the exact (millisecond) timestamps. The
incremental query sorts newest first, so paging stops after a page that ends with an
issue not newer than ``since`` (``reposix.NewestFirst``), unless an issue came out of
that order: then every page is read, so a misordered server cannot end the listing early.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from reposix import ConfigError, atlassian_minute

__all__ = [
    "ORDER",
    "PROJECT_KEY",
    "RECENT_FIRST",
    "changed_since_jql",
    "jql_string",
    "project_jql",
    "validate_key",
]

PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]+$")
"""Jira project keys: an uppercase letter, then uppercase letters, digits or underscores."""

ORDER = " ORDER BY key ASC"
"""Full listings ask for key order: stable across calls and pages."""

RECENT_FIRST = " ORDER BY updated DESC, key DESC"
"""Incremental queries ask for the newest first, so paging can stop early (see above)."""


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


def changed_since_jql(project: str, since: datetime, zone: tzinfo | None) -> str:
    """Issues of ``project`` updated in or after the minute of ``since`` (inclusive)."""
    key = jql_string(validate_key(project))
    minute = jql_string(atlassian_minute(since, zone))
    return f"project = {key} AND updated >= {minute}{RECENT_FIRST}"
