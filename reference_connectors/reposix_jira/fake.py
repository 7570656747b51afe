"""``JiraFake``: an in-process emulation of Jira Cloud's REST v3 issue endpoints.

Serves the kit's [`FakeStore`][reposix_contract.FakeStore] the way
``https://{site}.atlassian.net`` would, traps included:

* real paths: ``POST /rest/api/3/search/jql``, ``GET|PUT /rest/api/3/issue/{idOrKey}``,
  ``POST /rest/api/3/issue``, ``GET|POST /rest/api/3/issue/{id}/transitions``,
  ``GET /rest/api/3/project/{key}``, ``GET /rest/api/3/myself``;
* IssueBean JSON shaped like Atlassian's examples (``self`` and avatar URLs on
  ``DECOY_ORIGIN`` when ``knobs.decoys``), ADF descriptions, Atlassian timestamps
  (``2026-01-01T00:00:07.000+0000``), only the requested ``fields``;
* enhanced search with ``nextPageToken``/``isLast`` and no ``total``, honouring the
  pagination knobs (truncation answers ``isLast: false`` with no token);
* JQL parsed only in the shapes the connector sends (anything else is Jira's 400); an
  unknown project in JQL is a 400 ErrorCollection, not a 404;
* ``updated >= "yyyy-MM-dd HH:mm"``: minute precision, inclusive, read in the user's
  profile time zone (``Australia/Sydney`` here, so a connector assuming UTC is caught);
* a workflow To Do / In Progress / In Review / Done / Won't Do with global transitions;
  ``status`` cannot be set by ``PUT`` (Jira's 400); Done sets resolution "Done", Won't
  Do sets "Won't Do", reopening clears it;
* Basic auth checked byte for byte against ``credentials``; anything else gets Jira's
  401 ErrorCollection; missing issues the 404 ErrorCollection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

import httpx

from reposix import ProtocolError, Record, RecordDraft, RecordStatus, adf
from reposix_contract import (
    DECOY_ORIGIN,
    BadCursor,
    FakeProjects,
    FakeStore,
    Knobs,
    basic,
    check_auth,
    iso_ms,
    mount_prefix,
    token_page,
    unmount,
)

__all__ = ["JiraFake"]

_EMAIL: Final = "reposix-bot@example.com"
_TOKEN: Final = "ATATT3xFfGF0reposixFakeApiToken000000000000"
_ZONE: Final = "Australia/Sydney"
_SEARCH = re.compile(
    r'^project = "(?P<key>[^"\\]+)"'
    r'(?: AND updated >= "(?P<since>\d{4}-\d{2}-\d{2} \d{2}:\d{2})")?'
    r" ORDER BY (?P<order>key ASC|updated DESC, key DESC)$"
)
_ISSUE = re.compile(r"^/rest/api/3/issue/(?P<ref>[A-Z][A-Z0-9_]*-\d+|\d+)/?$")
_TRANSITIONS = re.compile(r"^/rest/api/3/issue/(?P<ref>[A-Z][A-Z0-9_]*-\d+|\d+)/transitions/?$")
_PROJECT = re.compile(r"^/rest/api/3/project/(?P<key>[^/]+)/?$")
_ALL_FIELDS: Final = (
    "summary",
    "description",
    "status",
    "resolution",
    "assignee",
    "labels",
    "created",
    "updated",
    "parent",
    "issuetype",
    "priority",
    "project",
)
_EXPAND: Final = (
    "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
)
_SETTABLE: Final = frozenset(
    {"project", "issuetype", "summary", "description", "labels", "assignee", "parent", "priority"}
)

# status -> (status id, name, category id, category key, colour, category name, resolution)
_STATUSES: Final[dict[RecordStatus, tuple[str, str, int, str, str, str, str | None]]] = {
    RecordStatus.OPEN: ("10000", "To Do", 2, "new", "blue-gray", "To Do", None),
    RecordStatus.IN_PROGRESS: (
        "3",
        "In Progress",
        4,
        "indeterminate",
        "yellow",
        "In Progress",
        None,
    ),
    RecordStatus.IN_REVIEW: (
        "10001",
        "In Review",
        4,
        "indeterminate",
        "yellow",
        "In Progress",
        None,
    ),
    RecordStatus.DONE: ("10002", "Done", 3, "done", "green", "Done", "Done"),
    RecordStatus.WONT_FIX: ("10003", "Won't Do", 3, "done", "green", "Done", "Won't Do"),
}
_TRANSITION_IDS: Final = {
    RecordStatus.OPEN: "11",
    RecordStatus.IN_PROGRESS: "21",
    RecordStatus.IN_REVIEW: "31",
    RecordStatus.DONE: "41",
    RecordStatus.WONT_FIX: "51",
}
_RESOLUTIONS: Final = {
    "Done": "10000",
    "Won't Do": "10001",
    "Duplicate": "10002",
    "Cannot Reproduce": "10003",
}


class _Reply(Exception):
    """Short-circuits a handler with a finished response."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json;charset=UTF-8", **(headers or {})},
    )


