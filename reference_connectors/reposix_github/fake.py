"""``GitHubFake``: an in-process emulation of GitHub's REST v3 issue endpoints.

Serves the kit's [`FakeStore`][reposix_contract.FakeStore] the way api.github.com
would, traps included:

* real paths (``/repos/{o}/{r}/issues[/{n}]``, and ``/repositories/{id}/issues``,
  which GitHub's own next links use) and JSON shaped like the vendor examples,
  every URL field pointing at ``DECOY_ORIGIN`` when ``knobs.decoys`` is on;
* pull requests interleaved with issues in listings (``pull_request`` key), and
  served by the single-issue endpoint too;
* ``state`` defaults to ``open``, ``sort``/``direction`` to ``created``/``desc``,
  ``per_page`` to 30 (max 100): a connector must ask for what it wants;
* ``since`` is inclusive at second precision; an empty body reads back as ``null``;
* ``state_reason`` is ignored unless ``state`` changes (as on github.com), takes the
  documented values only (``completed``, ``not_planned``, ``duplicate``, ``reopened``;
  anything else is a 422), and an issue keeps the reason it was closed with;
* pagination only through the ``Link`` header, honouring the pagination knobs;
* the real 401 body for any other token, 404s, 400/422 error bodies, and
  ``x-ratelimit-*`` headers on every response.

The mapping between the store's canonical records and GitHub's state/labels is
written here independently of the connector's, so a mapping bug in one is not
hidden by the same bug in the other. What GitHub holds that a record does not
(co-assignees, other ``status/*`` labels, the raw ``state_reason``) lives in a
side table keyed by ``(project, number)``.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

import httpx

from reposix import Record, RecordDraft, RecordStatus
from reposix_contract import (
    DECOY_ORIGIN,
    FakeProjects,
    FakeStore,
    Knobs,
    bearer,
    check_auth,
    link_page,
    parse_iso,
    plan_pages,
)

__all__ = ["GitHubFake"]

_TOKEN: Final = "ghp_reposixFakeToken0000000000000000000"
_DOCS: Final = "https://docs.github.com/rest"
_API_VERSIONS: Final = frozenset({"2022-11-28", "2026-03-10"})
_PR_BASE: Final = 900_000
_IN_PROGRESS: Final = "status/in-progress"
_IN_REVIEW: Final = "status/in-review"
_REASONS: Final = frozenset({"completed", "not_planned", "reopened", "duplicate"})
_MAX_BODY: Final = 65_536
_ISSUES = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/?$")
_ISSUE = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>\d+)/?$")
_BY_ID = re.compile(r"^/repositories/(?P<rid>\d+)/issues/?$")


@dataclass
class _Extra:
    """What GitHub keeps about an issue beyond the canonical record."""

    state_reason: str | None = None
    other_status_labels: list[str] = field(default_factory=list)
    co_assignees: list[str] = field(default_factory=list)
    closed_at: datetime | None = None


@dataclass(frozen=True)
class _Pull:
    number: int
    anchor: int
    """Index of the issue (in creation order) this pull request follows."""


class _Reply(Exception):
    """Short-circuits a handler with a finished response."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _ts(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _second(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(microsecond=0)


def _num_id(text: str) -> int:
    return zlib.crc32(text.encode()) % 900_000_000 + 1000


def _node(prefix: str, text: str) -> str:
    return prefix + base64.b64encode(text.encode()).decode().rstrip("=")[:16]


