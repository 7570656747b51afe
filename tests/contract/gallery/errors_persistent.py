"""Broken error mapping under faults that outlast the retries: each breaks E02."""

from __future__ import annotations

from reposix._backend import Listing
from reposix._errors import AuthError, NotFound, RateLimited, ReposixError
from reposix._records import Record, RecordId
from reposix.sim._backend import SimBackend
from reposix_contract._gallery import broken


@broken("outage-is-not-found", kills={"E02"})
class OutageIsNotFound(SimBackend):
    """Maps every failed get (a 5xx that outlasted the retries, a redirect) to NotFound:
    a sync deletes the local copy of a record the server still holds."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        try:
            return await super().get_record(project, record_id)
        except NotFound:
            raise
        except ReposixError as exc:
            raise NotFound(f"record {record_id} not found") from exc


@broken("rate-limit-is-bad-token", kills={"E02"})
class RateLimitIsBadToken(SimBackend):
    """Treats every refusal of a listing as a bad credential, rate limits included: the
    user is told to rotate a token that works."""

    async def list_records_complete(self, project: str) -> Listing:
        try:
            return await super().list_records_complete(project)
        except RateLimited as exc:
            raise AuthError("the server refused the credentials") from exc


@broken("refusal-lists-nothing", kills={"E02"})
class RefusalListsNothing(SimBackend):
    """Answers a refused credential (401/403) with an empty, complete listing: a sync takes
    every record for deleted."""

    async def list_records_complete(self, project: str) -> Listing:
        try:
            return await super().list_records_complete(project)
        except AuthError:
            return Listing([], is_complete=True)
