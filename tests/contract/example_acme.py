"""A complete small connector and its wire fake, built from the kit's blocks (docs example).

"Acme" serves ``GET /api/{project}/items`` (Link pagination, JSON arrays) and
``GET /api/{project}/items/{id}`` with ``Authorization: Bearer $ACME_TOKEN``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, TypeAdapter

from reposix import PageLimits, collect, paginate_link
from reposix._backend import Listing
from reposix._connector_base import HttpConnector
from reposix._credentials import Credentials
from reposix._http import BearerAuth, decode, raise_for_status
from reposix._records import Record, RecordId, RecordStatus, UtcDatetime
from reposix._runtime import Runtime
from reposix_contract._fakes import FakeProjects, FakeStore, Knobs
from reposix_contract._fakes.auth import bearer, check_auth
from reposix_contract._fakes.pagination import link_page
from reposix_contract._fakes.wire import Routes, decoy, iso_z, json_response

# -- the connector ------------------------------------------------------------------------


class _Item(BaseModel):
    id: RecordId
    name: str
    state: RecordStatus
    tags: list[str]
    owner: str | None
    body: str
    created: UtcDatetime
    modified: UtcDatetime
    rev: int

    def to_record(self) -> Record:
        return Record(
            id=self.id,
            title=self.name,
            status=self.state,
            labels=self.tags,
            assignee=self.owner,
            body=self.body,
            created_at=self.created,
            updated_at=self.modified,
            version=self.rev,
        )


_PAGE = TypeAdapter(list[_Item])
_ONE = TypeAdapter(_Item)


class AcmeConnector(HttpConnector):
    """Read-only connector for the Acme tracker."""

    name: ClassVar[str] = "acme"

    def __init__(self, base_url: str, credentials: Credentials, runtime: Runtime) -> None:
        super().__init__(base_url, auth=BearerAuth(credentials["ACME_TOKEN"]), runtime=runtime)

    async def list_records_complete(self, project: str) -> Listing:
        pages = paginate_link(
            self._http,
            f"/api/{project}/items",
            op="list_records",
            adapter=_PAGE,
            params={"per_page": 50},
            limits=PageLimits(max_items=self.runtime.max_records),
            key=lambda item: item.id,
            env_vars=("ACME_TOKEN",),
        )
        items, complete = await collect(pages)
        return Listing([i.to_record() for i in items], complete)

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        response = await self._http.get(f"/api/{project}/items/{record_id}", op="get_record")
        raise_for_status(response, what=f"item {record_id}", env_vars=("ACME_TOKEN",))
        return decode(response, _ONE, "item").to_record()


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> AcmeConnector:
    """The plugin's build function."""
    return AcmeConnector(base_url, credentials, runtime)


# -- its wire fake ------------------------------------------------------------------------


class AcmeFake:
    """Acme's HTTP API over a FakeStore."""

    name = "acme"
    base_url = "https://acme.example"
    routes = Routes()

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.knobs = Knobs()
        self.projects = FakeProjects(seeded="alpha", empty="beta", unknown="nope")
        self.credentials = {"ACME_TOKEN": "acme-test-token"}

    def item(self, r: Record) -> dict[str, Any]:
        return {
            "id": r.id,
            "name": r.title,
            "state": r.status.value,
            "tags": r.labels,
            "owner": r.assignee,
            "body": r.body,
            "created": iso_z(r.created_at),
            "modified": iso_z(r.updated_at),
            "rev": r.version,
            "url": decoy(f"/items/{r.id}"),
        }

    @staticmethod
    def not_found() -> httpx.Response:
        return json_response({"error": "not_found"}, 404)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        denied = check_auth(
            request,
            bearer(self.credentials["ACME_TOKEN"]),
            json_response({"error": "bad_token"}, 401),
        )
        if denied is not None:
            return denied
        return await self.routes.dispatch(request, self.not_found, owner=self)

    @routes.get("/api/{project}/items")
    async def list_items(self, request: httpx.Request, project: str) -> httpx.Response:
        if not self.store.has_project(project):
            return self.not_found()
        records = self.store.list(project)
        since = request.url.params.get("since")
        if since:
            records = [r for r in records if r.updated_at > datetime.fromisoformat(since)]
        page = link_page(records, request, self.knobs)
        return json_response([self.item(r) for r in page.items], headers=page.headers)

    @routes.get("/api/{project}/items/{number:int}")
    async def get_item(self, request: httpx.Request, project: str, number: int) -> httpx.Response:
        record = self.store.get(project, number)
        return self.not_found() if record is None else json_response(self.item(record))
