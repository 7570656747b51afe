"""Broken error handling: each breaks E01."""

from __future__ import annotations

import json

from reposix._backend import Listing
from reposix._errors import ProtocolError
from reposix._records import Record, RecordId
from reposix_contract._gallery import broken

from ._naive import NaiveLister


@broken("partial-on-malformed-page", kills={"E01"})
class PartialOnMalformedPage(NaiveLister):
    """Keeps the pages before an unreadable one and reports the listing complete."""

    async def list_records_complete(self, project: str) -> Listing:
        out: list[Record] = []
        try:
            async for records, _ in self.naive_pages(project):
                out += records
        except (ProtocolError, ValueError):
            pass
        return Listing(out, True)


@broken("bare-errors-on-bad-json", kills={"E01"})
class BareErrorsOnBadJson(NaiveLister):
    """Parses bodies with json.loads and indexes fields: JSONDecodeError, KeyError, TypeError."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        response = await self._http.get(self._one(project, record_id), op="get_record")
        self._raise(response, "record")
        data = json.loads(response.content)
        return Record(
            id=data["id"],
            title=data["title"],
            status=data["status"],
            created_at=data["created_at"],
            updated_at=data["updated_at"],
            version=data["version"],
            labels=list(data["labels"]),
            body=data["body"],
            assignee=data.get("assignee"),
        )


@broken("skips-unparsable-records", kills={"E01"})
class SkipsUnparsableRecords(NaiveLister):
    """Drops records it cannot parse and carries on, reporting the listing complete."""

    async def list_records_complete(self, project: str) -> Listing:
        from reposix.sim._backend import _WireRecord

        out: list[Record] = []
        url = self._http.url(self._records(project)).copy_merge_params({"per_page": 100})
        while True:
            response = await self._http.get(url, op="list_records")
            self._raise(response, "listing")
            try:
                items = json.loads(response.content)
            except ValueError:
                items = []
            for item in items if isinstance(items, list) else []:
                try:
                    out.append(_WireRecord.model_validate(item).to_record())
                except Exception:
                    continue
            nxt = response.links.get("next", {}).get("url")
            if not nxt:
                return Listing(out, True)
            url = url.join(nxt)
