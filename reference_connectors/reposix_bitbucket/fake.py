"""``BitbucketFake``: an in-process emulation of Bitbucket Cloud's issue tracker API (2.0).

Serves the kit's ``FakeStore`` the way api.bitbucket.org would (sources: the swagger at
https://api.bitbucket.org/swagger.json; filtering and pagination at
https://developer.atlassian.com/cloud/bitbucket/rest/intro/):

* paths ``/repositories/{workspace}/{repo_slug}/issues[/{id}[/changes]]``; a repository
  without the issue tracker answers 404 ``Repository has no issue tracker.``;
* the ``paginated_issues`` envelope ``{size, page, pagelen, next, values}``, ``pagelen``
  default 10 (max 100), numbered pages whose absolute ``next`` link the client must follow
  as given, honouring the kit's pagination knobs (``size`` omitted with ``omit_total``);
* BBQL ``q=`` (``field op value [AND …]``, double-quoted strings with backslash escapes,
  ``>``, ``>=``, ``<``, ``<=``, ``=``, ``!=`` on ``id``, ``state``, ``kind``, ``priority``,
  ``title``, ``created_on``, ``updated_on``) and ``sort=`` (``-`` for descending); a query
  it cannot parse answers 400;
* Basic auth byte for byte (email + API token), a bearer token as well; 401 otherwise;
* ``POST`` creates in state ``new`` (kind ``bug``, priority ``major`` by default); ``PUT``
  is partial (absent keeps, ``null`` clears) and ignores ``state``; the state changes only
  through ``POST …/changes`` (``{"changes": {"state": {"new": …}}}``), which answers 201
  with the change record; ``DELETE`` answers 204;
* ``X-RateLimit-Limit``/``-Resource``/``-NearLimit`` headers (sent for access tokens,
  https://bitbucket.org/blog/introducing-scaled-rate-limits-for-bitbucket-cloud-api).

The state table is written here independently of the connector's mapping.
"""

from __future__ import annotations

import base64
import json
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from reposix import Record, RecordDraft, RecordStatus
from reposix_contract import DECOY_ORIGIN, FakeProjects, FakeStore, Knobs, link_page, parse_iso

__all__ = ["BitbucketFake"]

_EMAIL: Final = "agent@example.com"
_TOKEN: Final = "ATATTreposixFakeApiToken0000000000"
_CANONICAL: Final = {
    RecordStatus.OPEN: "new",
    RecordStatus.IN_PROGRESS: "open",
    RecordStatus.IN_REVIEW: "submitted",
    RecordStatus.DONE: "resolved",
    RecordStatus.WONT_FIX: "wontfix",
}
_STATUS: Final = {
    "new": RecordStatus.OPEN,
    "on hold": RecordStatus.OPEN,
    "open": RecordStatus.IN_PROGRESS,
    "submitted": RecordStatus.IN_REVIEW,
    "resolved": RecordStatus.DONE,
    "closed": RecordStatus.DONE,
    "wontfix": RecordStatus.WONT_FIX,
    "invalid": RecordStatus.WONT_FIX,
    "duplicate": RecordStatus.WONT_FIX,
}
_KINDS: Final = ("bug", "enhancement", "proposal", "task")
_PRIORITIES: Final = ("trivial", "minor", "major", "critical", "blocker")
_ISSUES = re.compile(r"^/repositories/(?P<ws>[^/]+)/(?P<slug>[^/]+)/issues/?$")
_ISSUE = re.compile(r"^/repositories/(?P<ws>[^/]+)/(?P<slug>[^/]+)/issues/(?P<id>[0-9]+)/?$")
_CHANGES = re.compile(
    r"^/repositories/(?P<ws>[^/]+)/(?P<slug>[^/]+)/issues/(?P<id>[0-9]+)/changes/?$"
)
_TOKENS = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>>=|<=|!=|=|>|<|~)|(?P<word>[A-Za-z0-9_.:+\-]+))'
)
_OPS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "!=": operator.ne,
    "~": operator.contains,
}
_FIELDS: Final = frozenset({"id", "state", "kind", "priority", "title", "created_on", "updated_on"})