class GitHubFake:
    """The wire fake the kit mounts for the ``github`` connector (see module docstring)."""

    name = "github"

    def __init__(
        self,
        store: FakeStore | None = None,
        knobs: Knobs | None = None,
        *,
        base_url: str = "https://api.github.com",
        token: str = _TOKEN,
        pulls_per_repo: int = 2,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.store = store if store is not None else FakeStore()
        self.knobs = knobs if knobs is not None else Knobs()
        self.projects = FakeProjects(
            seeded="octo-org/hello-world", empty="octo-org/empty", unknown="octo-org/missing"
        )
        self.credentials: Mapping[str, str] = {"GITHUB_TOKEN": token}
        self.pulls_per_repo = pulls_per_repo
        self.extras: dict[tuple[str, int], _Extra] = {}
        self._repo_ids: dict[str, int] = {}
        self._used = 0
        self._base_path = httpx.URL(self.base_url + "/").path.rstrip("/")
        for project in (self.projects.seeded, self.projects.empty):
            self.store.add_project(project)

    # -- origins ----------------------------------------------------------------------------

    @property
    def _api(self) -> str:
        return DECOY_ORIGIN if self.knobs.decoys else self.base_url

    @property
    def _web(self) -> str:
        return DECOY_ORIGIN if self.knobs.decoys else "https://github.com"

    @property
    def _avatars(self) -> str:
        return DECOY_ORIGIN if self.knobs.decoys else "https://avatars.githubusercontent.com"

    def repo_id(self, project: str) -> int:
        """The numeric repository id GitHub's ``/repositories/{id}`` links use."""
        return self._repo_ids.setdefault(project, 1_296_269 + len(self._repo_ids))

    # -- responses --------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        self._used += 1
        reset = int(self.store.clock.now().timestamp()) + 3600
        return {
            "content-type": "application/json; charset=utf-8",
            "x-github-media-type": "github.v3; format=json",
            "x-github-api-version-selected": "2022-11-28",
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(5000 - 1 - self._used % 4000),
            "x-ratelimit-used": str(1 + self._used % 4000),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }

    def _json(
        self, status: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return httpx.Response(
            status,
            content=json.dumps(body).encode(),
            headers={**self._headers(), **(headers or {})},
        )

    def _error(self, status: int, message: str, doc: str = "", **extra: Any) -> _Reply:
        docs = f"{DECOY_ORIGIN}/rest" if self.knobs.decoys else _DOCS + doc
        body = {"message": message, **extra, "documentation_url": docs, "status": str(status)}
        return _Reply(self._json(status, body))

    def _invalid(self, *errors: dict[str, Any]) -> _Reply:
        return self._error(
            422, "Validation Failed", "/issues/issues", errors=[dict(e) for e in errors]
        )

    # -- JSON shapes ------------------------------------------------------------------------

    def _user(self, login: str) -> dict[str, Any]:
        uid = _num_id("user:" + login.lower())
        api = f"{self._api}/users/{login}"
        return {
            "login": login,
            "id": uid,
            "node_id": _node("U_kgDO", login),
            "avatar_url": f"{self._avatars}/u/{uid}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{self._web}/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": "User",
            "user_view_type": "public",
            "site_admin": False,
        }

    def _label(self, project: str, name: str) -> dict[str, Any]:
        return {
            "id": _num_id(f"label:{project}:{name.lower()}"),
            "node_id": _node("LA_kwDO", name),
            "url": f"{self._api}/repos/{project}/labels/{quote(name, safe='')}",
            "name": name,
            "color": "ededed",
            "default": False,
            "description": None,
        }

    def _issue_shell(
        self, project: str, number: int, created: datetime, updated: datetime
    ) -> dict[str, Any]:
        api = f"{self._api}/repos/{project}"
        item = f"{api}/issues/{number}"
        return {
            "url": item,
            "repository_url": api,
            "labels_url": f"{item}/labels{{/name}}",
            "comments_url": f"{item}/comments",
            "events_url": f"{item}/events",
            "html_url": f"{self._web}/{project}/issues/{number}",
            "id": _num_id(f"issue:{project}#{number}"),
            "node_id": _node("I_kwDO", f"{project}#{number}"),
            "number": number,
            "user": self._user("octocat"),
            "locked": False,
            "milestone": None,
            "comments": 0,
            "created_at": _ts(created),
            "updated_at": _ts(updated),
            "author_association": "OWNER",
            "active_lock_reason": None,
            "reactions": {
                "url": f"{item}/reactions",
                "total_count": 0,
                "+1": 0,
                "-1": 0,
                "laugh": 0,
                "hooray": 0,
                "confused": 0,
                "heart": 0,
                "rocket": 0,
                "eyes": 0,
            },
            "timeline_url": f"{item}/timeline",
            "performed_via_github_app": None,
        }

    def extra(self, project: str, number: int) -> _Extra:
        """The side-table entry of an issue (created on first use)."""
        return self.extras.setdefault((project, number), _Extra())

    def wire_state(self, project: str, record: Record) -> tuple[str, str | None, list[str]]:
        """``(state, state_reason, labels)`` GitHub would show for ``record``."""
        extra = self.extra(project, record.id)
        labels = list(record.labels) + list(extra.other_status_labels)
        if record.status is RecordStatus.DONE:
            return "closed", "completed", labels
        if record.status is RecordStatus.WONT_FIX:
            # GitHub keeps the reason an issue was closed with: duplicate stays duplicate
            reason = "duplicate" if extra.state_reason == "duplicate" else "not_planned"
            return "closed", reason, labels
        if record.status is RecordStatus.IN_PROGRESS:
            labels.append(_IN_PROGRESS)
        elif record.status is RecordStatus.IN_REVIEW:
            labels.append(_IN_REVIEW)
        reopened = "reopened" if extra.state_reason == "reopened" else None
        return "open", reopened, labels

    def issue_json(self, project: str, record: Record) -> dict[str, Any]:
        """``record`` as GitHub's issue JSON."""
        extra = self.extra(project, record.id)
        state, reason, labels = self.wire_state(project, record)
        logins = [record.assignee, *extra.co_assignees] if record.assignee else []
        body = self._issue_shell(project, record.id, record.created_at, record.updated_at)
        body.update(
            {
                "title": record.title,
                "labels": [self._label(project, name) for name in labels],
                "state": state,
                "assignee": self._user(logins[0]) if logins else None,
                "assignees": [self._user(login) for login in logins],
                "closed_at": _ts(extra.closed_at or record.updated_at)
                if state == "closed"
                else None,
                "body": record.body or None,
                "state_reason": reason,
            }
        )
        return body

    def non_record_items(self, project: str) -> int:
        """How many items of a full listing of ``project`` are not records (pull requests).

        Lets the kit count the pages a listing implies: GitHub's ``per_page`` counts
        pull requests too.
        """
        return len(self._pulls(project)) if project in self.store.projects else 0

    def _pulls(self, project: str) -> list[_Pull]:
        if project == self.projects.unknown:
            return []
        return [_Pull(_PR_BASE + k + 1, 2 * k + 1) for k in range(self.pulls_per_repo)]

    def _pull_json(self, project: str, pull: _Pull, issues: list[Record]) -> dict[str, Any]:
        if issues:
            anchor = issues[min(pull.anchor, len(issues) - 1)]
            created, updated = anchor.created_at, anchor.updated_at
        else:
            created = updated = datetime(2025, 6, 1, tzinfo=UTC)
        body = self._issue_shell(project, pull.number, created, updated)
        web = f"{self._web}/{project}/pull/{pull.number}"
        body.update(
            {
                "title": f"Pull request {pull.number - _PR_BASE}",
                "labels": [],
                "state": "open",
                "assignee": None,
                "assignees": [],
                "closed_at": None,
                "body": "A pull request: not an issue, never a reposix record.",
                "draft": False,
                "pull_request": {
                    "url": f"{self._api}/repos/{project}/pulls/{pull.number}",
                    "html_url": web,
                    "diff_url": web + ".diff",
                    "patch_url": web + ".patch",
                    "merged_at": None,
                },
                "state_reason": None,
            }
        )
        return body

    # -- dispatch ---------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve one request from the store."""
        try:
            return self._dispatch(request)
        except _Reply as reply:
            return reply.response

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self._base_path and path.startswith(self._base_path):
            path = path[len(self._base_path) :] or "/"
        version = request.headers.get("x-github-api-version")
        if version is not None and version not in _API_VERSIONS:
            raise self._error(400, f"API version '{version}' is not supported.", "/overview")
        self._authorize(request)
        method = request.method.upper()
        if m := _ISSUES.match(path):
            project = self._project(m["owner"], m["repo"])
            if method == "GET":
                return self._list(project, request)
            if method == "POST":
                return self._create(project, request)
        elif m := _BY_ID.match(path):
            project = self._project_by_id(int(m["rid"]))
            if method == "GET":
                return self._list(project, request)
        elif m := _ISSUE.match(path):
            project = self._project(m["owner"], m["repo"])
            number = int(m["number"])
            if method == "GET":
                return self._get(project, number)
            if method == "PATCH":
                return self._update(project, number, request)
        raise self._error(404, "Not Found")

    def _authorize(self, request: httpx.Request) -> None:
        def reject() -> httpx.Response:
            if "authorization" not in request.headers:
                # Private repositories answer 404 to anonymous callers.
                return self._error(404, "Not Found").response
            return self._error(401, "Bad credentials").response

        refused = check_auth(request, bearer(self.credentials["GITHUB_TOKEN"]), reject)
        if refused is not None:
            raise _Reply(refused)

    def _project(self, owner: str, repo: str) -> str:
        for project in self.store.projects:
            if project.lower() == f"{owner}/{repo}".lower():
                self.repo_id(project)
                return project
        raise self._error(404, "Not Found", "/issues/issues#list-repository-issues")

    def _project_by_id(self, rid: int) -> str:
        for project, known in self._repo_ids.items():
            if known == rid and project in self.store.projects:
                return project
        raise self._error(404, "Not Found")

    # -- list -------------------------------------------------------------------------------

    def _list(self, project: str, request: httpx.Request) -> httpx.Response:
        q = request.url.params
        state = q.get("state", "open")
        sort = q.get("sort", "created")
        direction = q.get("direction", "desc")
        if state not in ("open", "closed", "all") or sort not in ("created", "updated", "comments"):
            raise self._invalid({"resource": "Issue", "code": "invalid", "field": "state/sort"})
        if direction not in ("asc", "desc"):
            raise self._invalid({"resource": "Issue", "code": "invalid", "field": "direction"})
        since: datetime | None = None
        if "since" in q:
            try:
                since = _second(parse_iso(q["since"]))
            except ValueError:
                raise self._invalid(
                    {"resource": "Issue", "code": "invalid", "field": "since"}
                ) from None
        for name in ("per_page", "page"):
            if name in q and not q[name].isdigit():
                raise self._invalid({"resource": "Issue", "code": "invalid", "field": name})

        issues = self.store.list(project)
        bodies = [self.issue_json(project, record) for record in issues]
        bodies += [self._pull_json(project, pull, issues) for pull in self._pulls(project)]
        if state != "all":
            bodies = [b for b in bodies if b["state"] == state]
        if since is not None:
            bodies = [b for b in bodies if b["updated_at"] >= _ts(since)]
        # GitHub numbers in creation order; a pull request sorts right after its anchor.
        order = "updated_at" if sort == "updated" else "created_at"
        bodies.sort(key=lambda b: (b[order], b["number"]), reverse=direction == "desc")

        page = link_page(bodies, request, self.knobs, default_size=30, max_size=100)
        size = self.knobs.page_size or max(1, min(100, int(q.get("per_page", "30") or 30)))
        pages = len(plan_pages(len(bodies), size, self.knobs))
        number = int(q.get("page", "1") or 1)
        link = self._link(project, request, page.next_url, number, pages)
        return self._json(200, page.items, {"link": link} if link else None)

    def _link(
        self, project: str, request: httpx.Request, nxt: str | None, page: int, pages: int
    ) -> str:
        """GitHub's ``Link`` header: next (as the emitter planned it), prev, last, first.

        Like github.com, the links use ``/repositories/{id}/issues``, not the path
        the client asked for; a repeating (cycle) or foreign link is kept verbatim.
        """
        base = httpx.URL(f"{self.base_url}/repositories/{self.repo_id(project)}/issues")

        def url(n: int) -> str:
            params = [(k, v) for k, v in request.url.params.multi_items() if k != "page"]
            return str(base.copy_with(params=[*params, ("page", str(n))]))

        if nxt is not None and self.knobs.cycle is None and not self.knobs.foreign_next:
            nxt = url(int(httpx.URL(nxt).params.get("page", "1")))
        parts = []
        if page > 1:
            parts.append(f'<{url(page - 1)}>; rel="prev"')
        if nxt is not None:
            parts.append(f'<{nxt}>; rel="next"')
        if page < pages:
            parts.append(f'<{url(pages)}>; rel="last"')
        if page > 1:
            parts.append(f'<{url(1)}>; rel="first"')
        return ", ".join(parts)

    # -- one issue --------------------------------------------------------------------------

    def _get(self, project: str, number: int) -> httpx.Response:
        record = self.store.get(project, number)
        if record is not None:
            return self._json(200, self.issue_json(project, record))
        for pull in self._pulls(project):
            if pull.number == number:
                return self._json(200, self._pull_json(project, pull, self.store.list(project)))
        raise self._error(404, "Not Found", "/issues/issues#get-an-issue")

    def _body(self, request: httpx.Request) -> dict[str, Any]:
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            raise self._error(400, "Problems parsing JSON") from None
        if not isinstance(body, dict):
            raise self._error(400, "Problems parsing JSON")
        return body

    def _title(self, body: Mapping[str, Any], *, required: bool) -> str | None:
        title = body.get("title")
        if title is None and not required:
            return None
        if isinstance(title, bool) or not isinstance(title, str | int) or str(title) == "":
            raise self._invalid({"resource": "Issue", "code": "missing_field", "field": "title"})
        return str(title)

    def _text(self, body: Mapping[str, Any]) -> str | None:
        if "body" not in body:
            return None
        text = body["body"]
        if text is None:
            return ""
        if not isinstance(text, str):
            raise self._invalid({"resource": "Issue", "code": "invalid", "field": "body"})
        if len(text) > _MAX_BODY:
            raise self._invalid(
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "body",
                    "message": f"body is too long (maximum is {_MAX_BODY} characters)",
                }
            )
        return text

    def _labels(self, body: Mapping[str, Any]) -> list[str] | None:
        if "labels" not in body:
            return None
        raw = body["labels"]
        if not isinstance(raw, list):
            raise self._invalid({"resource": "Issue", "code": "invalid", "field": "labels"})
        names: list[str] = []
        seen: set[str] = set()
        for item in raw:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name.strip():
                raise self._invalid({"resource": "Label", "code": "missing_field", "field": "name"})
            if name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
        return names

    def _assignees(self, body: Mapping[str, Any]) -> list[str] | None:
        if "assignees" in body:
            raw = body["assignees"]
        elif "assignee" in body:
            raw = [] if body["assignee"] is None else [body["assignee"]]
        else:
            return None
        if not isinstance(raw, list) or not all(isinstance(a, str) and a for a in raw):
            raise self._invalid({"resource": "Issue", "code": "invalid", "field": "assignees"})
        out: list[str] = []
        for login in raw:
            if login.lower() not in {a.lower() for a in out}:
                out.append(login)
        if len(out) > 10:
            raise self._invalid({"resource": "Issue", "code": "invalid", "field": "assignees"})
        return out

    @staticmethod
    def _split_labels(labels: list[str]) -> tuple[list[str], list[str], RecordStatus]:
        """``(user labels, unmapped status/* labels, open-state status)``."""
        lowered = {n.lower() for n in labels}
        status = (
            RecordStatus.IN_REVIEW
            if _IN_REVIEW in lowered
            else RecordStatus.IN_PROGRESS
            if _IN_PROGRESS in lowered
            else RecordStatus.OPEN
        )
        user = [n for n in labels if not n.lower().startswith("status/")]
        other = [
            n
            for n in labels
            if n.lower().startswith("status/") and n.lower() not in (_IN_REVIEW, _IN_PROGRESS)
        ]
        return user, other, status

    def _create(self, project: str, request: httpx.Request) -> httpx.Response:
        body = self._body(request)
        title = self._title(body, required=True)
        assert title is not None
        text = self._text(body) or ""
        labels = self._labels(body) or []
        assignees = self._assignees(body) or []
        user, other, status = self._split_labels(labels)
        record = self.store.create(
            project,
            RecordDraft(
                title=title,
                status=status,
                assignee=assignees[0] if assignees else None,
                labels=user,
                body=text,
            ),
        )
        self.extras[(project, record.id)] = _Extra(
            other_status_labels=other, co_assignees=assignees[1:]
        )
        location = f"{self.base_url}/repos/{project}/issues/{record.id}"
        return self._json(201, self.issue_json(project, record), {"location": location})

    def _update(self, project: str, number: int, request: httpx.Request) -> httpx.Response:
        current = self.store.get(project, number)
        if current is None:
            if any(p.number == number for p in self._pulls(project)):
                return self._get(project, number)  # PR edits are out of the fake's scope
            raise self._error(404, "Not Found", "/issues/issues#update-an-issue")
        body = self._body(request)
        title = self._title(body, required=False)
        text = self._text(body)
        labels = self._labels(body)
        assignees = self._assignees(body)
        extra = self.extra(project, number)
        state, reason, wire_labels = self.wire_state(project, current)
        new_state = body.get("state", state)
        if new_state not in ("open", "closed"):
            raise self._invalid({"resource": "Issue", "code": "invalid", "field": "state"})
        asked = body.get("state_reason")
        if asked is not None and asked not in _REASONS:
            raise self._invalid({"resource": "Issue", "code": "invalid", "field": "state_reason"})
        if new_state != state:  # state_reason is ignored unless the state changes
            if new_state == "closed":
                reason = asked if asked in ("completed", "not_planned", "duplicate") else None
                reason = reason or "completed"
                extra.closed_at = self.store.clock.now()
            else:
                reason = "reopened"
                extra.closed_at = None
        user, other, open_status = self._split_labels(labels if labels is not None else wire_labels)
        if new_state == "closed":
            wont = reason in ("not_planned", "duplicate")
            status = RecordStatus.WONT_FIX if wont else RecordStatus.DONE
        else:
            status = open_status
        changes: dict[str, Any] = {"labels": user, "status": status}
        if title is not None:
            changes["title"] = title
        if text is not None:
            changes["body"] = text
        if assignees is not None:
            changes["assignee"] = assignees[0] if assignees else None
            extra.co_assignees = assignees[1:]
        extra.other_status_labels = other
        extra.state_reason = reason
        updated = self.store.update(project, number, changes)
        return self._json(200, self.issue_json(project, updated))
