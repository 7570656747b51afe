"""The ``{{ cookiecutter.connector_name }}`` wire fake: an in-process emulation of the API.

It stands in for the {{ cookiecutter.connector_title }} server: the conformance kit
mounts it at the connector's base URL (with respx) and checks the connector against
it. It serves the kit's canonical [`FakeStore`][reposix_contract.FakeStore] the way
the real server would:

* the real paths and JSON (see ``connector.py`` for the API, ``wire.py`` for the
  shapes), every URL field pointing at the kit's decoy host when ``knobs.decoys``
  is on (a connector that follows one fails S03);
* pagination only through the ``Link`` header, served by the kit's
  [`link_page`][reposix_contract.link_page], which honours every
  pagination knob (page size, truncation, cycles, foreign next links, empty and
  short pages) and records each page it serves;
* ``updated_after`` filters strictly after the given time, at full precision;
* ``If-Match`` on ``PATCH``: a stale version is refused with ``412``;
* the real ``401`` body for any other token, ``404`` for unknown projects and
  items, ``422`` for values the server refuses (a missing parent, read-only fields).

The status table below is written independently of the connector's, so a mapping
bug on one side is not hidden by the same bug on the other. The transport-level
knobs (429s, 5xx, transport errors, damaged bodies, latency, redirects) are
applied by the kit around `handle`; the fake does nothing for them.

TODO(connector author): change this file together with ``connector.py``: make it
serve your API's real paths, JSON, errors and pagination style (use the emitter
for your style from ``reposix_contract._fakes.pagination``). Keep it faithful to
the real server, quirks included: passing the kit means what the fake means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import httpx
from reposix import Record, RecordDraft, RecordStatus
from reposix_contract import (
    DECOY_ORIGIN,
    BadRequest,
    FakeConflict,
    FakeProjects,
    FakeStore,
    Knobs,
    Routes,
    bearer,
    check_auth,
    iso_z,
    json_response,
    link_page,
    parse_iso,
    read_json,
)

from {{ cookiecutter.package_name }} import DEFAULT_BASE_URL, ENV_VAR

__all__ = ["{{ cookiecutter.__class_prefix }}Fake"]

_TOKEN: Final = "{{ cookiecutter.connector_name|replace('-', '_') }}-fake-token-0000"
_STATES: Final[dict[RecordStatus, str]] = {
    RecordStatus.OPEN: "new",
    RecordStatus.IN_PROGRESS: "active",
    RecordStatus.IN_REVIEW: "review",
    RecordStatus.DONE: "resolved",
    RecordStatus.WONT_FIX: "rejected",
}
_STATUSES: Final[dict[str, RecordStatus]] = {state: status for status, state in _STATES.items()}
_READ_ONLY: Final = frozenset({"id", "created_at", "updated_at", "version", "url", "web_url"})
_WRITABLE: Final = frozenset({"title", "description", "state", "assignee", "labels", "parent_id"})


class _Refused(Exception):
    """Short-circuits a handler with a finished error response."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _error(status: int, error: str, message: str, **extra: Any) -> _Refused:
    return _Refused(json_response({"error": error, "message": message, **extra}, status))


