"""The CQL the connector sends for incremental listings, and the space-key check it relies on.

CQL compares ``lastmodified`` at **minute** precision, **inclusively**, and reads the
date in the **calling user's time zone** (``GET /wiki/rest/api/user/current`` →
``timeZone``). So ``since`` is converted to that zone and floored to the minute (widened
by an hour around a daylight-saving change, by 14 hours when the zone is unknown), and
the caller filters the candidates to ``updated_at > since`` on their exact timestamps.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reposix import ConfigError

__all__ = ["CQL_FORMAT", "changed_since_cql", "check_space_key", "cql_minute", "zone_for"]

CQL_FORMAT: Final = "%Y-%m-%d %H:%M"
"""The CQL date form reposix sends (``"yyyy-MM-dd HH:mm"``)."""
_SPACE_KEY = re.compile(r"^~?[A-Za-z0-9][A-Za-z0-9_:-]{0,254}$")
_WORLD = timedelta(hours=14)
"""Further than any UTC offset: the widening used when the user's zone is unknown."""


def check_space_key(key: str) -> str:
    """Validate a space key (``DEMO``, personal ``~accountid``); it is quoted into CQL."""
    if not _SPACE_KEY.match(key):
        raise ConfigError(
            f"confluence space key {key!r} is not valid",
            hint="use the space key from the space URL, e.g. DEMO in "
            "https://acme.atlassian.net/wiki/spaces/DEMO",
        )
    return key


def zone_for(name: str | None) -> ZoneInfo | None:
    """The IANA zone named by the user's ``timeZone``; None when absent or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def cql_minute(since: datetime, zone: ZoneInfo | None) -> str:
    """The ``yyyy-MM-dd HH:mm`` CQL date at or before ``since``, as read in ``zone``.

    Around a daylight-saving change a local minute can be ambiguous or missing, so the
    bound moves an hour earlier there; with no known zone it moves 14 hours earlier (UTC).
    """
    if since.tzinfo is None:
        raise ConfigError(
            "list_changed_since needs a timezone-aware datetime",
            hint="pass e.g. datetime(..., tzinfo=UTC)",
        )
    if zone is None:
        return (since.astimezone(UTC) - _WORLD).strftime(CQL_FORMAT)
    local = since.astimezone(zone)
    naive = local.replace(tzinfo=None, second=0, microsecond=0)
    early = naive.replace(tzinfo=zone, fold=0)
    late = naive.replace(tzinfo=zone, fold=1)
    round_trips = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive
    if early.utcoffset() != late.utcoffset() or not round_trips:
        local = (since - timedelta(hours=1)).astimezone(zone)
    return local.strftime(CQL_FORMAT)


def changed_since_cql(space_key: str, since: datetime, zone: ZoneInfo | None) -> str:
    """``space = "KEY" and type = page and lastmodified >= "yyyy-MM-dd HH:mm"`` (newest first)."""
    key = check_space_key(space_key)
    return (
        f'space = "{key}" and type = page and lastmodified >= "{cql_minute(since, zone)}" '
        "order by lastmodified desc"
    )
