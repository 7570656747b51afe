"""The CQL the connector sends for incremental listings, and the space-key check it relies on.

CQL compares ``lastmodified`` at **minute** precision, **inclusively**, and reads the
date in the **calling user's time zone** (``GET /wiki/rest/api/user/current`` →
``timeZone``). So ``since`` is converted to that zone and floored to the minute
(``reposix.atlassian_minute``, shared with Jira's JQL: widened by an hour around a
daylight-saving change, by 14 hours when the zone is unknown), and the caller filters
the candidates to ``updated_at > since`` on their exact timestamps.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from reposix import ConfigError, atlassian_minute

__all__ = ["changed_since_cql", "check_space_key"]

_SPACE_KEY = re.compile(r"^~?[A-Za-z0-9][A-Za-z0-9_:-]{0,254}$")


def check_space_key(key: str) -> str:
    """Validate a space key (``DEMO``, personal ``~accountid``); it is quoted into CQL."""
    if not _SPACE_KEY.match(key):
        raise ConfigError(
            f"confluence space key {key!r} is not valid",
            hint="use the space key from the space URL, e.g. DEMO in "
            "https://acme.atlassian.net/wiki/spaces/DEMO",
        )
    return key


def changed_since_cql(space_key: str, since: datetime, zone: ZoneInfo | None) -> str:
    """``space = "KEY" and type = page and lastmodified >= "yyyy-MM-dd HH:mm"`` (newest first)."""
    key = check_space_key(space_key)
    return (
        f'space = "{key}" and type = page and lastmodified >= "{atlassian_minute(since, zone)}" '
        "order by lastmodified desc"
    )
