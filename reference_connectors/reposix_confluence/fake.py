"""``ConfluenceFake``: an in-process emulation of Confluence Cloud's page APIs.

Serves the kit's [`FakeStore`][reposix_contract.FakeStore] the way
``https://{site}.atlassian.net`` would, traps included:

* REST v2 paths and shapes: ``GET /wiki/api/v2/spaces?keys=``, ``GET
  /wiki/api/v2/spaces/{id}/pages`` (``status`` defaults to current+archived, ``limit``
  1..250 default 25, ``body-format`` or no body at all, ``_links.next`` relative to the
  site, ``_links.base`` and the ``Link`` header pointing at ``DECOY_ORIGIN`` when decoys
  are on), ``GET/PUT/DELETE /wiki/api/v2/pages/{id}``, ``POST /wiki/api/v2/pages`` (200),
  ``GET /wiki/api/v2/pages/{id}/labels``; numeric-string ids; ADF bodies as JSON strings,
  with server-added ``localId`` attributes on paragraphs;
* v1 endpoints: ``GET /wiki/rest/api/content/search`` (only the CQL the connector sends;
  minute precision, inclusive, read in the user's time zone, current pages only unless
  ``cqlcontext.contentStatuses`` says otherwise, ``version`` only with ``expand=version``,
  ``_links.next`` relative to the ``/wiki`` context), ``POST/DELETE
  /wiki/rest/api/content/{id}/label``, ``GET /wiki/rest/api/user/current`` (``timeZone``);
* ``PUT`` refuses (409, the real message) any ``version.number`` but current + 1;
  ``DELETE`` moves the page to the trash (a trashed page still answers ``GET`` with
  ``status: trashed``), ``?purge=true`` on a trashed page removes it;
* label names are stored lowercase; a name with whitespace or one of ``:;,.?&[]()#^*@!``
  is refused (400); label writes create no page version;
* every top-level page hangs under the space homepage (``parentId`` = ``homepageId``);
* the real 401 (v2 error envelope, ``x-failure-category``) for any other credential.

The status convention (``reposix-status-*`` labels, ``archived`` → done) is written here
independently of the connector's mapping, so a bug in one is not hidden by the other.
Seeded ``done`` records are archived pages; a ``done`` written through labels stays a
current page carrying ``reposix-status-done``. Not emulated: title uniqueness within a
space, the homepage as a listed page, drafts, storage-format bodies.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

import httpx

from reposix import InvalidRecord, ProtocolError, Record, RecordDraft, RecordStatus, adf
from reposix_contract import (
    DECOY_ORIGIN,
    BadCursor,
    FakeConflict,
    FakeProjects,
    FakeStore,
    Knobs,
    basic,
    check_auth,
    cursor_page,
    mount_prefix,
    unmount,
)

__all__ = ["ConfluenceFake"]

_EMAIL: Final = "reposix-bot@example.com"
_API_KEY: Final = "ATATT3xFfGF0reposixFakeApiToken0000000000"
_OWNER: Final = "5b10ac8d82e05b22cc7d4ef5"
_V2: Final = "/wiki/api/v2"
_V1: Final = "/wiki/rest/api"
_FORBIDDEN_LABEL_CHARS: Final = frozenset(":;,.?&[]()#^*@!")
"""Refused in label names by Confluence (besides whitespace)."""
_STATUS_LABELS: Final = {
    RecordStatus.IN_PROGRESS: "reposix-status-in-progress",
    RecordStatus.IN_REVIEW: "reposix-status-in-review",
    RecordStatus.DONE: "reposix-status-done",
    RecordStatus.WONT_FIX: "reposix-status-wont-fix",
}
_PRECEDENCE: Final = (
    RecordStatus.WONT_FIX,
    RecordStatus.DONE,
    RecordStatus.IN_REVIEW,
    RecordStatus.IN_PROGRESS,
)
_CQL = re.compile(
    r'^\s*space\s*=\s*"(?P<space>[^"]+)"\s+and\s+type\s*=\s*page\s+and\s+'
    r'lastmodified\s*>=\s*"(?P<when>\d{4}-\d{2}-\d{2} \d{2}:\d{2})"'
    r"(?:\s+order\s+by\s+lastmodified(?:\s+(?P<dir>asc|desc))?)?\s*$",
    re.IGNORECASE,
)
_SPACES = re.compile(rf"^{_V2}/spaces/?$")
_SPACE_PAGES = re.compile(rf"^{_V2}/spaces/(?P<sid>\d+)/pages/?$")
_PAGES = re.compile(rf"^{_V2}/pages/?$")
_PAGE = re.compile(rf"^{_V2}/pages/(?P<id>\d+)/?$")
_PAGE_LABELS = re.compile(rf"^{_V2}/pages/(?P<id>\d+)/labels/?$")
_SEARCH = re.compile(rf"^{_V1}/content/search/?$")
_LABEL = re.compile(rf"^{_V1}/content/(?P<id>\d+)/label(?:/(?P<name>[^/]+))?/?$")
_USER = re.compile(rf"^{_V1}/user/current/?$")


class _Reply(Exception):
    """Short-circuits a handler with a finished response."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _ts(when: datetime) -> str:
    """``2026-01-01T00:00:07.000Z`` (Confluence's millisecond UTC form)."""
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _site_root(base_url: str) -> str:
    """``https://x.atlassian.net`` for ``https://x.atlassian.net`` or ``…/wiki``."""
    return base_url[: -len("/wiki")] if base_url.endswith("/wiki") else base_url