def _errors(status: int, *messages: str, **fields: str) -> _Reply:
    return _Reply(_json(status, {"errorMessages": list(messages), "errors": dict(fields)}))


class JiraFake:
    """The wire fake the kit mounts for the ``jira`` connector (see module docstring)."""

    name = "jira"
    secret_vars = ("JIRA_API_TOKEN",)

    def __init__(
        self,
        store: FakeStore | None = None,
        knobs: Knobs | None = None,
        *,
        base_url: str = "https://reposix-test.atlassian.net",
        email: str = _EMAIL,
        token: str = _TOKEN,
        time_zone: str = _ZONE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.mount = mount_prefix(self.base_url)
        """The gateway prefix requests arrive under (``/ex/jira/{cloudId}``), or ``""``."""
        self.store = store if store is not None else FakeStore()
        self.knobs = knobs if knobs is not None else Knobs()
        self.projects = FakeProjects(seeded="DEMO", empty="EMPTY", unknown="NOPE")
        self.credentials: Mapping[str, str] = {"JIRA_EMAIL": email, "JIRA_API_TOKEN": token}
        self.time_zone = time_zone
        self.workflow: set[RecordStatus] = set(RecordStatus)
        """Statuses reachable by transition (tests remove some to model a narrow workflow)."""
        self.resolutions: dict[int, str] = {}
        """Resolution overrides (e.g. "Duplicate") for won't-fix issues, by issue id."""
        for project in (self.projects.seeded, self.projects.empty):
            self.store.add_project(project)

    # -- URLs -------------------------------------------------------------------------------

    @property
    def _api(self) -> str:
        return DECOY_ORIGIN if self.knobs.decoys else self.base_url

    def _avatars(self, kind: str, ident: str) -> dict[str, str]:
        host = (
            DECOY_ORIGIN
            if self.knobs.decoys
            else "https://avatar-management.services.atlassian.com"
        )
        return {f"{n}x{n}": f"{host}/{kind}/{ident}?size={n}" for n in (16, 24, 32, 48)}

    # -- JSON shapes ------------------------------------------------------------------------

    def _project_json(self, key: str) -> dict[str, Any]:
        pid = str(10000 + sorted(self.store.projects).index(key))
        return {
            "self": f"{self._api}/rest/api/3/project/{pid}",
            "id": pid,
            "key": key,
            "name": f"{key.title()} project",
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": self._avatars("project", pid),
        }

    def _user(self, account_id: str) -> dict[str, Any]:
        return {
            "self": f"{self._api}/rest/api/3/user?accountId={account_id}",
            "accountId": account_id,
            "avatarUrls": self._avatars("user", account_id),
            "displayName": account_id.replace("-", " ").title(),
            "active": True,
            "timeZone": self.time_zone,
            "accountType": "atlassian",
        }

    def _status(self, status: RecordStatus) -> dict[str, Any]:
        sid, name, cid, ckey, colour, cname, _ = _STATUSES[status]
        return {
            "self": f"{self._api}/rest/api/3/status/{sid}",
            "description": "",
            "iconUrl": f"{self._api}/images/icons/statuses/generic.png",
            "name": name,
            "id": sid,
            "statusCategory": {
                "self": f"{self._api}/rest/api/3/statuscategory/{cid}",
                "id": cid,
                "key": ckey,
                "colorName": colour,
                "name": cname,
            },
        }

    def _resolution(self, record: Record) -> dict[str, Any] | None:
        name = _STATUSES[record.status][6]
        if name is None:
            return None
        if record.status is RecordStatus.WONT_FIX:
            name = self.resolutions.get(record.id, name)
        rid = _RESOLUTIONS.get(name, "10009")
        return {
            "self": f"{self._api}/rest/api/3/resolution/{rid}",
            "id": rid,
            "description": f"{name}.",
            "name": name,
        }

    def _issue_type(self) -> dict[str, Any]:
        return {
            "self": f"{self._api}/rest/api/3/issuetype/10001",
            "id": "10001",
            "description": "A small, distinct piece of work.",
            "iconUrl": f"{self._api}/rest/api/2/universal_avatar/view/type/issuetype/avatar/10318",
            "name": "Task",
            "subtask": False,
            "avatarId": 10318,
            "hierarchyLevel": 0,
        }

    def issue_json(
        self, project: str, record: Record, fields: set[str] | None = None
    ) -> dict[str, Any]:
        """``record`` as Jira's IssueBean, with only ``fields`` (None: all)."""
        values: dict[str, Any] = {
            "summary": record.title,
            "description": adf.from_markdown(record.body) if record.body else None,
            "status": self._status(record.status),
            "resolution": self._resolution(record),
            "assignee": self._user(record.assignee) if record.assignee else None,
            "labels": list(record.labels),
            "created": iso_ms(record.created_at),
            "updated": iso_ms(record.updated_at),
            "issuetype": self._issue_type(),
            "priority": {
                "self": f"{self._api}/rest/api/3/priority/3",
                "iconUrl": f"{self._api}/images/icons/priorities/medium.svg",
                "name": "Medium",
                "id": "3",
            },
            "project": self._project_json(project),
        }
        if record.parent_id is not None:
            values["parent"] = {
                "id": str(record.parent_id),
                "key": f"{project}-{record.parent_id}",
                "self": f"{self._api}/rest/api/3/issue/{record.parent_id}",
            }
        wanted = set(_ALL_FIELDS) if fields is None else fields
        return {
            "expand": _EXPAND,
            "id": str(record.id),
            "self": f"{self._api}/rest/api/3/issue/{record.id}",
            "key": f"{project}-{record.id}",
            "fields": {k: v for k, v in values.items() if k in wanted},
        }

    # -- dispatch ---------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve one request from the store (under `mount` when mounted)."""
        inner = unmount(request, self.mount)
        if inner is None:  # the gateway knows nothing outside /ex/jira/{cloudId}
            return httpx.Response(404, json={"message": "Not Found", "status": 404})
        try:
            return self._dispatch(inner)
        except _Reply as reply:
            return reply.response

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        self._authorize(request)
        path = request.url.path
        method = request.method.upper()
        if path == "/rest/api/3/search/jql" and method == "POST":
            return self._search(self._body(request))
        if path == "/rest/api/3/myself" and method == "GET":
            return _json(
                200, {**self._user("reposix-bot"), "emailAddress": self.credentials["JIRA_EMAIL"]}
            )
        if path == "/rest/api/3/issue" and method == "POST":
            return self._create(self._body(request))
        if m := _TRANSITIONS.match(path):
            project, record = self._find(m["ref"])
            if method == "GET":
                return self._transitions(record)
            if method == "POST":
                return self._transition(project, record, self._body(request))
        elif m := _ISSUE.match(path):
            project, record = self._find(m["ref"])
            if method == "GET":
                return _json(200, self.issue_json(project, record, self._fields_param(request)))
            if method == "PUT":
                return self._update(project, record, self._body(request))
        elif (m := _PROJECT.match(path)) and method == "GET":
            return self._project(m["key"])
        raise _errors(404, "null for uri: " + str(request.url.copy_with(query=None)))

    def _authorize(self, request: httpx.Request) -> None:
        expected = basic(self.credentials["JIRA_EMAIL"], self.credentials["JIRA_API_TOKEN"])
        refused = check_auth(
            request,
            expected,
            lambda: _json(
                401,
                {
                    "errorMessages": ["Client must be authenticated to access this resource."],
                    "errors": {},
                },
                {
                    "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                    "WWW-Authenticate": 'Basic realm="protected-area"',
                },
            ),
        )
        if refused is not None:
            raise _Reply(refused)

    @staticmethod
    def _body(request: httpx.Request) -> dict[str, Any]:
        try:
            body = json.loads(request.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _errors(400, "Unexpected character in the request body: not JSON.") from None
        if not isinstance(body, dict):
            raise _errors(400, "The request body must be a JSON object.")
        return body

    @staticmethod
    def _fields_param(request: httpx.Request) -> set[str] | None:
        values = request.url.params.get_list("fields")
        if not values:
            return None
        names = {n.strip() for v in values for n in v.split(",") if n.strip()}
        return None if names & {"*all", "*navigable"} else names

    def _find(self, ref: str) -> tuple[str, Record]:
        number = int(ref.rsplit("-", 1)[-1])
        found = self.store.find(number)
        if found is None or ("-" in ref and ref.rsplit("-", 1)[0] != found[0]):
            raise _errors(404, "Issue does not exist or you do not have permission to see it.")
        return found

    # -- search -----------------------------------------------------------------------------

    def _search(self, body: dict[str, Any]) -> httpx.Response:
        query = body.get("jql")
        m = _SEARCH.match(query) if isinstance(query, str) else None
        if m is None:
            raise _errors(
                400, f"Error in the JQL Query: the query {query!r} is not supported here."
            )
        key = m["key"]
        if not self.store.has_project(key):
            raise _errors(400, f"The value '{key}' does not exist for the field 'project'.")
        records = self.store.list(key)
        if m["since"]:
            floor = datetime.strptime(m["since"], "%Y-%m-%d %H:%M").replace(
                tzinfo=ZoneInfo(self.time_zone)
            )
            records = [r for r in records if r.updated_at >= floor]
        if m["order"].startswith("updated"):
            records = sorted(records, key=lambda r: (r.updated_at, r.id), reverse=True)
        raw_fields = body.get("fields", ["id"])
        if not isinstance(raw_fields, list):
            raise _errors(400, "'fields' must be a list of field names.")
        fields = {str(f) for f in raw_fields}
        selected = None if fields & {"*all", "*navigable"} else fields
        try:
            page = token_page(records, body, self.knobs, default_size=50, max_size=100)
        except BadCursor:
            raise _errors(400, "The provided next page token is invalid or expired.") from None
        out: dict[str, Any] = {"issues": [self.issue_json(key, r, selected) for r in page.items]}
        if page.next_token is not None:
            out["nextPageToken"] = page.next_token
        out["isLast"] = page.is_last
        return _json(200, out)

    # -- project and user -------------------------------------------------------------------

    def _project(self, key: str) -> httpx.Response:
        if not self.store.has_project(key):
            raise _errors(404, f"No project could be found with key '{key}'.")
        types = [
            {
                "self": f"{self._api}/rest/api/3/issuetype/10004",
                "id": "10004",
                "name": "Bug",
                "subtask": False,
            },
            {**self._issue_type()},
            {
                "self": f"{self._api}/rest/api/3/issuetype/10003",
                "id": "10003",
                "name": "Subtask",
                "subtask": True,
            },
        ]
        return _json(200, {**self._project_json(key), "issueTypes": types})

    # -- writes -----------------------------------------------------------------------------

    def _changes(self, project: str, fields: Any, *, creating: bool) -> dict[str, Any]:
        """Validate ``fields`` like Jira does and translate them into record changes."""
        if not isinstance(fields, dict):
            raise _errors(400, "'fields' must be an object.")
        bad = {
            k: f"Field '{k}' cannot be set. It is not on the appropriate screen, or unknown."
            for k in fields
            if k not in _SETTABLE
        }
        if bad:
            raise _errors(400, **bad)
        changes: dict[str, Any] = {}
        if "summary" in fields:
            summary = fields["summary"]
            if not isinstance(summary, str) or not summary.strip():
                raise _errors(400, summary="You must specify a summary of the issue.")
            if "\n" in summary or "\r" in summary or len(summary) > 255:
                raise _errors(
                    400, summary="Summary must be a single line of less than 255 characters."
                )
            changes["title"] = summary
        elif creating:
            raise _errors(400, summary="You must specify a summary of the issue.")
        if "description" in fields:
            desc = fields["description"]
            if desc is None:
                changes["body"] = ""
            else:
                try:
                    changes["body"] = adf.to_markdown(desc)
                except ProtocolError:
                    raise _errors(
                        400,
                        description="Operation value must be an Atlassian Document "
                        "(see the Atlassian Document Format).",
                    ) from None
        if "labels" in fields:
            labels = fields["labels"]
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise _errors(400, labels="Labels must be a list of strings.")
            for label in labels:
                if not label or any(c.isspace() for c in label) or len(label) > 255:
                    raise _errors(
                        400, labels=f"The label '{label}' contains spaces which is invalid."
                    )
            changes["labels"] = list(dict.fromkeys(labels))
        if "assignee" in fields:
            assignee = fields["assignee"]
            if assignee is None:
                changes["assignee"] = None
            elif (
                isinstance(assignee, dict)
                and isinstance(assignee.get("accountId"), str)
                and assignee["accountId"]
            ):
                changes["assignee"] = assignee["accountId"]
            else:
                raise _errors(400, assignee="Specify the user by accountId.")
        if "parent" in fields:
            parent = fields["parent"]
            if parent is None:
                changes["parent_id"] = None
            else:
                ref = (
                    str(parent.get("id") or parent.get("key") or "")
                    if isinstance(parent, dict)
                    else ""
                )
                found = (
                    self.store.find(int(ref.rsplit("-", 1)[-1]))
                    if re.fullmatch(r"(?:[A-Z][A-Z0-9_]*-)?\d+", ref)
                    else None
                )
                if found is None or found[0] != project:
                    raise _errors(400, parent="Could not find issue by id or key.")
                changes["parent_id"] = found[1].id
        return changes

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        fields = body.get("fields")
        if not isinstance(fields, dict):
            raise _errors(400, "Issue must contain 'fields'.")
        project = fields.get("project")
        key = project.get("key") if isinstance(project, dict) else None
        if not isinstance(key, str) or not self.store.has_project(key):
            raise _errors(400, project="Specify a valid project ID or key")
        issuetype = fields.get("issuetype")
        if not isinstance(issuetype, dict) or issuetype.get("id") not in ("10001", "10004"):
            raise _errors(400, issuetype="Specify a valid issue type")
        changes = self._changes(key, fields, creating=True)
        record = self.store.create(key, RecordDraft(**changes))
        return _json(
            201,
            {
                "id": str(record.id),
                "key": f"{key}-{record.id}",
                "self": f"{self._api}/rest/api/3/issue/{record.id}",
            },
        )

    def _update(self, project: str, record: Record, body: dict[str, Any]) -> httpx.Response:
        if "fields" not in body and "update" not in body:
            raise _errors(400, "No fields or updates to apply.")
        changes = self._changes(project, body.get("fields", {}), creating=False)
        if changes:
            self.store.update(project, record.id, changes)
        return httpx.Response(204)

    # -- transitions ------------------------------------------------------------------------

    def _transition_json(self, status: RecordStatus) -> dict[str, Any]:
        return {
            "id": _TRANSITION_IDS[status],
            "name": _STATUSES[status][1],
            "to": self._status(status),
            "hasScreen": False,
            "isGlobal": True,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }

    def _available(self, record: Record) -> list[RecordStatus]:
        return [s for s in RecordStatus if s in self.workflow and s is not record.status]

    def _transitions(self, record: Record) -> httpx.Response:
        return _json(
            200,
            {
                "expand": "transitions",
                "transitions": [self._transition_json(s) for s in self._available(record)],
            },
        )

    def _transition(self, project: str, record: Record, body: dict[str, Any]) -> httpx.Response:
        wanted = body.get("transition")
        tid = wanted.get("id") if isinstance(wanted, dict) else None
        target = next((s for s in self._available(record) if _TRANSITION_IDS[s] == tid), None)
        if target is None:
            raise _errors(400, f"Transition id '{tid}' is not valid for this issue.")
        fields = body.get("fields") or {}
        if not isinstance(fields, dict) or set(fields) - {"resolution"}:
            raise _errors(400, **dict.fromkeys(fields, "Field cannot be set on this transition."))
        self.resolutions.pop(record.id, None)
        resolution = fields.get("resolution")
        if resolution is not None:
            name = resolution.get("name") if isinstance(resolution, dict) else None
            if _STATUSES[target][6] is None or name not in _RESOLUTIONS:
                raise _errors(400, resolution="Resolution cannot be set for this status.")
            if name != "Done":
                target = RecordStatus.WONT_FIX
                self.resolutions[record.id] = name
        self.store.update(project, record.id, {"status": target})
        return httpx.Response(204)
