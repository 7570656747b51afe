"""Broken handling of the user's profile zone: each breaks R14 but passes R06, which runs
under one zone in January only.

They run against the ``jira`` connector on its wire fake, whose JQL dates are read in the
user's profile zone
(https://support.atlassian.com/jira-software-cloud/docs/jql-fields/#Updated).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

from reposix_contract._gallery import broken
from reposix_contract._targets import Target, from_plugin
from reposix_jira import plugin as jira_plugin
from reposix_jira.connector import JiraConnector


def _jira() -> Target:
    return from_plugin(jira_plugin)


@broken("caches-the-zone-offset", kills={"R14"}, base=_jira)
class CachesTheZoneOffset(JiraConnector):
    """Turns the profile zone into the fixed offset it had on New Year's Day: right until
    the first daylight-saving change, then an hour off (Sydney's April fold)."""

    async def _user_zone(self) -> tzinfo | None:
        zone = await super()._user_zone()
        if zone is None:
            return None
        offset = datetime(2026, 1, 1, tzinfo=UTC).astimezone(zone).utcoffset()
        return timezone(offset or timedelta(0))


@broken("truncates-half-hour-offsets", kills={"R14"}, base=_jira)
class TruncatesHalfHourOffsets(JiraConnector):
    """Keeps whole hours of the zone's offset (`int(hours)`): fine for Sydney, half an hour
    late for Newfoundland (-03:30), so edits in that half hour are missed."""

    async def _user_zone(self) -> tzinfo | None:
        zone = await super()._user_zone()
        if zone is None:
            return None
        offset = datetime(2026, 1, 1, tzinfo=UTC).astimezone(zone).utcoffset() or timedelta(0)
        return timezone(timedelta(hours=int(offset.total_seconds() / 3600)))
