"""Broken gets and records: each breaks one rule of R03, R04, R05 or R11."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from reposix._backend import Listing
from reposix._errors import NotFound, ProtocolError
from reposix._records import Record, RecordId, RecordStatus
from reposix_contract._gallery import broken

from ._naive import NaiveLister


@broken("get-drops-labels", kills={"R03"})
class GetDropsLabels(NaiveLister):
    """get_record forgets the labels the listing shows (two mappings that drifted apart)."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        record = await super().get_record(project, record_id)
        return record.replace(labels=[])


@broken("swallows-404-into-none", kills={"R04"})
class Swallows404IntoNone(NaiveLister):
    """Returns None for a missing record instead of raising NotFound."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        try:
            return await super().get_record(project, record_id)
        except NotFound:
            return None  # type: ignore[return-value]


@broken("keyerror-on-404", kills={"R04"})
class KeyErrorOn404(NaiveLister):
    """Indexes the 404 error body as if it were a record: KeyError."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        response = await self._http.get(self._one(project, record_id), op="get_record")
        data: dict[str, Any] = response.json()
        return Record.model_validate({k: data[k] for k in ("id", "title", "status")})


@broken("404-is-protocol-error", kills={"R04"})
class NotFoundIsProtocolError(NaiveLister):
    """Maps every non-2xx, 404 included, to a generic ProtocolError (any error is not NotFound)."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        try:
            return await super().get_record(project, record_id)
        except NotFound as exc:
            raise ProtocolError(f"unexpected status: {exc.message}") from None


@broken("naive-datetimes", kills={"R05"})
class NaiveDatetimes(NaiveLister):
    """Parses timestamps without their offset and builds records with model_construct."""

    async def list_records_complete(self, project: str) -> Listing:
        return Listing([_naive(r) for r in await self.naive_list(project)], True)

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        return _naive(await super().get_record(project, record_id))


def _naive(record: Record) -> Record:
    data = dict(record)
    data["created_at"] = datetime.fromisoformat(record.created_at.isoformat()[:19])
    data["updated_at"] = datetime.fromisoformat(record.updated_at.isoformat()[:19])
    return Record.model_construct(**data)


@broken("unknown-status-string", kills={"R05"})
class UnknownStatusString(NaiveLister):
    """Passes the server's raw status string through (model_construct skips validation)."""

    async def list_records_complete(self, project: str) -> Listing:
        out = []
        for r in await self.naive_list(project):
            data = dict(r)
            data["status"] = "Closed" if r.status is RecordStatus.DONE else r.status
            out.append(Record.model_construct(**data))
        return Listing(out, True)


@broken("leaks-html-url", kills={"R05"})
class LeaksHtmlUrl(NaiveLister):
    """Copies the server's url/html_url fields into extensions (decoys a tool may follow)."""

    async def list_records_complete(self, project: str) -> Listing:
        response = await self._http.get(
            self._records(project), op="list_records", params={"per_page": 100}
        )
        self._raise(response, "listing")
        out = []
        for item in json.loads(response.content):
            extensions = {k: item[k] for k in ("url", "html_url") if k in item}
            base = {k: v for k, v in item.items() if k not in ("url", "html_url")}
            out.append(Record.model_validate({**base, "extensions": extensions}))
        return Listing(out, True)


@broken("global-id-lookup", kills={"R11", "R04"})
class GlobalIdLookup(NaiveLister):
    """Looks a record up by id in every project when the requested one does not have it."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        try:
            return await super().get_record(project, record_id)
        except NotFound:
            response = await self._http.get("projects", op="list_projects")
            for p in response.json():
                try:
                    return await super().get_record(p["slug"], record_id)
                except NotFound:
                    continue
            raise
