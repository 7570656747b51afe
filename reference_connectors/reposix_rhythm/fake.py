"""``RhythmFake``: an in-process emulation of the Rhythm tracker's ``/api/v1`` (blueprint in
``shared/seeds``, "Rhythm Backend Blueprint"), on the kit's virtual clock.

* Auth: ``POST /auth/register``, ``/auth/login`` (email + password → access and refresh
  token), ``/auth/refresh`` (rotation: the old refresh token is revoked, reusing it is a
  401). Access tokens live `ACCESS_TTL` seconds (the blueprint's "~15min") on the
  store's clock; an expired one gets 401 ``token_expired``.
* Issues at ``/orgs/{org}/projects/{project}/issues[/{number}]`` with the blueprint's fields,
  assignees (several, ``PUT …/assignees {"assignees": [email, …]}``) and tags (``PUT …/tags
  {"tags": [name, …]}``, each a project tag created first with ``POST …/tags``) inline in the
  issue JSON. Unknown assignee emails are provisioned as users (a real server would 422).
* RBAC (the blueprint's table): reporter+ creates (open issues only), developer+ updates,
  sets assignees/tags and creates tags, admin deletes; org members are ``reporter`` unless
  assigned. Decision: a non-member gets **404** for the org's projects and issues (the API
  hides their existence, as GitHub does for private repositories), a member lacking the
  role gets **403** ``forbidden``.
* Cursor pagination on list endpoints: ``?cursor=&limit=`` (default 25, max 100) →
  ``{"items": [...], "next_cursor": str|null, "has_more": bool}`` (`_page`, the one
  place it is built). Filters ``q`` (full text, `reposix._search`, best first),
  ``tag``, ``assignee`` (email or user id), ``status``.
* Errors: ``{"error": {"code", "message"}}``; validation 422, auth 401/403, 404, and 429
  with ``Retry-After`` past `rate_limit` requests per minute.

The status mapping (``resolved`` ↔ done, ``closed`` ↔ won't fix, ``in_review`` as
``in_progress`` plus the ``status:in-review`` tag) is written here independently of the
connector's. Priority, type, stage and sprint live in ``Record.extensions``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from reposix import Record, RecordDraft, RecordStatus
from reposix_contract import (
    DECOY_ORIGIN,
    FakeProjects,
    FakeStore,
    Knobs,
    text_matches,
    text_rank,
    token_page,
)

__all__ = ["ACCESS_TTL", "RhythmFake"]

ACCESS_TTL: Final = 900.0
"""Access-token lifetime in seconds (the blueprint: "short-lived access ~15min")."""
_API: Final = "/api/v1"
_REVIEW: Final = "status:in-review"
_STATUS_OUT: Final = {
    RecordStatus.OPEN: "open",
    RecordStatus.IN_PROGRESS: "in_progress",
    RecordStatus.IN_REVIEW: "in_progress",
    RecordStatus.DONE: "resolved",
    RecordStatus.WONT_FIX: "closed",
}
_STATUS_IN: Final = {
    "open": RecordStatus.OPEN,
    "in_progress": RecordStatus.IN_PROGRESS,
    "resolved": RecordStatus.DONE,
    "closed": RecordStatus.WONT_FIX,
}
_PRIORITIES: Final = ("critical", "major", "normal", "minor")
_TYPES: Final = ("bug", "feature", "task", "improvement")
_ROLES: Final = {"reporter": 1, "developer": 2, "admin": 3}
_PROJECT = r"^/api/v1/orgs/(?P<org>[^/]+)/projects/(?P<proj>[^/]+)"
_ISSUES = re.compile(_PROJECT + r"/issues/?$")
_ISSUE = re.compile(_PROJECT + r"/issues/(?P<num>\d+)(?P<sub>/assignees|/tags)?/?$")
_TAGS = re.compile(_PROJECT + r"/tags/?$")


class _Reply(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _ts(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class _Issue:
    """What Rhythm keeps beyond the canonical record."""

    priority: str = "normal"
    issue_type: str = "task"
    stage_id: str | None = None
    sprint_id: str | None = None
    co_assignees: list[str] = field(default_factory=list)


class RhythmFake:
    """The wire fake the kit mounts for the ``rhythm`` connector (see module docstring)."""

    name = "rhythm"
    access_token_ttl = ACCESS_TTL
    """Declares refreshing auth to the kit (R20/W20 jump the clock past it)."""
    secret_vars = ("RHYTHM_PASSWORD",)
    credential_exchange = (_API + "/auth/login", _API + "/auth/refresh")
    """Token endpoints: the password / refresh token travels in their body (kit S04/S08)."""

    def __init__(
        self,
        store: FakeStore | None = None,
        knobs: Knobs | None = None,
        *,
        base_url: str = "https://rhythm.example.com",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.store = store if store is not None else FakeStore()
        self.knobs = knobs if knobs is not None else Knobs()
        self.projects = FakeProjects(
            seeded="acme/tracker", empty="acme/empty", unknown="acme/missing"
        )
        self.credentials: Mapping[str, str] = {
            "RHYTHM_EMAIL": "kit@rhythm.example",
            "RHYTHM_PASSWORD": "correct horse battery staple",
        }
        self.users: dict[str, dict[str, str]] = {}
        self.org_members: dict[str, dict[str, str]] = {"acme": {}}
        """org slug → email → org role (owner, admin, member)."""
        self.project_roles: dict[str, dict[str, str]] = {}
        """project ``org/proj`` → email → project role."""
        self.tags: dict[str, dict[str, str]] = {}
        """project → tag name → tag id."""
        self.extras: dict[tuple[str, int], _Issue] = {}
        self.access: dict[str, tuple[str, float]] = {}
        """access token → (email, expiry on the clock's monotonic seconds)."""
        self.refresh: dict[str, str] = {}
        """live refresh token → email (rotated ones are removed)."""
        self.revoked: set[str] = set()
        self.rate_limit = 600
        """Requests per minute before a 429 (the blueprint's planned tower-governor)."""
        self._window: tuple[int, int] = (0, 0)
        self._seq = 0
        self.set_credentials(dict(self.credentials))
        for project in (self.projects.seeded, self.projects.empty):
            self.store.add_project(project)

    # -- set-up ----------------------------------------------------------------------------

    def set_credentials(self, creds: Mapping[str, str]) -> None:
        """(Re)register the kit user with these credentials, org owner and project admin."""
        self.credentials = dict(creds)
        email = creds["RHYTHM_EMAIL"]
        self.users[email] = {"id": self._uid(email), "password": creds.get("RHYTHM_PASSWORD", "")}
        self.org_members["acme"][email] = "owner"
        for project in (self.projects.seeded, self.projects.empty):
            self.project_roles.setdefault(project, {})[email] = "admin"

    def add_user(self, email: str, password: str, *, org_role: str = "member") -> None:
        """Register a user as a member of ``acme`` (tests use it for RBAC)."""
        self.users[email] = {"id": self._uid(email), "password": password}
        if org_role:
            self.org_members["acme"][email] = org_role

    def set_role(self, email: str, project: str, role: str | None) -> None:
        """Give ``email`` a project role (None: only the org default)."""
        roles = self.project_roles.setdefault(project, {})
        if role is None:
            roles.pop(email, None)
        else:
            roles[email] = role

    @staticmethod
    def _uid(email: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "rhythm-user:" + email.lower()))

    # -- responses -------------------------------------------------------------------------

    def _json(
        self, status: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return httpx.Response(
            status,
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json", **(headers or {})},
        )

    def _error(self, status: int, code: str, message: str, **headers: str) -> _Reply:
        body = {"error": {"code": code, "message": message}}
        return _Reply(self._json(status, body, headers))

    def _body(self, request: httpx.Request) -> dict[str, Any]:
        try:
            data = json.loads(request.content or b"{}")
        except ValueError:
            raise self._error(422, "validation", "request body is not JSON") from None
        if not isinstance(data, dict):
            raise self._error(422, "validation", "request body must be a JSON object")
        return data

    # -- auth ------------------------------------------------------------------------------

    def _issue_tokens(self, email: str) -> dict[str, Any]:
        self._seq += 1
        access = f"rha_{self._seq}_{uuid.uuid4().hex}"
        refresh = f"rhr_{self._seq}_{uuid.uuid4().hex}"
        self.access[access] = (email, self.store.clock.monotonic() + ACCESS_TTL)
        self.refresh[refresh] = email
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": int(ACCESS_TTL),
        }

    def _auth(self, path: str, request: httpx.Request) -> httpx.Response:
        data = self._body(request)
        if path == "/auth/register":
            email, password = data.get("email"), data.get("password")
            if (
                not isinstance(email, str)
                or "@" not in email
                or not isinstance(password, str)
                or len(password) < 8
            ):
                raise self._error(422, "validation", "email and a password of 8+ characters")
            if email in self.users:
                raise self._error(409, "conflict", "email already registered")
            self.add_user(email, password, org_role="")
            return self._json(201, {"id": self.users[email]["id"], "email": email})
        if path == "/auth/login":
            email, password = data.get("email"), data.get("password")
            user = self.users.get(email) if isinstance(email, str) else None
            if user is None or user["password"] != password:
                raise self._error(401, "invalid_credentials", "wrong email or password")
            return self._json(200, self._issue_tokens(str(email)))
        if path == "/auth/refresh":
            token = data.get("refresh_token")
            if not isinstance(token, str) or token not in self.refresh:
                reused = isinstance(token, str) and token in self.revoked
                raise self._error(
                    401,
                    "invalid_refresh_token",
                    "refresh token already used" if reused else "unknown refresh token",
                )
            email = self.refresh.pop(token)
            self.revoked.add(token)
            return self._json(200, self._issue_tokens(email))
        raise self._error(404, "not_found", "no such auth endpoint")

    def _user_of(self, request: httpx.Request) -> str:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            raise self._error(401, "unauthorized", "missing bearer token")
        entry = self.access.get(header[7:])
        if entry is None:
            raise self._error(401, "invalid_token", "unknown access token")
        email, expires = entry
        if self.store.clock.monotonic() >= expires:
            raise self._error(401, "token_expired", "access token expired")
        return email

    def role(self, email: str, project: str) -> int:
        """0: not a member (404); else the project role's rank (reporter 1 … admin 3)."""
        org = project.split("/")[0]
        org_role = self.org_members.get(org, {}).get(email)
        explicit = self.project_roles.get(project, {}).get(email)
        if explicit is not None:
            return _ROLES[explicit]
        return _ROLES["reporter"] if org_role else 0

    def _require(self, email: str, project: str, need: str) -> None:
        have = self.role(email, project)
        if have == 0 or not self.store.has_project(project):
            raise self._error(404, "not_found", f"project {project} not found")
        if have < _ROLES[need]:
            raise self._error(403, "forbidden", f"this needs the project role {need} or higher")

    def _limit(self) -> None:
        minute = int(self.store.clock.monotonic() // 60)
        start, count = self._window
        count = count + 1 if start == minute else 1
        self._window = (minute, count)
        if count > self.rate_limit:
            wait = 60 - int(self.store.clock.monotonic() % 60)
            raise self._error(
                429, "rate_limited", "too many requests", **{"Retry-After": str(wait)}
            )

    # -- JSON ------------------------------------------------------------------------------

    def _issue_json(self, project: str, record: Record) -> dict[str, Any]:
        extra = self.extras.get((project, record.id), _Issue())
        tags = list(record.labels)
        if record.status is RecordStatus.IN_REVIEW:
            tags.append(_REVIEW)
        emails = ([record.assignee] if record.assignee else []) + extra.co_assignees
        org, proj = project.split("/")
        api = DECOY_ORIGIN if self.knobs.decoys else self.base_url
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"rhythm-issue:{project}:{record.id}")),
            "number": record.id,
            "title": record.title,
            "description": record.body or None,
            "status": _STATUS_OUT[record.status],
            "priority": extra.priority,
            "issue_type": extra.issue_type,
            "stage_id": extra.stage_id,
            "sprint_id": extra.sprint_id,
            "reporter_id": self._uid(self.credentials["RHYTHM_EMAIL"]),
            "assignees": [
                {"id": self._uid(e), "email": e, "display_name": e.split("@")[0]} for e in emails
            ],
            "tags": [{"id": self._tag_id(project, t), "name": t, "color": None} for t in tags],
            "url": f"{api}{_API}/orgs/{org}/projects/{proj}/issues/{record.id}",
            "created_at": _ts(record.created_at),
            "updated_at": _ts(record.updated_at),
        }

    def _tag_id(self, project: str, name: str) -> str:
        return self.tags.setdefault(project, {}).setdefault(
            name, str(uuid.uuid5(uuid.NAMESPACE_URL, f"rhythm-tag:{project}:{name}"))
        )

    def _project_tags(self, project: str) -> set[str]:
        """Tags created with ``POST …/tags`` plus those on issues (seeded by the kit)."""
        names = set(self.tags.get(project, {}))
        for record in self.store.list(project):
            names.update(self._issue_tags(record))
        return names

    def _page(self, items: list[Any], request: httpx.Request) -> httpx.Response:
        """The one cursor page shape: ``?cursor=&limit=`` → items, next_cursor, has_more."""
        page = token_page(
            items,
            request,
            self.knobs,
            default_size=25,
            max_size=100,
            token_param="cursor",
            size_param="limit",
        )
        return self._json(
            200, {"items": page.items, "next_cursor": page.next_token, "has_more": not page.is_last}
        )

    # -- dispatch --------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request (see the module docstring)."""
        try:
            return self._handle(request)
        except _Reply as reply:
            return reply.response

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self._limit()
        if not path.startswith(_API + "/"):
            raise self._error(404, "not_found", "not an API path")
        if path.startswith(_API + "/auth/") and request.method == "POST":
            return self._auth(path[len(_API) :], request)
        email = self._user_of(request)
        if m := _ISSUES.match(path):
            project = f"{m['org']}/{m['proj']}"
            if request.method == "GET":
                self._require(email, project, "reporter")
                return self._list(project, request)
            if request.method == "POST":
                self._require(email, project, "reporter")
                return self._create(email, project, request)
        elif m := _ISSUE.match(path):
            project = f"{m['org']}/{m['proj']}"
            number = int(m["num"])
            self._require(email, project, "reporter")
            record = self.store.get(project, number)
            if record is None:
                raise self._error(404, "not_found", f"issue {number} not found")
            sub = m["sub"]
            if sub is None and request.method == "GET":
                return self._json(200, self._issue_json(project, record))
            if sub is None and request.method == "PATCH":
                self._require(email, project, "developer")
                return self._patch(email, project, record, request)
            if sub is None and request.method == "DELETE":
                self._require(email, project, "admin")
                self.store.delete(project, number)
                return httpx.Response(204)
            if sub == "/tags" and request.method == "PUT":
                self._require(email, project, "developer")
                return self._put_tags(project, record, request)
            if sub == "/assignees" and request.method == "PUT":
                self._require(email, project, "developer")
                return self._put_assignees(project, record, request)
        elif m := _TAGS.match(path):
            project = f"{m['org']}/{m['proj']}"
            if request.method == "GET":
                self._require(email, project, "reporter")
                tags = [
                    {"id": self._tag_id(project, n), "name": n, "color": None}
                    for n in sorted(self._project_tags(project))
                ]
                return self._page(tags, request)
            if request.method == "POST":
                self._require(email, project, "developer")
                name = self._body(request).get("name")
                if not isinstance(name, str) or not name.strip():
                    raise self._error(422, "validation", "a tag needs a name")
                if name in self._project_tags(project):
                    raise self._error(409, "conflict", f"tag {name!r} exists")
                return self._json(
                    201, {"id": self._tag_id(project, name), "name": name, "color": None}
                )
        raise self._error(404, "not_found", f"no route for {request.method} {path}")

    # -- issues ----------------------------------------------------------------------------

    def _list(self, project: str, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        records = self.store.list(project)
        if (status := params.get("status")) is not None:
            if status not in _STATUS_IN:
                raise self._error(422, "validation", f"unknown status {status!r}")
            records = [r for r in records if _STATUS_OUT[r.status] == status]
        if (tag := params.get("tag")) is not None:
            records = [r for r in records if tag in self._issue_tags(r)]
        if (who := params.get("assignee")) is not None:
            records = [r for r in records if who in self._people(project, r)]
        if (q := params.get("q")) is not None:
            records = [r for r in records if text_matches(q, r.title, r.body)]
            records.sort(key=lambda r: (-text_rank(q, r.title, r.body), r.id))
        return self._page([self._issue_json(project, r) for r in records], request)

    @staticmethod
    def _issue_tags(record: Record) -> list[str]:
        return [*record.labels, *([_REVIEW] if record.status is RecordStatus.IN_REVIEW else [])]

    def _people(self, project: str, record: Record) -> set[str]:
        extra = self.extras.get((project, record.id), _Issue())
        emails = ([record.assignee] if record.assignee else []) + extra.co_assignees
        return {*emails, *(self._uid(e) for e in emails)}

    def _fields(self, data: dict[str, Any], extra: _Issue) -> dict[str, Any]:
        """Validate the writable scalar fields into record changes (422 on bad values)."""
        changes: dict[str, Any] = {}
        if "title" in data:
            if not isinstance(data["title"], str) or not data["title"].strip():
                raise self._error(422, "validation", "title must be a non-empty string")
            changes["title"] = data["title"]
        if "description" in data:
            if data["description"] is not None and not isinstance(data["description"], str):
                raise self._error(422, "validation", "description must be a string")
            changes["body"] = data["description"] or ""
        for key, allowed in (("priority", _PRIORITIES), ("issue_type", _TYPES)):
            if key in data:
                if data[key] not in allowed:
                    raise self._error(422, "validation", f"{key} must be one of {allowed}")
                setattr(extra, key, data[key])
        for key in ("stage_id", "sprint_id"):
            if key in data:
                if data[key] is not None and not isinstance(data[key], str):
                    raise self._error(422, "validation", f"{key} must be a UUID or null")
                setattr(extra, key, data[key])
        return changes

    def _links(
        self, email: str, project: str, data: dict[str, Any], status: RecordStatus
    ) -> dict[str, Any]:
        """``tags``/``assignees`` given in a create or PATCH body, applied in the same
        transaction (developer role; tags must exist): record changes, status included."""
        changes: dict[str, Any] = {}
        if "tags" in data:
            self._require(email, project, "developer")
            names = data["tags"]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise self._error(422, "validation", "tags must be a list of tag names")
            missing = [n for n in names if n not in self._project_tags(project)]
            if missing:
                raise self._error(422, "validation", f"unknown project tag(s): {missing}")
            changes["labels"] = list(dict.fromkeys(n for n in names if n != _REVIEW))
            if _REVIEW in names and status is RecordStatus.IN_PROGRESS:
                status = RecordStatus.IN_REVIEW
            elif _REVIEW not in names and status is RecordStatus.IN_REVIEW:
                status = RecordStatus.IN_PROGRESS
        if "assignees" in data:
            self._require(email, project, "developer")
            emails = data["assignees"]
            if not isinstance(emails, list) or not all(isinstance(e, str) and e for e in emails):
                raise self._error(422, "validation", "assignees must be a list of user emails")
            emails = list(dict.fromkeys(emails))
            for e in emails:
                if e not in self.users:
                    self.add_user(e, uuid.uuid4().hex)
            changes["assignee"] = emails[0] if emails else None
            changes["_co"] = emails[1:]
        changes["status"] = status
        return changes

    @staticmethod
    def _extensions(extra: _Issue) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if extra.priority != "normal":
            out["priority"] = extra.priority
        if extra.issue_type != "task":
            out["issue_type"] = extra.issue_type
        for key in ("stage_id", "sprint_id"):
            if getattr(extra, key) is not None:
                out[key] = getattr(extra, key)
        return out

    def _create(self, email: str, project: str, request: httpx.Request) -> httpx.Response:
        data = self._body(request)
        if "title" not in data:
            raise self._error(422, "validation", "title is required")
        status = data.get("status", "open")
        if status not in _STATUS_IN:
            raise self._error(422, "validation", f"unknown status {status!r}")
        if status != "open":
            self._require(email, project, "developer")  # reporters create open issues only
        extra = _Issue()
        changes = self._fields(data, extra)
        links = self._links(email, project, data, _STATUS_IN[status])
        extra.co_assignees = links.pop("_co", [])
        draft = RecordDraft(
            title=changes["title"],
            body=changes.get("body", ""),
            extensions=self._extensions(extra),
            **links,
        )
        record = self.store.create(project, draft)
        self.extras[(project, record.id)] = extra
        return self._json(201, self._issue_json(project, record))

    def _patch(
        self, email: str, project: str, record: Record, request: httpx.Request
    ) -> httpx.Response:
        data = self._body(request)
        extra = self.extras.setdefault((project, record.id), _Issue())
        changes = self._fields(data, extra)
        if "status" in data:
            if data["status"] not in _STATUS_IN:
                raise self._error(422, "validation", f"unknown status {data['status']!r}")
            new = _STATUS_IN[data["status"]]
            review = record.status is RecordStatus.IN_REVIEW and new is RecordStatus.IN_PROGRESS
            changes["status"] = record.status if review else new
        links = self._links(email, project, data, changes.get("status", record.status))
        if "_co" in links:
            extra.co_assignees = links.pop("_co")
        changes.update(links)
        changes["extensions"] = self._extensions(extra)
        updated = self.store.update(project, record.id, changes)
        return self._json(200, self._issue_json(project, updated))

    def _put_tags(self, project: str, record: Record, request: httpx.Request) -> httpx.Response:
        names = self._body(request).get("tags")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise self._error(422, "validation", "tags must be a list of tag names")
        known = self._project_tags(project)
        missing = [n for n in names if n not in known]
        if missing:
            raise self._error(422, "validation", f"unknown project tag(s): {missing}")
        labels = list(dict.fromkeys(n for n in names if n != _REVIEW))
        status = record.status
        if _REVIEW in names and status is RecordStatus.IN_PROGRESS:
            status = RecordStatus.IN_REVIEW
        elif _REVIEW not in names and status is RecordStatus.IN_REVIEW:
            status = RecordStatus.IN_PROGRESS
        updated = self.store.update(project, record.id, {"labels": labels, "status": status})
        return self._json(200, self._issue_json(project, updated))

    def _put_assignees(
        self, project: str, record: Record, request: httpx.Request
    ) -> httpx.Response:
        emails = self._body(request).get("assignees")
        if not isinstance(emails, list) or not all(isinstance(e, str) and e for e in emails):
            raise self._error(422, "validation", "assignees must be a list of user emails")
        emails = list(dict.fromkeys(emails))
        for e in emails:
            if e not in self.users:
                self.add_user(e, uuid.uuid4().hex)
        extra = self.extras.setdefault((project, record.id), _Issue())
        extra.co_assignees = emails[1:]
        updated = self.store.update(project, record.id, {"assignee": emails[0] if emails else None})
        return self._json(200, self._issue_json(project, updated))