@dataclass
class _Extra:
    """What Bitbucket keeps about an issue beyond the canonical record."""

    state: str | None = None
    """The raw state when it is not the canonical one for the record's status."""
    kind: str = "bug"
    priority: str = "major"


class _Reply(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class _BadQuery(ValueError):
    pass


def _ts(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def parse_bbql(query: str) -> list[tuple[str, str, str]]:
    """``field op value`` terms joined by ``AND`` (the subset the fake serves)."""
    terms: list[tuple[str, str, str]] = []
    pos = 0
    tokens: list[tuple[str, str]] = []
    while pos < len(query.rstrip()):
        m = _TOKENS.match(query, pos)
        if m is None or m.end() == pos:
            raise _BadQuery(f"unexpected input at {pos}: {query[pos : pos + 20]!r}")
        kind = m.lastgroup or "word"
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    i = 0
    while i < len(tokens):
        if i + 3 > len(tokens):
            raise _BadQuery("incomplete expression")
        (k1, field), (k2, op), (k3, value) = tokens[i : i + 3]
        if k1 != "word" or field not in _FIELDS or k2 != "op" or k3 == "op":
            raise _BadQuery(f"invalid expression near {field!r}")
        terms.append((field, op, _unquote(value) if k3 == "str" else value))
        i += 3
        if i < len(tokens):
            if tokens[i] != ("word", "AND"):
                raise _BadQuery(f"expected AND, got {tokens[i][1]!r}")
            i += 1
            if i == len(tokens):
                raise _BadQuery("dangling AND")
    return terms


class BitbucketFake:
    """The wire fake the kit mounts for the ``bitbucket`` connector (see module docstring)."""

    name = "bitbucket"

    def __init__(
        self,
        store: FakeStore | None = None,
        knobs: Knobs | None = None,
        *,
        base_url: str = "https://api.bitbucket.org/2.0",
        email: str = _EMAIL,
        token: str = _TOKEN,
        oauth_token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.store = store if store is not None else FakeStore()
        self.knobs = knobs if knobs is not None else Knobs()
        self.projects = FakeProjects(
            seeded="acme/widgets", empty="acme/empty", unknown="acme/missing"
        )
        self.no_tracker = "acme/no-tracker"
        self.credentials: Mapping[str, str] = {
            "BITBUCKET_EMAIL": email,
            "BITBUCKET_API_TOKEN": token,
        }
        self.secret_vars = ("BITBUCKET_API_TOKEN",)
        self.oauth_token = oauth_token
        self.extras: dict[tuple[str, int], _Extra] = {}
        self.near_limit = False
        self.changes: list[dict[str, Any]] = []
        self.between_pages: Callable[[BitbucketFake, str], None] | None = None
        """Called before serving every listing page after the first (tests mutate here)."""
        self._prefix = httpx.URL(self.base_url + "/").path.rstrip("/")
        for project in (self.projects.seeded, self.projects.empty):
            self.store.add_project(project)

    # -- responses --------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "content-type": "application/json; charset=utf-8",
            "x-ratelimit-limit": "1000",
            "x-ratelimit-resource": "api",
            "x-ratelimit-nearlimit": "true" if self.near_limit else "false",
            "x-request-count": "1",
        }

    def _json(self, status: int, body: Any) -> httpx.Response:
        return httpx.Response(status, content=json.dumps(body).encode(), headers=self._headers())

    def _error(self, status: int, message: str, detail: str | None = None) -> _Reply:
        error: dict[str, Any] = {"message": message}
        if detail:
            error["detail"] = detail
        return _Reply(self._json(status, {"type": "error", "error": error}))

    @property
    def _api(self) -> str:
        return DECOY_ORIGIN + "/2.0" if self.knobs.decoys else self.base_url

    @property
    def _web(self) -> str:
        return DECOY_ORIGIN if self.knobs.decoys else "https://bitbucket.org"

    def _account(self, ref: str) -> dict[str, Any]:
        key = ref.strip("{}")
        uuid = "{" + base64.b16encode(key.encode()).decode()[:32].lower().ljust(32, "0") + "}"
        account = {
            "type": "user",
            "display_name": ref.replace("-", " ").title(),
            "nickname": ref,
            "uuid": ref if ref.startswith("{") else uuid,
            "links": {
                "self": {"href": f"{self._api}/users/{uuid}"},
                "avatar": {"href": f"{DECOY_ORIGIN}/avatar/{key}"},
                "html": {"href": f"{self._web}/{uuid}/"},
            },
        }
        if not ref.startswith("{"):
            account["account_id"] = ref
        return account

    def extra(self, project: str, issue_id: int) -> _Extra:
        """The side-table entry of an issue (created on first use)."""
        return self.extras.setdefault((project, issue_id), _Extra())

    def state_of(self, project: str, record: Record) -> str:
        """The Bitbucket state ``record`` shows: the raw one if it fits the status."""
        raw = self.extra(project, record.id).state
        if raw is not None and _STATUS[raw] is record.status:
            return raw
        return _CANONICAL[record.status]

    def issue_json(self, project: str, record: Record) -> dict[str, Any]:
        """``record`` as Bitbucket's issue JSON (the swagger's ``issue`` definition)."""
        extra = self.extra(project, record.id)
        api = f"{self._api}/repositories/{project}/issues/{record.id}"
        return {
            "type": "issue",
            "id": record.id,
            "repository": {
                "type": "repository",
                "full_name": project,
                "name": project.split("/")[1],
                "uuid": "{6f4ae8d1-3b5c-4c1e-9a58-5e0a1d0c2a11}",
                "links": {
                    "self": {"href": f"{self._api}/repositories/{project}"},
                    "html": {"href": f"{self._web}/{project}"},
                },
            },
            "links": {
                "self": {"href": api},
                "html": {"href": f"{self._web}/{project}/issues/{record.id}"},
                "comments": {"href": f"{api}/comments"},
                "attachments": {"href": f"{api}/attachments"},
                "watch": {"href": f"{api}/watch"},
                "vote": {"href": f"{api}/vote"},
            },
            "title": record.title,
            "reporter": self._account("557058:reporter"),
            "assignee": self._account(record.assignee) if record.assignee else None,
            "created_on": _ts(record.created_at),
            "updated_on": _ts(record.updated_at),
            "edited_on": None,
            "state": self.state_of(project, record),
            "kind": extra.kind,
            "priority": extra.priority,
            "milestone": None,
            "version": None,
            "component": None,
            "votes": 0,
            "watches": 1,
            "content": {
                "type": "rendered",
                "raw": record.body,
                "markup": "markdown",
                "html": f"<p>{record.body[:40]}</p>" if record.body else "",
            },
        }

    # -- dispatch ---------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve one request from the store."""
        try:
            return self._dispatch(request)
        except _Reply as reply:
            return reply.response

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if not path.startswith(self._prefix + "/"):
            raise self._error(404, "Resource not found")
        path = path[len(self._prefix) :]
        self._authorize(request)
        method = request.method.upper()
        if m := _ISSUES.match(path):
            project = self._project(m["ws"], m["slug"])
            if method == "GET":
                return self._list(project, request)
            if method == "POST":
                return self._create(project, request)
        elif m := _ISSUE.match(path):
            project = self._project(m["ws"], m["slug"])
            issue_id = int(m["id"])
            if method == "GET":
                return self._json(200, self.issue_json(project, self._record(project, issue_id)))
            if method == "PUT":
                return self._update(project, issue_id, request)
            if method == "DELETE":
                self._record(project, issue_id)
                self.store.delete(project, issue_id)
                self.extras.pop((project, issue_id), None)
                return httpx.Response(204, headers=self._headers())
        elif m := _CHANGES.match(path):
            project = self._project(m["ws"], m["slug"])
            if method == "POST":
                return self._change(project, int(m["id"]), request)
        raise self._error(404, "Resource not found")

    def _authorize(self, request: httpx.Request) -> None:
        values = [v for k, v in request.headers.raw if k.lower() == b"authorization"]
        pair = f"{self.credentials['BITBUCKET_EMAIL']}:{self.credentials['BITBUCKET_API_TOKEN']}"
        accepted = {b"Basic " + base64.b64encode(pair.encode())}
        if self.oauth_token:
            accepted.add(b"Bearer " + self.oauth_token.encode())
        if len(values) != 1 or values[0] not in accepted:
            raise _Reply(
                httpx.Response(
                    401,
                    content=json.dumps(
                        {"type": "error", "error": {"message": "Access token expired or invalid."}}
                    ).encode(),
                    headers={
                        **self._headers(),
                        "www-authenticate": 'Basic realm="Bitbucket.org HTTP"',
                    },
                )
            )

    def _project(self, workspace: str, slug: str) -> str:
        name = f"{workspace}/{slug}"
        if name.lower() == self.no_tracker:
            raise self._error(404, "Repository has no issue tracker.")
        for project in self.store.projects:
            if project.lower() == name.lower():
                return project
        raise self._error(404, f"Repository {name} not found")

    def _record(self, project: str, issue_id: int) -> Record:
        record = self.store.get(project, issue_id)
        if record is None:
            raise self._error(404, f"Issue {issue_id} not found")
        return record

    # -- list -------------------------------------------------------------------------------

    def _value(self, project: str, record: Record, field: str) -> Any:
        extra = self.extra(project, record.id)
        return {
            "id": record.id,
            "state": self.state_of(project, record),
            "kind": extra.kind,
            "priority": extra.priority,
            "title": record.title,
            "created_on": record.created_at,
            "updated_on": record.updated_at,
        }[field]

    def _matches(self, project: str, record: Record, terms: list[tuple[str, str, str]]) -> bool:
        for field, op, text in terms:
            have = self._value(project, record, field)
            want: Any
            if isinstance(have, datetime):
                want = parse_iso(text)
            elif isinstance(have, int):
                want = int(text)
            else:
                want = text
            compare: Callable[[Any, Any], bool] = _OPS[op]
            ok = compare(have, want) if op != "~" else str(want).lower() in str(have).lower()
            if not ok:
                return False
        return True

    def _list(self, project: str, request: httpx.Request) -> httpx.Response:
        q = request.url.params
        for name in ("page", "pagelen"):
            if name in q and not q[name].isdigit():
                raise self._error(400, f"Invalid {name}")
        if q.get("page", "1") not in ("", "1") and self.between_pages is not None:
            self.between_pages(self, project)  # the query runs afresh for every page
        records = self.store.list(project)
        if "q" in q:
            try:
                terms = parse_bbql(q["q"])
                records = [r for r in records if self._matches(project, r, terms)]
            except (_BadQuery, ValueError) as exc:
                raise self._error(400, "Invalid query", str(exc)) from None
        sort = q.get("sort", "")
        if sort:
            field = sort.lstrip("-")
            if field not in _FIELDS:
                raise self._error(400, "Invalid sort field", field)
            records.sort(key=lambda r: self._value(project, r, field), reverse=sort.startswith("-"))
        number = int(q.get("page", "1") or 1)
        page = link_page(
            records, request, self.knobs, default_size=10, max_size=100, size_param="pagelen"
        )
        size = self.knobs.page_size or max(1, min(100, int(q.get("pagelen", "10") or 10)))
        body: dict[str, Any] = {
            "pagelen": size,
            "page": number,
            "values": [self.issue_json(project, r) for r in page.items],
        }
        if not self.knobs.omit_total:
            body["size"] = len(records)
        if page.next_url:
            body["next"] = page.next_url
        if number > 1:
            body["previous"] = str(request.url.copy_set_param("page", str(number - 1)))
        return self._json(200, body)

    # -- writes -----------------------------------------------------------------------------

    def _body(self, request: httpx.Request) -> dict[str, Any]:
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            raise self._error(400, "Bad request", "body is not JSON") from None
        if not isinstance(body, dict):
            raise self._error(400, "Bad request", "body must be a JSON object")
        return body

    def _assignee(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._error(400, "Bad request", "assignee: expected an object")
        ref = value.get("account_id") or value.get("uuid")
        if not isinstance(ref, str) or not re.fullmatch(r"[A-Za-z0-9:._-]+|\{[0-9a-fA-F-]+\}", ref):
            raise self._error(400, "Bad request", "assignee: no such user")
        return ref

    def _fields(self, body: Mapping[str, Any], extra: _Extra) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "title" in body:
            title = body["title"]
            if not isinstance(title, str) or not title.strip():
                raise self._error(400, "Bad request", "title: This field is required.")
            changes["title"] = title
        if "content" in body:
            content = body["content"]
            if content is None:
                changes["body"] = ""
            elif isinstance(content, dict) and isinstance(content.get("raw", ""), str | None):
                changes["body"] = content.get("raw") or ""
            else:
                raise self._error(400, "Bad request", "content: expected an object")
        if "assignee" in body:
            changes["assignee"] = self._assignee(body["assignee"])
        for key, allowed in (("kind", _KINDS), ("priority", _PRIORITIES)):
            if key in body:
                if body[key] not in allowed:
                    raise self._error(400, "Bad request", f"{key}: invalid value")
                setattr(extra, key, body[key])
        return changes

    def _create(self, project: str, request: httpx.Request) -> httpx.Response:
        body = self._body(request)
        if "title" not in body:
            raise self._error(400, "Bad request", "title: This field is required.")
        extra = _Extra()
        fields = self._fields(body, extra)
        record = self.store.create(
            project,
            RecordDraft(
                title=fields["title"],
                status=RecordStatus.OPEN,
                assignee=fields.get("assignee"),
                body=fields.get("body", ""),
            ),
        )
        self.extras[(project, record.id)] = extra
        return self._json(201, self.issue_json(project, record))

    def _update(self, project: str, issue_id: int, request: httpx.Request) -> httpx.Response:
        self._record(project, issue_id)
        body = self._body(request)
        changes = self._fields(body, self.extra(project, issue_id))
        # "state" in a PUT body is ignored: state changes go through POST .../changes
        updated = self.store.update(project, issue_id, changes)
        return self._json(200, self.issue_json(project, updated))

    def _change(self, project: str, issue_id: int, request: httpx.Request) -> httpx.Response:
        current = self._record(project, issue_id)
        body = self._body(request)
        raw = body.get("changes")
        if not isinstance(raw, dict) or not raw:
            raise self._error(400, "Bad request", "changes: This field is required.")
        extra = self.extra(project, issue_id)
        updates: dict[str, Any] = {}
        log: dict[str, dict[str, Any]] = {}
        for field, change in raw.items():
            if not isinstance(change, dict) or "new" not in change:
                raise self._error(400, "Bad request", f"changes.{field}.new is required")
            new = change["new"]
            if field == "state":
                if new not in _STATUS:
                    raise self._error(400, "Bad request", f"state: {new!r} is not a valid state")
                log["state"] = {"old": self.state_of(project, current), "new": new}
                updates["status"] = _STATUS[new]
                extra.state = None if _CANONICAL[_STATUS[new]] == new else new
            elif field == "title":
                updates["title"] = str(new)
            elif field == "assignee_account_id":
                updates["assignee"] = self._assignee({"account_id": new}) if new else None
            elif field in ("kind", "priority"):
                self._fields({field: new}, extra)
            else:
                raise self._error(400, "Bad request", f"changes.{field} is not supported")
        updated = self.store.update(project, issue_id, updates)
        entry = {
            "type": "issue_change",
            "id": len(self.changes) + 1,
            "name": "",
            "created_on": _ts(updated.updated_at),
            "user": self._account("557058:reporter"),
            "issue": {"type": "issue", "id": issue_id, "title": updated.title},
            "changes": log,
            "message": body.get("message") or {"raw": "", "markup": "markdown", "html": ""},
            "links": {"self": {"href": f"{self._api}/repositories/{project}/issues/{issue_id}"}},
        }
        self.changes.append(entry)
        return self._json(201, entry)
