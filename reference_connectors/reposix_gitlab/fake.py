"""``GitLabFake``: an in-process emulation of GitLab's REST v4 issue endpoints.

Serves the kit's ``FakeStore`` the way a GitLab instance would, quirks included
(sources: https://docs.gitlab.com/api/issues/, https://docs.gitlab.com/api/rest/):

* mounted under a path prefix by default (``https://gitlab.example.com/gitlab/api/v4``,
  a self-managed instance served under ``/gitlab``): a client that drops the prefix gets 404;
* projects by numeric id or URL-encoded full path: ``projects/my-group%2Fmy-project``; an
  unencoded ``/`` splits the path and answers 404, as on GitLab;
* issues by project-scoped ``iid``; the instance-wide ``id`` is a different number;
* ``PRIVATE-TOKEN`` or ``Authorization: Bearer``, byte for byte; ``{"message":"401
  Unauthorized"}`` otherwise; a second, Developer-role token whose deletes answer 403;
* listings: ``state`` omitted = all, ``order_by`` default ``created_at``, ``sort`` default
  ``desc``, ``per_page`` default 20 (max 100), ``updated_after`` inclusive; offset pages
  with ``Link`` (prev/next/first/last) and ``x-page``/``x-next-page``/``x-total``/
  ``x-total-pages`` headers (totals omitted with ``knobs.omit_total``, as above 10,000);
  keyset pages (``pagination=keyset``) whose ``cursor`` encodes the last row's sort key, so
  an edit between page requests cannot shift rows across pages; ``keyset=False`` emulates a
  server before 18.3 (405 "Keyset pagination is not yet available ...");
* labels come back sorted by title (``Issuable#label_names``: ``labels.order('title ASC')``
  in gitlab-org/gitlab ``app/models/concerns/issuable.rb``) and stripped;
  ``labels``/``add_labels``/``remove_labels`` are comma-separated strings (or arrays);
* ``state_event=close|reopen`` sets ``closed_at``/``closed_by``; POST always creates
  ``opened``; DELETE answers 204 for the owner token;
* ``RateLimit-*`` headers on every response; errors as ``{"message": ...}`` or
  ``{"error": ...}``.

The mapping between the store's records and GitLab's state/labels is written here
independently of the connector's.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Final
from urllib.parse import unquote

import httpx

from reposix import Record, RecordDraft, RecordStatus
from reposix_contract import (
    DECOY_ORIGIN,
    FOREIGN_ORIGIN,
    BadCursor,
    FakeProjects,
    FakeStore,
    Knobs,
    Served,
    link_page,
    parse_iso,
    plan_pages,
)

__all__ = ["GitLabFake"]

_TOKEN: Final = "glpat-reposixFakeToken000000000"
_DEVELOPER_TOKEN: Final = "glpat-reposixDeveloper00000000"
_IN_PROGRESS: Final = "status::in-progress"
_IN_REVIEW: Final = "status::in-review"
_WONT_FIX: Final = "status::wont-fix"
_ORDERS: Final = frozenset(
    {
        "created_at",
        "updated_at",
        "priority",
        "due_date",
        "relative_position",
        "label_priority",
        "milestone_due",
        "popularity",
        "weight",
        "title",
    }
)
_KEYSET_ORDERS: Final = frozenset({"id", "created_at", "updated_at", "title"})
_ISSUES = re.compile(r"^/projects/(?P<ref>[^/]+)/issues/?$")
_ISSUE = re.compile(r"^/projects/(?P<ref>[^/]+)/issues/(?P<iid>[0-9]+)/?$")
_USERS = re.compile(r"^/users/?$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*$")
_ID_OFFSET: Final = 83_000


@dataclass
class _Extra:
    """What GitLab keeps about an issue beyond the canonical record."""

    other_scoped: list[str] = field(default_factory=list)
    co_assignees: list[str] = field(default_factory=list)
    closed_at: datetime | None = None
    closed_by: str | None = None


class _Reply(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _ts(when: datetime) -> str:
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _ms(when: datetime) -> datetime:
    utc = when.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def _b64(data: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _unb64(text: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError) as exc:
        raise BadCursor(f"bad cursor {text[:40]!r}") from exc
    if not isinstance(data, dict):
        raise BadCursor(f"bad cursor {text[:40]!r}")
    return data


class GitLabFake:
    """The wire fake the kit mounts for the ``gitlab`` connector (see module docstring)."""

    name = "gitlab"

    def __init__(
        self,
        store: FakeStore | None = None,
        knobs: Knobs | None = None,
        *,
        base_url: str = "https://gitlab.example.com/gitlab/api/v4",
        token: str = _TOKEN,
        developer_token: str = _DEVELOPER_TOKEN,
        keyset: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.store = store if store is not None else FakeStore()
        self.knobs = knobs if knobs is not None else Knobs()
        self.projects = FakeProjects(
            seeded="my-group/my-project", empty="my-group/empty-project", unknown="my-group/missing"
        )
        self.credentials: Mapping[str, str] = {"GITLAB_TOKEN": token}
        self.developer_token = developer_token
        self.keyset = keyset
        self.extras: dict[tuple[str, int], _Extra] = {}
        self.project_ids: dict[str, int] = {}
        self.users: dict[str, int] = {"root": 1}
        self.requests_seen = 0
        self.between_pages: Callable[[GitLabFake, str], None] | None = None
        """Called before serving every listing page after the first (tests mutate here)."""
        self._prefix = httpx.URL(self.base_url + "/").path.rstrip("/")
        for project in (self.projects.seeded, self.projects.empty):
            self.store.add_project(project)
            self.project_id(project)

    # -- ids --------------------------------------------------------------------------------

    def project_id(self, project: str) -> int:
        """The numeric id GitLab gives ``project`` (4 for the first, as in the docs)."""
        return self.project_ids.setdefault(project, 4 + len(self.project_ids))

    def user_id(self, username: str) -> int:
        """The numeric id of ``username`` (every well-formed name exists in the fake)."""
        return self.users.setdefault(username, 9 + len(self.users))

    def _username(self, uid: int) -> str | None:
        return next((name for name, known in self.users.items() if known == uid), None)

    # -- responses --------------------------------------------------------------------------

    @property
    def _web(self) -> str:
        return DECOY_ORIGIN if self.knobs.decoys else "https://gitlab.example.com/gitlab"

    @property
    def _api(self) -> str:
        return DECOY_ORIGIN + "/api/v4" if self.knobs.decoys else self.base_url

    def _headers(self) -> dict[str, str]:
        self.requests_seen += 1
        now = self.store.clock.now()
        reset = int(now.timestamp()) + 60
        observed = 1 + self.requests_seen % 500
        return {
            "content-type": "application/json",
            "cache-control": "no-cache",
            "vary": "Origin",
            "x-request-id": f"01RPX{self.requests_seen:08d}",
            "ratelimit-limit": "2000",
            "ratelimit-observed": str(observed),
            "ratelimit-remaining": str(2000 - observed),
            "ratelimit-reset": str(reset),
            "ratelimit-resettime": format_datetime(datetime.fromtimestamp(reset, UTC), usegmt=True),
        }

    def _json(
        self, status: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return httpx.Response(
            status,
            content=json.dumps(body).encode(),
            headers={**self._headers(), **(headers or {})},
        )

    def _message(self, status: int, message: Any) -> _Reply:
        return _Reply(self._json(status, {"message": message}))

    def _error(self, status: int, error: str) -> _Reply:
        return _Reply(self._json(status, {"error": error}))

    # -- JSON shapes ------------------------------------------------------------------------

    def _user(self, username: str) -> dict[str, Any]:
        return {
            "id": self.user_id(username),
            "username": username,
            "name": username.replace("-", " ").title(),
            "state": "active",
            "locked": False,
            "avatar_url": f"{self._web}/uploads/-/system/user/avatar/{self.user_id(username)}/a",
            "web_url": f"{self._web}/{username}",
        }

    def extra(self, project: str, iid: int) -> _Extra:
        """The side-table entry of an issue (created on first use)."""
        return self.extras.setdefault((project, iid), _Extra())

    def wire_labels(self, project: str, record: Record) -> list[str]:
        """The labels GitLab shows for ``record``: user, other scoped and mapped, by title."""
        labels = set(record.labels) | set(self.extra(project, record.id).other_scoped)
        mapped = {
            RecordStatus.IN_PROGRESS: _IN_PROGRESS,
            RecordStatus.IN_REVIEW: _IN_REVIEW,
            RecordStatus.WONT_FIX: _WONT_FIX,
        }.get(record.status)
        if mapped:
            labels.add(mapped)
        return sorted(labels)

    def issue_json(self, project: str, record: Record) -> dict[str, Any]:
        """``record`` as GitLab's issue JSON (shaped like the docs' example)."""
        extra = self.extra(project, record.id)
        closed = record.status in (RecordStatus.DONE, RecordStatus.WONT_FIX)
        names = [record.assignee, *extra.co_assignees] if record.assignee else []
        pid = self.project_id(project)
        web = f"{self._web}/{project}/-/issues/{record.id}"
        api = f"{self._api}/projects/{pid}/issues/{record.id}"
        return {
            "id": _ID_OFFSET + record.id,
            "iid": record.id,
            "project_id": pid,
            "title": record.title,
            "description": record.body or None,
            "state": "closed" if closed else "opened",
            "created_at": _ts(record.created_at),
            "updated_at": _ts(record.updated_at),
            "closed_at": _ts(extra.closed_at or record.updated_at) if closed else None,
            "closed_by": self._user(extra.closed_by or "root") if closed else None,
            "labels": self.wire_labels(project, record),
            "milestone": None,
            "assignees": [self._user(n) for n in names],
            "author": self._user("root"),
            "type": "ISSUE",
            "assignee": self._user(names[0]) if names else None,
            "user_notes_count": 0,
            "merge_requests_count": 0,
            "upvotes": 0,
            "downvotes": 0,
            "due_date": None,
            "confidential": False,
            "discussion_locked": None,
            "issue_type": "issue",
            "severity": "UNKNOWN",
            "web_url": web,
            "time_stats": {
                "time_estimate": 0,
                "total_time_spent": 0,
                "human_time_estimate": None,
                "human_total_time_spent": None,
            },
            "task_completion_status": {"count": 0, "completed_count": 0},
            "has_tasks": False,
            "_links": {
                "self": api,
                "notes": f"{api}/notes",
                "award_emoji": f"{api}/award_emoji",
                "project": f"{self._api}/projects/{pid}",
                "closed_as_duplicate_of": None,
            },
            "references": {
                "short": f"#{record.id}",
                "relative": f"#{record.id}",
                "full": f"{project}#{record.id}",
            },
            "subscribed": True,
            "moved_to_id": None,
            "service_desk_reply_to": None,
        }

    # -- dispatch ---------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve one request from the store."""
        try:
            return self._dispatch(request)
        except _Reply as reply:
            return reply.response

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        raw = request.url.raw_path.decode("ascii").split("?", 1)[0]
        if not raw.startswith(self._prefix + "/"):
            raise self._message(404, "404 Not Found")
        path = raw[len(self._prefix) :]
        role = self._authorize(request)
        method = request.method.upper()
        if _USERS.match(path) and method == "GET":
            return self._users(request)
        if m := _ISSUES.match(path):
            project = self._project(m["ref"])
            if method == "GET":
                return self._list(project, request)
            if method == "POST":
                return self._create(project, request)
            raise self._message(405, "405 Method Not Allowed")
        if m := _ISSUE.match(path):
            project = self._project(m["ref"])
            iid = int(m["iid"])
            if method == "GET":
                return self._json(200, self.issue_json(project, self._record(project, iid)))
            if method == "PUT":
                return self._update(project, iid, request)
            if method == "DELETE":
                return self._delete(project, iid, role)
            raise self._message(405, "405 Method Not Allowed")
        raise self._message(404, "404 Not Found")

    def _authorize(self, request: httpx.Request) -> str:
        """``owner`` or ``developer``; the real 401 body for anything else."""
        tokens = [v for k, v in request.headers.raw if k.lower() == b"private-token"]
        bearers = [v for k, v in request.headers.raw if k.lower() == b"authorization"]
        offered: list[bytes] = list(tokens)
        offered += [b[len(b"Bearer ") :] for b in bearers if b.startswith(b"Bearer ")]
        if len(tokens) + len(bearers) == 1 and len(offered) == 1:
            if offered[0] == self.credentials["GITLAB_TOKEN"].encode():
                return "owner"
            if offered[0] == self.developer_token.encode():
                return "developer"
        raise self._message(401, "401 Unauthorized")

    def _project(self, ref: str) -> str:
        if ref.isdigit():
            for project, pid in self.project_ids.items():
                if pid == int(ref) and project in self.store.projects:
                    return project
            raise self._message(404, "404 Project Not Found")
        name = unquote(ref)
        for project in self.store.projects:
            if project.lower() == name.lower():
                self.project_id(project)
                return project
        raise self._message(404, "404 Project Not Found")

    def _record(self, project: str, iid: int) -> Record:
        record = self.store.get(project, iid)
        if record is None:
            raise self._message(404, "404 Issue Not Found")
        return record

    def _users(self, request: httpx.Request) -> httpx.Response:
        name = request.url.params.get("username", "")
        if not _USERNAME.match(name) or name.startswith("nobody"):
            return self._json(200, [])
        return self._json(200, [self._user(name)])

    # -- list -------------------------------------------------------------------------------

    def _list(self, project: str, request: httpx.Request) -> httpx.Response:
        q = request.url.params
        state = q.get("state", "all")
        if state not in ("opened", "closed", "all"):
            raise self._error(400, "state does not have a valid value")
        order = q.get("order_by", "created_at")
        sort = q.get("sort", "desc")
        keyset = q.get("pagination") == "keyset"
        if sort not in ("asc", "desc"):
            raise self._error(400, "sort does not have a valid value")
        if keyset and (not self.keyset or order not in _KEYSET_ORDERS):
            raise self._error(
                405, "Keyset pagination is not yet available for this type of request"
            )
        if not keyset and order not in _ORDERS:
            raise self._error(400, "order_by does not have a valid value")
        after: datetime | None = None
        if "updated_after" in q:
            try:
                after = parse_iso(q["updated_after"])
            except ValueError:
                raise self._error(400, "updated_after is invalid") from None
        for name in ("per_page", "page"):
            if name in q and not q[name].isdigit():
                raise self._error(400, f"{name} is invalid")
        records = self.store.list(project)
        if state != "all":
            records = [
                r
                for r in records
                if (r.status in (RecordStatus.DONE, RecordStatus.WONT_FIX)) == (state == "closed")
            ]
        if after is not None:
            # Inclusive, at the millisecond precision GitLab renders.
            records = [r for r in records if _ms(r.updated_at) >= after]

        def key(r: Record) -> tuple[str, int]:
            if order == "updated_at":
                return (_ts(r.updated_at), r.id)
            if order == "title":
                return (r.title, r.id)
            return (_ts(r.created_at) if order == "created_at" else "", r.id)

        records.sort(key=key, reverse=sort == "desc")
        if keyset:
            return self._keyset_page(project, records, request, key, sort == "desc")
        return self._offset_page(project, records, request)

    def _offset_page(
        self, project: str, records: list[Record], request: httpx.Request
    ) -> httpx.Response:
        q = request.url.params
        page = link_page(records, request, self.knobs, default_size=20, max_size=100)
        size = self.knobs.page_size or max(1, min(100, int(q.get("per_page", "20") or 20)))
        number = int(q.get("page", "1") or 1)
        total_pages = len(plan_pages(len(records), size, self.knobs))
        headers = {"x-page": str(number), "x-per-page": str(size)}
        headers["x-prev-page"] = str(number - 1) if number > 1 else ""
        nxt = page.next_url
        headers["x-next-page"] = httpx.URL(nxt).params.get("page", "") if nxt else ""
        links = []
        if number > 1:
            links.append(f'<{request.url.copy_set_param("page", str(number - 1))}>; rel="prev"')
        if nxt:
            links.append(f'<{nxt}>; rel="next"')
        links.append(f'<{request.url.copy_set_param("page", "1")}>; rel="first"')
        if not self.knobs.omit_total:
            headers["x-total"] = str(len(records))
            headers["x-total-pages"] = str(total_pages)
            links.append(f'<{request.url.copy_set_param("page", str(total_pages))}>; rel="last"')
        headers["link"] = ", ".join(links)
        self._maybe_mutate(project, number > 1)
        return self._json(200, [self.issue_json(project, r) for r in page.items], headers)

    def _keyset_page(
        self,
        project: str,
        records: list[Record],
        request: httpx.Request,
        key: Callable[[Record], tuple[str, int]],
        desc: bool,
    ) -> httpx.Response:
        """A keyset page: the cursor names the last row served (its sort key and id), so
        the next page starts after that row whatever changed meanwhile. The page plan
        (sizes, truncation, empty and short pages) comes from the kit's ``plan_pages``."""
        q = request.url.params
        size = self.knobs.page_size or max(1, min(100, int(q.get("per_page", "20") or 20)))
        raw = q.get("cursor")
        index, last = 0, None
        if raw:
            try:
                data = _unb64(raw)
                index = int(data["_rpx_page"])
                last = (str(data["_key"]), int(data["id"]))
            except (BadCursor, KeyError, TypeError, ValueError):
                raise self._error(400, "cursor is invalid") from None
        self._maybe_mutate(project, raw is not None)
        if raw is not None:
            # records may have changed since the previous page: re-read them
            records = [r for r in records if self.store.get(project, r.id) is not None]
        plan = plan_pages(len(records), size, self.knobs)
        start = 0
        if last is not None:
            start = len(records)
            for i, r in enumerate(records):
                k = key(r)
                if (k < last) if desc else (k > last):
                    start = i
                    break
        offered = len(records)
        if self.knobs.truncate_at is not None:
            offered = min(offered, self.knobs.truncate_at)
        # beyond the plan (rows moved past the cursor meanwhile): plain pages
        length = plan[index][1] - plan[index][0] if index < len(plan) else size
        end = min(start + length, offered)
        items = records[start:end] if start < offered else []
        more = end < offered or (index + 1 < len(plan) and plan[index + 1][0] == plan[index + 1][1])
        next_url: str | None = None
        if self.knobs.cycle == "self" and index == 0:
            next_url = str(request.url)  # A -> A
        elif self.knobs.cycle == "ab" and index == 1:
            next_url = str(request.url.copy_remove_param("cursor"))  # B -> A
        elif more or (self.knobs.cycle == "ab" and index == 0):
            anchor = items[-1] if items else (records[start - 1] if start > 0 else None)
            cursor = _b64(
                {
                    "_key": key(anchor)[0] if anchor else "",
                    "id": str(anchor.id if anchor else 0),
                    "_kd": "n",
                    "_rpx_page": index + 1,
                }
            )
            next_url = str(request.url.copy_set_param("cursor", cursor))
        if next_url is not None and self.knobs.foreign_next and index == 0:
            next_url = FOREIGN_ORIGIN + httpx.URL(next_url).raw_path.decode("ascii")
        self.knobs.served.append(
            Served(
                "link",
                index,
                len(items),
                next_url is not None,
                ids=tuple(r.id for r in items),
                order=tuple(r.id for r in records),
            )
        )
        headers = {"x-per-page": str(size)}
        if next_url:
            headers["link"] = f'<{next_url}>; rel="next"'
            headers["x-next-cursor"] = httpx.URL(next_url).params.get("cursor", "")
        return self._json(200, [self.issue_json(project, r) for r in items], headers)

    def _maybe_mutate(self, project: str, later_page: bool) -> None:
        if later_page and self.between_pages is not None:
            self.between_pages(self, project)

    # -- writes -----------------------------------------------------------------------------

    def _body(self, request: httpx.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.url.params.items())
        if request.content:
            try:
                body = json.loads(request.content)
            except ValueError:
                raise self._error(400, "The request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise self._error(400, "The request body must be a JSON object")
            params.update(body)
        return params

    @staticmethod
    def _split(value: Any) -> list[str] | None:
        if value is None:
            return None
        items = value if isinstance(value, list) else str(value).split(",")
        out: list[str] = []
        for item in items:
            name = str(item).strip()
            if name and name not in out:
                out.append(name)
        return out

    def _assignees(self, body: Mapping[str, Any]) -> list[str] | None:
        if "assignee_ids" not in body and "assignee_id" not in body:
            return None
        raw = body.get("assignee_ids", body.get("assignee_id"))
        ids: Sequence[Any] = raw if isinstance(raw, list) else [] if raw in (None, "") else [raw]
        names: list[str] = []
        for uid in ids:
            if isinstance(uid, bool) or not isinstance(uid, int | str) or not str(uid).isdigit():
                raise self._error(400, "assignee_ids is invalid")
            if int(uid) == 0:
                continue
            name = self._username(int(uid))
            if name is None:
                raise self._message(404, "404 User Not Found")
            names.append(name)
        return names

    def _decompose(
        self, labels: list[str], closed: bool
    ) -> tuple[list[str], list[str], RecordStatus]:
        """``(user labels, other scoped labels, status)`` for a label set and state."""
        if closed:
            status = RecordStatus.WONT_FIX if _WONT_FIX in labels else RecordStatus.DONE
        elif _IN_REVIEW in labels:
            status = RecordStatus.IN_REVIEW
        elif _IN_PROGRESS in labels:
            status = RecordStatus.IN_PROGRESS
        else:
            status = RecordStatus.OPEN
        shown = {
            RecordStatus.IN_PROGRESS: _IN_PROGRESS,
            RecordStatus.IN_REVIEW: _IN_REVIEW,
            RecordStatus.WONT_FIX: _WONT_FIX,
        }.get(status)
        user = [n for n in labels if not n.startswith("status::")]
        # every other scoped label stays on the issue (GitLab never drops a label on its own)
        other = [n for n in labels if n.startswith("status::") and n != shown]
        return user, other, status

    def _create(self, project: str, request: httpx.Request) -> httpx.Response:
        body = self._body(request)
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise self._message(400, {"title": ["can't be blank"]})
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise self._error(400, "description is invalid")
        labels = self._split(body.get("labels")) or []
        assignees = self._assignees(body) or []
        user, other, status = self._decompose(labels, closed=False)
        record = self.store.create(
            project,
            RecordDraft(
                title=title,
                status=status,
                assignee=assignees[0] if assignees else None,
                labels=user,
                body=description or "",
            ),
        )
        self.extras[(project, record.id)] = _Extra(other_scoped=other, co_assignees=assignees[1:])
        return self._json(201, self.issue_json(project, record))

    def _update(self, project: str, iid: int, request: httpx.Request) -> httpx.Response:
        current = self._record(project, iid)
        body = self._body(request)
        known = {
            "title",
            "description",
            "labels",
            "add_labels",
            "remove_labels",
            "assignee_ids",
            "assignee_id",
            "state_event",
            "confidential",
            "due_date",
            "milestone_id",
        }
        if not known & set(body):
            raise self._error(
                400,
                ", ".join(sorted(known)) + " are missing, at least one parameter must be provided",
            )
        extra = self.extra(project, iid)
        closed = current.status in (RecordStatus.DONE, RecordStatus.WONT_FIX)
        event = body.get("state_event")
        if event not in (None, "close", "reopen"):
            raise self._error(400, "state_event does not have a valid value")
        if event == "close" and not closed:
            closed = True
            extra.closed_at = self.store.clock.now()
            extra.closed_by = "root"
        elif event == "reopen" and closed:
            closed = False
            extra.closed_at = None
            extra.closed_by = None
        labels = self.wire_labels(project, current)
        replaced = self._split(body.get("labels"))
        if replaced is not None:
            labels = replaced
        for name in self._split(body.get("add_labels")) or []:
            if name not in labels:
                labels.append(name)
        removed = set(self._split(body.get("remove_labels")) or [])
        labels = [n for n in labels if n not in removed]
        user, other, status = self._decompose(labels, closed)
        changes: dict[str, Any] = {"labels": user, "status": status}
        if "title" in body:
            title = body["title"]
            if not isinstance(title, str) or not title.strip():
                raise self._message(400, {"title": ["can't be blank"]})
            changes["title"] = title
        if "description" in body:
            description = body["description"]
            if description is not None and not isinstance(description, str):
                raise self._error(400, "description is invalid")
            changes["body"] = description or ""
        assignees = self._assignees(body)
        if assignees is not None:
            changes["assignee"] = assignees[0] if assignees else None
            extra.co_assignees = assignees[1:]
        extra.other_scoped = other
        updated = self.store.update(project, iid, changes)
        return self._json(200, self.issue_json(project, updated))

    def _delete(self, project: str, iid: int, role: str) -> httpx.Response:
        self._record(project, iid)
        if role != "owner":
            raise self._message(403, "403 Forbidden")
        self.store.delete(project, iid)
        self.extras.pop((project, iid), None)
        return httpx.Response(204, headers=self._headers())
