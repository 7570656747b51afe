"""Broken incremental listings: each breaks R06 (and some R10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reposix._records import RecordId
from reposix_contract._gallery import broken

from ._naive import NaiveLister


@broken("inclusive-since", kills={"R06"})
class InclusiveSince(NaiveLister):
    """Keeps records with updated_at == since (GitHub's `since` is inclusive; not filtered)."""

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        return [r.id for r in await self.naive_list(project) if r.updated_at >= since]


@broken("minute-precision-since", kills={"R06"})
class MinutePrecisionSince(NaiveLister):
    """Sends `since` at minute precision, rounded up (JQL's "yyyy-MM-dd HH:mm"), unfiltered."""

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        utc = since.astimezone(UTC)
        minute = utc.replace(second=0, microsecond=0)
        if minute < utc:
            minute += timedelta(minutes=1)
        params = {"per_page": 100, "since": minute.isoformat()}
        return [r.id for r in await self.naive_list(project, params)]


@broken("local-time-since", kills={"R06"})
class LocalTimeSince(NaiveLister):
    """Formats `since` without converting it to UTC first (drops the offset)."""

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        wall = since.replace(tzinfo=UTC)
        params = {"per_page": 100, "since": wall.isoformat()}
        return [r.id for r in await self.naive_list(project, params)]


@broken("native-incremental-not-sent", kills={"R06"})
class NativeIncrementalNotSent(NaiveLister):
    """Declares incremental listing but downloads everything and filters locally."""

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        return [r.id for r in await self.naive_list(project) if r.updated_at > since]


@broken("changed-since-first-page-only", kills={"R06", "R10"})
class ChangedSinceFirstPageOnly(NaiveLister):
    """Reads only the first page of changes (assumes few records changed)."""

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        params = {"per_page": 100, "since": since.isoformat()}
        async for records, _ in self.naive_pages(project, params):
            return [r.id for r in records]
        return []