class {{ cookiecutter.__class_prefix }}Fake:
    """The wire fake the kit mounts for the ``{{ cookiecutter.connector_name }}`` connector."""

    name = "{{ cookiecutter.connector_name }}"
    secret_vars = (ENV_VAR,)
    """Credential env vars the kit replaces with its canary secret."""
    routes = Routes()

    def __init__(
        self,
        store: FakeStore | None = None,
        knobs: Knobs | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        token: str = _TOKEN,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.store = store if store is not None else FakeStore()
        self.knobs = knobs if knobs is not None else Knobs()
        # TODO(connector author): project identifiers in your tracker's own form.
        self.projects = FakeProjects(seeded="demo", empty="empty", unknown="no-such-project")
        self.credentials: Mapping[str, str] = {ENV_VAR: token}
        self._prefix = httpx.URL(self.base_url + "/").path.rstrip("/")
        for project in (self.projects.seeded, self.projects.empty):
            self.store.add_project(project)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    def expected_auth(self) -> str:
        """The exact ``Authorization`` value the server accepts (the kit's S04 reads it)."""
        return bearer(self.credentials[ENV_VAR])

    # -- JSON -------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        origin = DECOY_ORIGIN if self.knobs.decoys else self.base_url
        return origin + path

    def item_json(self, project: str, record: Record) -> dict[str, Any]:
        """``record`` as the API's item JSON."""
        assignee = None
        if record.assignee is not None:
            assignee = {
                "username": record.assignee,
                "avatar_url": self._url(f"/avatars/{record.assignee}.png"),
            }
        return {
            "id": record.id,
            "title": record.title,
            "description": record.body or None,
            "state": _STATES[record.status],
            "assignee": assignee,
            "labels": list(record.labels),
            "parent_id": record.parent_id,
            "created_at": iso_z(record.created_at),
            "updated_at": iso_z(record.updated_at),
            "version": record.version,
            "url": self._url(f"/api/projects/{project}/items/{record.id}"),
            "web_url": self._url(f"/{project}/items/{record.id}"),
        }

    def _item_response(self, project: str, record: Record, status: int = 200) -> httpx.Response:
        etag = {"ETag": f'"{record.version}"'}
        return json_response(self.item_json(project, record), status, etag)

    # -- dispatch ---------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve one request from the store."""
        unauthorized = json_response(
            {"error": "unauthorized", "message": "missing or invalid bearer token"},
            401,
            {"WWW-Authenticate": 'Bearer realm="api"'},
        )
        denied = check_auth(request, self.expected_auth(), unauthorized)
        if denied is not None:
            return denied
        try:
            return await self.routes.dispatch(
                request, self._no_route, owner=self, prefix=self._prefix
            )
        except _Refused as refused:
            return refused.response
        except BadRequest as exc:
            return json_response({"error": "bad_request", "message": str(exc)}, 400)

    @staticmethod
    def _no_route() -> httpx.Response:
        return json_response({"error": "not_found", "message": "no such endpoint"}, 404)

    def _project(self, project: str) -> str:
        if not self.store.has_project(project):
            raise _error(404, "not_found", f"project {project} not found")
        return project

    def _record(self, project: str, item_id: int) -> Record:
        record = self.store.get(self._project(project), item_id)
        if record is None:
            raise _error(404, "not_found", f"item {item_id} not found in project {project}")
        return record

    # -- handlers ---------------------------------------------------------------------------

    @routes.get("/api/projects/{project}/items")
    async def list_items(self, request: httpx.Request, project: str) -> httpx.Response:
        """A page of items, oldest first, optionally only those updated after a time."""
        records = self.store.list(self._project(project))
        params = request.url.params
        if "per_page" in params and not params["per_page"].isdigit():
            raise _error(400, "bad_request", "per_page must be a positive integer")
        if "updated_after" in params:
            try:
                after = parse_iso(params["updated_after"])
            except ValueError:
                raise _error(400, "bad_request", "updated_after is not an ISO-8601 time") from None
            records = [r for r in records if r.updated_at > after]
        page = link_page(records, request, self.knobs, default_size=20, max_size=100)
        headers = dict(page.headers)
        if page.total is not None:
            headers["X-Total-Count"] = str(page.total)
        return json_response([self.item_json(project, r) for r in page.items], headers=headers)

    @routes.get("/api/projects/{project}/items/{item_id:int}")
    async def get_item(self, request: httpx.Request, project: str, item_id: int) -> httpx.Response:
        """One item."""
        return self._item_response(project, self._record(project, item_id))

    @routes.post("/api/projects/{project}/items")
    async def create_item(self, request: httpx.Request, project: str) -> httpx.Response:
        """Create an item: the server assigns id, timestamps and version 1."""
        self._project(project)
        fields = self._fields(project, request, creating=True)
        record = self.store.create(project, RecordDraft(**fields))
        return self._item_response(project, record, 201)

    @routes.patch("/api/projects/{project}/items/{item_id:int}")
    async def update_item(
        self, request: httpx.Request, project: str, item_id: int
    ) -> httpx.Response:
        """Change the fields present in the body; ``If-Match`` makes it conditional."""
        current = self._record(project, item_id)
        expected = self._if_match(request)
        if expected is not None and expected != current.version:
            raise _error(
                412,
                "version_mismatch",
                f"item {item_id} is at version {current.version}, not {expected}",
                current_version=current.version,
            )
        changes = self._fields(project, request, creating=False, item_id=item_id)
        try:
            updated = self.store.update(project, item_id, changes, expected)
        except FakeConflict as conflict:
            raise _error(
                412, "version_mismatch", str(conflict), current_version=conflict.actual
            ) from None
        return self._item_response(project, updated)

    @routes.delete("/api/projects/{project}/items/{item_id:int}")
    async def delete_item(
        self, request: httpx.Request, project: str, item_id: int
    ) -> httpx.Response:
        """Delete an item."""
        self._record(project, item_id)
        self.store.delete(project, item_id)
        return httpx.Response(204)

    # -- request bodies ---------------------------------------------------------------------

    @staticmethod
    def _if_match(request: httpx.Request) -> int | None:
        raw = request.headers.get("if-match")
        if raw is None:
            return None
        value = raw.strip().removeprefix("W/").strip('"')
        if not value.isdigit():
            raise _error(400, "bad_request", f"If-Match must be a quoted version, got {raw!r}")
        return int(value)

    def _fields(
        self,
        project: str,
        request: httpx.Request,
        *,
        creating: bool,
        item_id: int | None = None,
    ) -> dict[str, Any]:
        """The record fields a create or update body sets (validated like the server)."""
        body = read_json(request)
        if not isinstance(body, dict):
            raise _error(400, "bad_request", "the body must be a JSON object")
        read_only = sorted(set(body) & _READ_ONLY)
        if read_only:
            raise _error(422, "invalid", f"read-only field(s): {', '.join(read_only)}")
        unknown = sorted(set(body) - _WRITABLE)
        if unknown:
            raise _error(422, "invalid", f"unknown field(s): {', '.join(unknown)}")
        if creating and "title" not in body:
            raise _error(422, "invalid", "title is required")
        out: dict[str, Any] = {}
        if "title" in body:
            if not isinstance(body["title"], str) or not body["title"].strip():
                raise _error(422, "invalid", "title must be a non-empty string")
            out["title"] = body["title"]
        if "description" in body:
            text = body["description"]
            if text is not None and not isinstance(text, str):
                raise _error(422, "invalid", "description must be a string or null")
            out["body"] = text or ""
        if "state" in body:
            if body["state"] not in _STATUSES:
                raise _error(422, "invalid", f"unknown state {body['state']!r}")
            out["status"] = _STATUSES[body["state"]]
        if "assignee" in body:
            who = body["assignee"]
            if who is not None and (not isinstance(who, str) or not who):
                raise _error(422, "invalid", "assignee must be a username or null")
            out["assignee"] = who
        if "labels" in body:
            labels = body["labels"]
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise _error(422, "invalid", "labels must be a list of strings")
            out["labels"] = list(labels)
        if "parent_id" in body:
            out["parent_id"] = self._parent(project, body["parent_id"], item_id)
        return out

    def _parent(self, project: str, parent: Any, item_id: int | None) -> int | None:
        if parent is None:
            return None
        if isinstance(parent, bool) or not isinstance(parent, int):
            raise _error(422, "invalid", "parent_id must be an item id or null")
        if parent == item_id or self.store.get(project, parent) is None:
            raise _error(422, "invalid", f"parent_id {parent}: no such item in project {project}")
        return parent