def _num(text: str) -> str:
    return str(zlib.crc32(text.encode()) % 900_000_000 + 1_000_000)


class ConfluenceFake:
    """The wire fake the kit mounts for the ``confluence`` connector (see module docstring)."""

    name = "confluence"
    secret_vars = ("ATLASSIAN_API_KEY",)

    def __init__(
        self,
        store: FakeStore | None = None,
        knobs: Knobs | None = None,
        *,
        base_url: str = "https://reposix-test.atlassian.net",
        email: str = _EMAIL,
        api_key: str = _API_KEY,
        time_zone: str | None = "Australia/Sydney",
        site_url: str = "https://reposix-test.atlassian.net",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.mount = mount_prefix(self.base_url, context="/wiki")
        """The gateway prefix requests arrive under (``/ex/confluence/{cloudId}``), or ``""``."""
        self.site_url = site_url.rstrip("/") if self.mount else _site_root(self.base_url)
        """The site Confluence names in ``_links.base``: behind the gateway, the real site."""
        self.store = store if store is not None else FakeStore()
        self.knobs = knobs if knobs is not None else Knobs()
        self.projects = FakeProjects(seeded="DEMO", empty="EMPTY", unknown="NOPE")
        self.credentials: Mapping[str, str] = {
            "ATLASSIAN_EMAIL": email,
            "ATLASSIAN_API_KEY": api_key,
        }
        self.time_zone = time_zone
        self.space_ids: dict[str, int] = {}
        self.trash: dict[int, tuple[str, Record]] = {}
        self.labelled_done: set[int] = set()
        """Pages whose ``done`` came from a ``reposix-status-done`` label (not archived)."""
        self.requests_by_path: dict[str, int] = {}
        for project in (self.projects.seeded, self.projects.empty):
            self.store.add_project(project)

    def set_credentials(self, values: Mapping[str, str]) -> None:
        """The kit swaps in its canary secret here."""
        self.credentials = dict(values)

    # -- spaces -----------------------------------------------------------------------------

    def space_id(self, project: str) -> int:
        """The numeric id of a space (projects of the store are the spaces)."""
        return self.space_ids.setdefault(project, 65_537 + len(self.space_ids))

    def homepage_id(self, project: str) -> str:
        """The id of the space homepage (not a page of the store)."""
        return str(90_000_000 + self.space_id(project))

    def _project_of_space(self, sid: int) -> str:
        for project in self.store.projects:
            if self.space_id(project) == sid:
                return project
        raise self._error(404, "NOT_FOUND", "Space not found")

    # -- responses --------------------------------------------------------------------------

    @property
    def _site(self) -> str:
        return DECOY_ORIGIN if self.knobs.decoys else self.site_url

    def _json(
        self, status: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return httpx.Response(
            status,
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={
                "content-type": "application/json;charset=UTF-8",
                "atl-traceid": "0123456789abcdef",
                **(headers or {}),
            },
        )

    def _error(self, status: int, code: str, title: str, detail: str | None = None) -> _Reply:
        body = {"errors": [{"status": status, "code": code, "title": title, "detail": detail}]}
        return _Reply(self._json(status, body))

    def _v1_error(self, status: int, message: str) -> _Reply:
        body = {"statusCode": status, "data": {"authorized": True, "valid": False}}
        return _Reply(self._json(status, {**body, "message": message}))

    def _unauthorized(self) -> httpx.Response:
        body = {
            "errors": [
                {"status": 401, "code": "UNAUTHORIZED", "title": "Unauthorized", "detail": None}
            ]
        }
        return self._json(401, body, {"x-failure-category": "FAILURE_CLIENT_AUTH_MISMATCH"})

    # -- JSON shapes ------------------------------------------------------------------------

    def global_labels(self, record: Record) -> list[str]:
        """The page's global labels as Confluence shows them: user labels + status label."""
        names = list(record.labels)
        tag = _STATUS_LABELS.get(record.status)
        if tag is not None and (
            record.status is not RecordStatus.DONE or record.id in self.labelled_done
        ):
            names.append(tag)
        return names

    def page_status(self, record: Record) -> str:
        """``archived`` for a seeded/closed ``done`` page, else ``current``."""
        if record.status is RecordStatus.DONE and record.id not in self.labelled_done:
            return "archived"
        return "current"

    @staticmethod
    def adf(body: str) -> dict[str, Any]:
        """The ADF document the server holds for a Markdown body, with ``localId``s added."""
        try:
            doc = adf.from_markdown(body)
        except InvalidRecord:
            block = {"type": "text", "text": body}
            doc = {
                "type": "doc",
                "version": 1,
                "content": [
                    {
                        "type": "codeBlock",
                        "attrs": {"language": adf.RAW_LANGUAGE},
                        "content": [block],
                    }
                ],
            }
        for index, node in enumerate(doc.get("content", [])):
            if isinstance(node, dict) and node.get("type") == "paragraph":
                attrs = dict(node.get("attrs") or {})
                attrs["localId"] = f"a1b2c3d4-0000-4000-8000-{index:012d}"
                node["attrs"] = attrs
        return doc

    def page_json(
        self, project: str, record: Record, *, body_format: str | None, status: str | None = None
    ) -> dict[str, Any]:
        """``record`` as a v2 page (``PageSingle``/``PageBulk``)."""
        parent = str(record.parent_id) if record.parent_id else self.homepage_id(project)
        body: dict[str, Any] = {}
        if body_format == "atlas_doc_format":
            value = json.dumps(self.adf(record.body), ensure_ascii=False, separators=(",", ":"))
            body = {"atlas_doc_format": {"representation": "atlas_doc_format", "value": value}}
        webui = f"/spaces/{project}/pages/{record.id}"
        return {
            "parentType": "page",
            "createdAt": _ts(record.created_at),
            "authorId": _OWNER,
            "id": str(record.id),
            "version": {
                "number": record.version,
                "message": "",
                "minorEdit": False,
                "authorId": _OWNER,
                "createdAt": _ts(record.updated_at),
            },
            "position": 4_000 + record.id,
            "title": record.title,
            "status": status or self.page_status(record),
            "body": body,
            "ownerId": _OWNER,
            "parentId": parent,
            "spaceId": str(self.space_id(project)),
            "lastOwnerId": None,
            "_links": {
                "editui": (DECOY_ORIGIN if self.knobs.decoys else "")
                + f"/pages/resumedraft?p={record.id}",
                "webui": (DECOY_ORIGIN if self.knobs.decoys else "") + webui,
                "tinyui": (DECOY_ORIGIN if self.knobs.decoys else "") + f"/x/{record.id}",
            },
        }

    def _links(self, nxt: str | None) -> dict[str, Any]:
        links: dict[str, Any] = {"base": f"{self._site}/wiki"}
        if nxt is not None:
            links["next"] = nxt
        return links

    def _link_header(self, nxt: str | None) -> dict[str, str]:
        if nxt is None:
            return {}
        return {"Link": f'<{nxt}>; rel="next", <{self._site}/wiki>; rel="base"'}

    # -- dispatch ---------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve one request from the store (under `mount` when mounted)."""
        inner = unmount(request, self.mount)
        if inner is None:  # the gateway knows nothing outside /ex/confluence/{cloudId}
            return self._json(404, {"message": "Not Found", "status": 404})
        try:
            return self._dispatch(inner)
        except _Reply as reply:
            return reply.response

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        expected = basic(self.credentials["ATLASSIAN_EMAIL"], self.credentials["ATLASSIAN_API_KEY"])
        refused = check_auth(request, expected, self._unauthorized)
        if refused is not None:
            return refused
        path = request.url.path
        method = request.method.upper()
        routes: list[tuple[re.Pattern[str], str, Any]] = [
            (_SPACES, "GET", self._spaces),
            (_SPACE_PAGES, "GET", self._list),
            (_PAGES, "POST", self._create),
            (_PAGE, "GET", self._get),
            (_PAGE, "PUT", self._update),
            (_PAGE, "DELETE", self._delete),
            (_PAGE_LABELS, "GET", self._labels),
            (_SEARCH, "GET", self._search),
            (_LABEL, "POST", self._add_labels),
            (_LABEL, "DELETE", self._remove_label),
            (_USER, "GET", self._user),
        ]
        for pattern, verb, handler in routes:
            m = pattern.match(path)
            if m is not None and verb == method:
                response: httpx.Response = handler(request, **m.groupdict())
                return response
        if path.startswith(_V1):
            raise self._v1_error(404, "null for uri: " + path)
        raise self._error(404, "NOT_FOUND", "Not Found")

    # -- v2: spaces and pages ---------------------------------------------------------------

    def _spaces(self, request: httpx.Request) -> httpx.Response:
        keys: list[str] = []
        for value in request.url.params.get_list("keys"):
            keys += [k for k in value.split(",") if k]
        results = []
        for key in keys:
            if self.store.has_project(key):
                sid = self.space_id(key)
                results.append(
                    {
                        "id": str(sid),
                        "key": key,
                        "name": f"{key} space",
                        "type": "global",
                        "status": "current",
                        "authorId": _OWNER,
                        "createdAt": "2025-06-01T09:00:00.000Z",
                        "homepageId": self.homepage_id(key),
                        "description": None,
                        "icon": None,
                        "_links": {
                            "webui": (DECOY_ORIGIN if self.knobs.decoys else "") + f"/spaces/{key}"
                        },
                    }
                )
        return self._json(200, {"results": results, "_links": self._links(None)})

    def _statuses(self, request: httpx.Request, default: tuple[str, ...]) -> set[str]:
        wanted: set[str] = set()
        for value in request.url.params.get_list("status"):
            wanted |= {s.strip() for s in value.split(",") if s.strip()}
        return wanted or set(default)

    def _list(self, request: httpx.Request, sid: str) -> httpx.Response:
        project = self._project_of_space(int(sid))
        q = request.url.params
        statuses = self._statuses(request, ("current", "archived"))
        records = [r for r in self.store.list(project) if self.page_status(r) in statuses]
        sort = q.get("sort", "id")
        keys = {
            "id": lambda r: r.id,
            "created-date": lambda r: (r.created_at, r.id),
            "modified-date": lambda r: (r.updated_at, r.id),
            "title": lambda r: (r.title, r.id),
        }
        field = sort.lstrip("-")
        if field not in keys:
            raise self._error(400, "INVALID_REQUEST_PARAMETER", f"Invalid sort: {sort}")
        records.sort(key=keys[field], reverse=sort.startswith("-"))
        limit = q.get("limit", "25")
        if not limit.isdigit() or not 1 <= int(limit) <= 250:
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "limit must be 1..250")
        try:
            page = cursor_page(records, request, self.knobs, default_size=25, max_size=250)
        except BadCursor:
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "Invalid cursor") from None
        fmt = q.get("body-format")
        results = [self.page_json(project, r, body_format=fmt) for r in page.items]
        body = {"results": results, "_links": self._links(page.next)}
        return self._json(200, body, self._link_header(page.next))

    def _find(self, page_id: int) -> tuple[str, Record]:
        found = self.store.find(page_id)
        if found is None:
            raise self._error(404, "NOT_FOUND", "Page not found")
        return found

    def _get(self, request: httpx.Request, id: str) -> httpx.Response:
        page_id = int(id)
        fmt = request.url.params.get("body-format")
        if page_id in self.trash:
            project, record = self.trash[page_id]
            return self._json(
                200, self.page_json(project, record, body_format=fmt, status="trashed")
            )
        project, record = self._find(page_id)
        return self._json(200, self.page_json(project, record, body_format=fmt))

    def _body(self, request: httpx.Request) -> dict[str, Any]:
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "Malformed JSON") from None
        if not isinstance(body, dict):
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "Expected a JSON object")
        return body

    def _markdown(self, body: Mapping[str, Any]) -> str:
        raw = body.get("body")
        if not isinstance(raw, dict) or raw.get("representation") != "atlas_doc_format":
            raise self._error(
                400, "INVALID_REQUEST_PARAMETER", "body.representation must be atlas_doc_format"
            )
        value = raw.get("value")
        if not isinstance(value, str):
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "body.value must be a string")
        try:
            doc = json.loads(value)
            if not isinstance(doc, dict) or doc.get("type") != "doc":
                raise ValueError("not an ADF doc")
            return adf.to_markdown(doc)
        except (ValueError, ProtocolError) as exc:
            raise self._error(400, "INVALID_REQUEST_PARAMETER", f"Invalid ADF: {exc}") from None

    def _title(self, body: Mapping[str, Any]) -> str:
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "Title is required")
        if len(title) > 255:
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "Title is too long")
        return title

    def _parent(self, project: str, body: Mapping[str, Any]) -> int | None:
        raw = body.get("parentId")
        if raw is None or str(raw) == self.homepage_id(project):
            return None
        text = str(raw)
        found = self.store.find(int(text)) if text.isdigit() else None
        if found is None or found[0] != project:
            raise self._error(400, "INVALID_REQUEST_PARAMETER", f"Parent {text} not found")
        return found[1].id

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = self._body(request)
        for key in ("id", "version", "createdAt"):
            if key in body:
                raise self._error(400, "INVALID_REQUEST_PARAMETER", f"Unexpected field {key}")
        sid = str(body.get("spaceId", ""))
        if not sid.isdigit():
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "spaceId is required")
        project = self._project_of_space(int(sid))
        if body.get("status", "current") != "current":
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "fake: only current pages")
        draft = RecordDraft(
            title=self._title(body),
            body=self._markdown(body),
            parent_id=self._parent(project, body),
        )
        record = self.store.create(project, draft)
        return self._json(200, self.page_json(project, record, body_format="atlas_doc_format"))

    def _update(self, request: httpx.Request, id: str) -> httpx.Response:
        page_id = int(id)
        project, current = self._find(page_id)
        body = self._body(request)
        if str(body.get("id")) != id:
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "id must match the path")
        if body.get("status") != "current":
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "status must be current")
        if self.page_status(current) == "archived":
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "Cannot update an archived page")
        version = body.get("version")
        number = version.get("number") if isinstance(version, dict) else None
        if not isinstance(number, int) or isinstance(number, bool):
            raise self._error(400, "INVALID_REQUEST_PARAMETER", "version.number is required")
        changes: dict[str, Any] = {"title": self._title(body), "body": self._markdown(body)}
        if "parentId" in body:
            parent = self._parent(project, body)
            if parent == page_id:
                raise self._error(400, "INVALID_REQUEST_PARAMETER", "A page cannot parent itself")
            changes["parent_id"] = parent
        try:
            record = self.store.update(project, page_id, changes, expected_version=number - 1)
        except FakeConflict as exc:
            raise self._error(
                409,
                "CONFLICT",
                "Version must be incremented when updating a page. "
                f"Current Version: [{exc.actual}]. Provided version: [{number}]",
            ) from None
        return self._json(200, self.page_json(project, record, body_format="atlas_doc_format"))

    def _delete(self, request: httpx.Request, id: str) -> httpx.Response:
        page_id = int(id)
        purge = request.url.params.get("purge") == "true"
        if page_id in self.trash:
            if not purge:
                raise self._error(404, "NOT_FOUND", "Page not found")
            del self.trash[page_id]
            return httpx.Response(204)
        project, record = self._find(page_id)
        self.store.delete(project, page_id)
        self.trash[page_id] = (project, record)
        return httpx.Response(204)

    # -- labels -----------------------------------------------------------------------------

    def _labels(self, request: httpx.Request, id: str) -> httpx.Response:
        project, record = self._find(int(id))
        del project
        labels = [
            {"id": _num("label:" + n), "name": n, "prefix": "global"}
            for n in self.global_labels(record)
        ]
        if record.id % 3 == 0:
            labels.append({"id": _num("label:my:starred"), "name": "starred", "prefix": "my"})
        q = request.url.params
        limit = int(q.get("limit", "25")) if q.get("limit", "25").isdigit() else 25
        limit = max(1, min(250, limit))
        start = int(q.get("cursor", "0")) if q.get("cursor", "0").isdigit() else 0
        chunk = labels[start : start + limit]
        nxt = None
        if start + limit < len(labels):
            nxt = str(request.url.copy_set_param("cursor", str(start + limit)).raw_path, "ascii")
        return self._json(200, {"results": chunk, "_links": self._links(nxt)})

    def _set_labels(self, project: str, record: Record, names: list[str]) -> Record:
        """Store a page's new global labels: user labels + the status they imply.

        Label writes create no page version (as on Confluence): the record is replaced
        in place, not through ``FakeStore.update``.
        """
        user = [n for n in names if not n.startswith("reposix-status-")]
        present = {n for n in names if n.startswith("reposix-status-")}
        status = RecordStatus.OPEN
        for candidate in _PRECEDENCE:
            if _STATUS_LABELS[candidate] in present:
                status = candidate
                break
        if status is RecordStatus.OPEN and self.page_status(record) == "archived":
            status = RecordStatus.DONE
        if status is RecordStatus.DONE and _STATUS_LABELS[RecordStatus.DONE] in present:
            self.labelled_done.add(record.id)
        else:
            self.labelled_done.discard(record.id)
        updated = record.replace(labels=user, status=status)
        self.store.projects[project][record.id] = updated
        return updated

    def _add_labels(self, request: httpx.Request, id: str, name: str | None) -> httpx.Response:
        if name is not None:
            raise self._v1_error(405, "Method not allowed")
        project, record = self._find(int(id))
        try:
            raw = json.loads(request.content or b"null")
        except ValueError:
            raise self._v1_error(400, "Could not parse the request body") from None
        items = raw if isinstance(raw, list) else [raw]
        names = self.global_labels(record)
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise self._v1_error(400, "Each label needs a prefix and a name")
            label = item["name"].lower()
            if (
                not label
                or any(c.isspace() or c in _FORBIDDEN_LABEL_CHARS for c in label)
                or item.get("prefix") != "global"
            ):
                raise self._v1_error(400, f"Invalid label: '{item['name']}'")
            if label not in names:
                names.append(label)
        record = self._set_labels(project, record, names)
        results = [
            {"prefix": "global", "name": n, "id": _num("label:" + n), "label": n}
            for n in self.global_labels(record)
        ]
        return self._json(
            200, {"results": results, "start": 0, "limit": 200, "size": len(results), "_links": {}}
        )

    def _remove_label(self, request: httpx.Request, id: str, name: str | None) -> httpx.Response:
        project, record = self._find(int(id))
        label = name if name is not None else request.url.params.get("name")
        if not label:
            raise self._v1_error(400, "A label name is required")
        names = self.global_labels(record)
        if label.lower() not in names:
            raise self._v1_error(404, f"Label '{label}' is not on content {id}")
        names.remove(label.lower())
        self._set_labels(project, record, names)
        return httpx.Response(204)

    # -- v1: CQL search and the current user ------------------------------------------------

    def _user(self, request: httpx.Request) -> httpx.Response:
        return self._json(
            200,
            {
                "type": "known",
                "accountId": _OWNER,
                "accountType": "atlassian",
                "email": self.credentials["ATLASSIAN_EMAIL"],
                "publicName": "reposix bot",
                "displayName": "reposix bot",
                "timeZone": self.time_zone,
                "profilePicture": {"path": f"{DECOY_ORIGIN}/avatar.png", "isDefault": True},
                "_links": {"self": f"{self._site}/wiki/rest/api/user?accountId={_OWNER}"},
            },
        )

    def _search(self, request: httpx.Request) -> httpx.Response:
        q = request.url.params
        m = _CQL.match(q.get("cql", ""))
        if m is None:
            raise self._v1_error(400, f"Could not parse cql : {q.get('cql', '')[:100]}")
        project = m["space"]
        zone = ZoneInfo(self.time_zone) if self.time_zone else UTC
        bound = datetime.strptime(m["when"], "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        statuses = {"current"}
        if "cqlcontext" in q:
            try:
                context = json.loads(q["cqlcontext"])
                statuses = set(context.get("contentStatuses") or statuses)
            except (ValueError, AttributeError, TypeError):
                raise self._v1_error(400, "Could not parse cqlcontext") from None
        records = self.store.list(project) if self.store.has_project(project) else []
        hits = [r for r in records if r.updated_at >= bound and self.page_status(r) in statuses]
        hits.sort(key=lambda r: (r.updated_at, r.id), reverse=(m["dir"] or "").lower() == "desc")
        expand = {e.strip() for e in q.get("expand", "").split(",")}
        try:
            page = cursor_page(hits, request, self.knobs, default_size=25, max_size=100)
        except BadCursor:
            raise self._v1_error(400, "Invalid cursor") from None
        nxt = page.next
        if nxt is not None and nxt.startswith("/wiki/"):
            nxt = nxt[len("/wiki") :]
        results = []
        for record in page.items:
            item: dict[str, Any] = {
                "id": str(record.id),
                "type": "page",
                "status": self.page_status(record),
                "title": record.title,
                "_links": {
                    "webui": (DECOY_ORIGIN if self.knobs.decoys else "")
                    + f"/spaces/{project}/pages/{record.id}",
                    "self": f"{self._site}/wiki/rest/api/content/{record.id}",
                },
                "_expandable": {"space": f"/rest/api/space/{project}"},
            }
            if "version" in expand:
                item["version"] = {
                    "by": {"type": "known", "accountId": _OWNER},
                    "when": _ts(record.updated_at),
                    "number": record.version,
                    "minorEdit": False,
                }
            results.append(item)
        links = {"base": f"{self._site}/wiki", "context": "/wiki"}
        if nxt is not None:
            links["next"] = nxt
        limit = self.knobs.page_size or int(q.get("limit", "25") or 25)
        body = {
            "results": results,
            "start": 0,
            "limit": limit,
            "size": len(results),
            "_links": links,
        }
        return self._json(200, body)
