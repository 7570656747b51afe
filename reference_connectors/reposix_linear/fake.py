"""``LinearFake``: an in-process emulation of Linear's GraphQL API (``POST /graphql``).

It serves the kit's [`FakeStore`][reposix_contract.FakeStore] as api.linear.app would:

* every request is parsed, validated and executed by ``graphql-core`` (through the kit's
  [`GraphQLEndpoint`][reposix_contract.GraphQLEndpoint]) against a subset of Linear's
  schema (same type, field, argument and input names as
  https://github.com/linear/linear/blob/master/packages/sdk/src/schema.graphql), so a
  malformed document or an unknown field is Linear's 400 ``GRAPHQL_VALIDATION_FAILED``
  error, never a silent success;
* teams are projects, addressed by key; each team has its **own workflow states**
  (``ENG`` has Backlog/Todo/In Progress/In Review/Done/Canceled/Duplicate; ``OPS`` has
  Triage/Todo/Doing/Review/Shipped/Won't do, no duplicate type), positions included;
* ``issues`` honours ``filter`` (team key, number, updatedAt ``gt``…, ``and``/``or``),
  ``orderBy`` (createdAt default, updatedAt), ``first`` (default 50, max 250),
  ``includeArchived`` (default false) and Relay ``pageInfo``, with the kit's pagination
  knobs through [`relay_connection`][reposix_contract.relay_connection];
* labels are team or workspace labels (``issueLabels``, ``issueLabelCreate``), users are
  found by ``displayName``/``email`` (every handle asked for exists in the fake's
  workspace); parents by UUID; priority 0..4;
* ``issueArchive`` hides an issue from default listings; ``issueDelete`` trashes it;
* authentication: the personal API key raw in ``Authorization`` (or, when the fake is
  built with ``oauth_token``, ``Bearer <token>``); anything else is Linear's
  ``authentication error`` body;
* rate limits: ``X-RateLimit-Requests-*`` and ``X-RateLimit-Complexity-*`` headers on
  every response (resets in epoch ms); past ``requests_limit`` requests in the hour,
  Linear's HTTP **400** with ``extensions.code == "RATELIMITED"``
  (https://linear.app/developers/rate-limiting).

The state ↔ status mapping here is written independently of the connector's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from graphql import GraphQLError, GraphQLSchema

from reposix import Record, RecordDraft, RecordStatus
from reposix_contract import (
    FakeProjects,
    FakeStore,
    GraphQLEndpoint,
    GraphQLReply,
    Knobs,
    check_auth,
    entity_not_found,
    graphql_failure,
    invalid_input,
    parse_iso,
    relay_connection,
)

__all__ = ["LinearFake", "schema"]

_KEY: Final = "lin_api_reposixFakeKey000000000000000000000000"
_HOUR_MS: Final = 3_600_000
_AUTH_HINT: Final = "You need to authenticate to access this operation."
_SDL: Final = """
scalar DateTime
scalar DateTimeOrDuration

enum PaginationOrderBy { createdAt updatedAt }

input StringComparator {
  eq: String, neq: String, in: [String!], nin: [String!]
  eqIgnoreCase: String, containsIgnoreCase: String
}
input NumberComparator {
  eq: Float, neq: Float, gt: Float, gte: Float, lt: Float, lte: Float, in: [Float!], nin: [Float!]
}
input DateComparator {
  eq: DateTimeOrDuration, neq: DateTimeOrDuration, gt: DateTimeOrDuration
  gte: DateTimeOrDuration, lt: DateTimeOrDuration, lte: DateTimeOrDuration
}
input IDComparator { eq: ID, neq: ID, in: [ID!], nin: [ID!] }
input TeamFilter {
  id: IDComparator, key: StringComparator, name: StringComparator
  and: [TeamFilter!], or: [TeamFilter!]
}
input NullableTeamFilter {
  id: IDComparator, key: StringComparator, name: StringComparator, null: Boolean
  and: [NullableTeamFilter!], or: [NullableTeamFilter!]
}
input IssueFilter {
  id: IDComparator, number: NumberComparator, title: StringComparator
  createdAt: DateComparator, updatedAt: DateComparator, team: TeamFilter
  and: [IssueFilter!], or: [IssueFilter!]
}
input UserFilter {
  id: IDComparator, displayName: StringComparator, email: StringComparator
  name: StringComparator, and: [UserFilter!], or: [UserFilter!]
}
input IssueLabelFilter {
  id: IDComparator, name: StringComparator, team: NullableTeamFilter
  and: [IssueLabelFilter!], or: [IssueLabelFilter!]
}
input IssueCreateInput {
  id: String, title: String, description: String, teamId: String!, stateId: String
  assigneeId: String, labelIds: [String!], parentId: String, priority: Int
}
input IssueUpdateInput {
  title: String, description: String, stateId: String, assigneeId: String
  labelIds: [String!], parentId: String, priority: Int, teamId: String
}
input IssueLabelCreateInput { name: String!, teamId: String, color: String, description: String }

type PageInfo {
  hasNextPage: Boolean!, hasPreviousPage: Boolean!, endCursor: String, startCursor: String
}
type WorkflowState {
  id: ID!, name: String!, type: String!, position: Float!, color: String!, team: Team!
}
type WorkflowStateConnection { nodes: [WorkflowState!]!, pageInfo: PageInfo! }
type Team {
  id: ID!, key: String!, name: String!
  states(first: Int, after: String, includeArchived: Boolean): WorkflowStateConnection!
}
type TeamConnection { nodes: [Team!]!, pageInfo: PageInfo! }
type User {
  id: ID!, name: String!, displayName: String!, email: String!, active: Boolean!, url: String!
}
type UserConnection { nodes: [User!]!, pageInfo: PageInfo! }
type IssueLabel { id: ID!, name: String!, color: String!, team: Team }
type IssueLabelConnection { nodes: [IssueLabel!]!, pageInfo: PageInfo! }
type Issue {
  id: ID!, identifier: String!, number: Float!, title: String!, description: String
  priority: Float!, priorityLabel: String!, url: String!, branchName: String!
  createdAt: DateTime!, updatedAt: DateTime!, archivedAt: DateTime
  completedAt: DateTime, canceledAt: DateTime, startedAt: DateTime
  state: WorkflowState!, team: Team!, assignee: User, creator: User, parent: Issue
  labels(first: Int, after: String, includeArchived: Boolean): IssueLabelConnection!
}
type IssueConnection { nodes: [Issue!]!, pageInfo: PageInfo! }
type IssuePayload { success: Boolean!, issue: Issue, lastSyncId: Float! }
type IssueArchivePayload { success: Boolean!, entity: Issue, lastSyncId: Float! }
type IssueLabelPayload { success: Boolean!, issueLabel: IssueLabel!, lastSyncId: Float! }

type Query {
  issues(
    after: String, before: String, filter: IssueFilter, first: Int
    includeArchived: Boolean, last: Int, orderBy: PaginationOrderBy
  ): IssueConnection!
  issue(id: String!): Issue!
  teams(after: String, filter: TeamFilter, first: Int, includeArchived: Boolean): TeamConnection!
  users(after: String, filter: UserFilter, first: Int, includeDisabled: Boolean): UserConnection!
  issueLabels(after: String, filter: IssueLabelFilter, first: Int): IssueLabelConnection!
}
type Mutation {
  issueCreate(input: IssueCreateInput!): IssuePayload!
  issueUpdate(id: String!, input: IssueUpdateInput!): IssuePayload!
  issueArchive(id: String!, trash: Boolean): IssueArchivePayload!
  issueDelete(id: String!, permanentlyDelete: Boolean): IssueArchivePayload!
  issueLabelCreate(input: IssueLabelCreateInput!): IssueLabelPayload!
}
"""

_WORKFLOWS: Final[dict[str, list[tuple[str, str, float]]]] = {
    # Linear's default workflow (https://linear.app/docs/configuring-workflows)
    "ENG": [
        ("Backlog", "backlog", 0.0),
        ("Todo", "unstarted", 1.0),
        ("In Progress", "started", 2.0),
        ("In Review", "started", 3.0),
        ("Done", "completed", 4.0),
        ("Canceled", "canceled", 5.0),
        ("Duplicate", "duplicate", 6.0),
    ],
    # a customised team: triage on, states renamed and reordered, no duplicate type
    "OPS": [
        ("Triage", "triage", -1.0),
        ("Icebox", "backlog", 9.0),
        ("Todo", "unstarted", 0.5),
        ("Review", "started", 2.5),
        ("Doing", "started", 1.5),
        ("Shipped", "completed", 3.0),
        ("Won't do", "canceled", 4.0),
    ],
}
_DEFAULT_WORKFLOW: Final = "ENG"
_COMPARATORS: Final = frozenset(
    {
        "eq",
        "neq",
        "in",
        "nin",
        "gt",
        "gte",
        "lt",
        "lte",
        "null",
        "eqIgnoreCase",
        "containsIgnoreCase",
    }
)
_PRIORITY: Final = ("No priority", "Urgent", "High", "Medium", "Low")


def schema() -> GraphQLSchema:
    """The schema subset the fake serves (built once)."""
    return GraphQLEndpoint(_SDL).schema


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "reposix-linear:" + ":".join(map(str, parts))))


def _ts(when: datetime) -> str:
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _invalid(message: str) -> GraphQLError:
    return invalid_input(message)


def _not_found(what: str) -> GraphQLError:
    return entity_not_found(what)


def _compare(value: Any, cond: Mapping[str, Any]) -> bool:
    def norm(v: Any) -> Any:
        if isinstance(v, str):
            try:
                return parse_iso(v) if "T" in v and v[:4].isdigit() else v
            except ValueError:
                return v
        return v

    left = norm(value)
    for op, raw in cond.items():
        if raw is None and op != "null":
            continue
        right = [norm(r) for r in raw] if isinstance(raw, list) else norm(raw)
        if op == "null":
            ok = (value is None) is bool(raw)
        elif value is None:
            ok = op in ("neq", "nin")
        elif op == "eq":
            ok = left == right
        elif op == "neq":
            ok = left != right
        elif op == "in":
            ok = left in right
        elif op == "nin":
            ok = left not in right
        elif op == "eqIgnoreCase":
            ok = str(left).lower() == str(right).lower()
        elif op == "containsIgnoreCase":
            ok = str(right).lower() in str(left).lower()
        else:
            try:
                ok = {
                    "gt": left > right,
                    "gte": left >= right,
                    "lt": left < right,
                    "lte": left <= right,
                }[op]
            except TypeError:
                raise _invalid(f"cannot compare {op} on this field") from None
        if not ok:
            return False
    return True


def matches(node: Mapping[str, Any], flt: Mapping[str, Any] | None) -> bool:
    """Whether a node (a dict of wire fields) passes a Linear filter object."""
    if not flt:
        return True
    for key, cond in flt.items():
        if cond is None:
            continue
        if key == "and":
            if not all(matches(node, f) for f in cond):
                return False
            continue
        if key == "or":
            if not any(matches(node, f) for f in cond):
                return False
            continue
        value = node.get(key)
        if callable(value):
            value = value(None)
        if set(cond) <= _COMPARATORS:
            if not _compare(value, cond):
                return False
        elif value is None:
            if cond.get("null") is not True:
                return False
        elif not matches(value, cond):
            return False
    return True


@dataclass
class _Extra:
    """What Linear keeps about an issue beyond the canonical record."""

    uuid: str
    state_id: str | None = None
    priority: int = 0
    archived_at: datetime | None = None
    trashed: bool = False


class _Reply(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class LinearFake:
    """The wire fake the kit mounts for the ``linear`` connector (see module docstring)."""

    name = "linear"

    def __init__(
        self,
        store: FakeStore | None = None,
        knobs: Knobs | None = None,
        *,
        base_url: str = "https://api.linear.app",
        api_key: str = _KEY,
        oauth_token: str | None = None,
        requests_limit: int = 5000,
        complexity_limit: int = 3_000_000,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.store = store if store is not None else FakeStore()
        self.knobs = knobs if knobs is not None else Knobs()
        self.projects = FakeProjects(seeded="ENG", empty="OPS", unknown="NOPE")
        self.credentials: Mapping[str, str] = (
            {"LINEAR_OAUTH_TOKEN": oauth_token} if oauth_token else {"LINEAR_API_KEY": api_key}
        )
        self.requests_limit = requests_limit
        self.complexity_limit = complexity_limit
        self.extras: dict[int, _Extra] = {}
        self.labels: dict[str, tuple[str, str | None]] = {}
        """label id → (name, team key or None for a workspace label)."""
        self.users: dict[str, str] = {}
        """user id → display name."""
        self.endpoint = GraphQLEndpoint(_SDL)
        self.requests: list[str] = self.endpoint.operations
        """Operation names served, in order (tests read it)."""
        self._window: list[int] = []
        self._sync = 1000
        for key in (self.projects.seeded, self.projects.empty):
            self.store.add_project(key)
        for name in ("Security", "Customer request"):  # workspace labels (no team)
            self.labels[_uuid("label", "", name.lower())] = (name, None)

    # -- model -------------------------------------------------------------------------------

    def _workflow(self, team: str) -> list[tuple[str, str, float]]:
        return _WORKFLOWS.get(team, _WORKFLOWS[_DEFAULT_WORKFLOW])

    def state_json(self, team: str, name: str) -> dict[str, Any]:
        for state_name, kind, position in self._workflow(team):
            if state_name == name:
                return {
                    "id": _uuid("state", team, state_name),
                    "name": state_name,
                    "type": kind,
                    "position": position,
                    "color": "#bec2c8",
                    "team": lambda *_a, **_k: self.team_json(team),
                }
        raise KeyError(name)

    def _states(self, team: str) -> list[dict[str, Any]]:
        return [self.state_json(team, name) for name, _, _ in self._workflow(team)]

    @staticmethod
    def _reads_as(kind: str, name: str) -> RecordStatus:
        # Independent of reposix_linear.mapping on purpose.
        table = {
            "triage": RecordStatus.OPEN,
            "backlog": RecordStatus.OPEN,
            "unstarted": RecordStatus.OPEN,
            "completed": RecordStatus.DONE,
            "canceled": RecordStatus.WONT_FIX,
            "duplicate": RecordStatus.WONT_FIX,
        }
        if kind == "started":
            return RecordStatus.IN_REVIEW if "review" in name.lower() else RecordStatus.IN_PROGRESS
        return table.get(kind, RecordStatus.OPEN)

    def _state_of(self, team: str, record: Record) -> dict[str, Any]:
        extra = self.extra(record.id, team)
        states = self._states(team)
        for state in states:
            if (
                state["id"] == extra.state_id
                and self._reads_as(state["type"], state["name"]) is record.status
            ):
                return state
        wanted = {
            RecordStatus.OPEN: ("unstarted", False),
            RecordStatus.IN_PROGRESS: ("started", False),
            RecordStatus.IN_REVIEW: ("started", True),
            RecordStatus.DONE: ("completed", False),
            RecordStatus.WONT_FIX: ("canceled", False),
        }[record.status]
        fitting = [
            s
            for s in states
            if s["type"] == wanted[0]
            and (wanted[0] != "started" or ("review" in s["name"].lower()) is wanted[1])
        ]
        return min(fitting, key=lambda s: s["position"])

    def team_json(self, key: str) -> dict[str, Any]:
        return {
            "id": _uuid("team", key),
            "key": key,
            "name": f"Team {key}",
            "states": lambda *_a, **_k: {"nodes": self._states(key), "pageInfo": _last_page()},
        }

    def _team_by_id(self, team_id: str) -> str:
        for key in self.store.projects:
            if _uuid("team", key) == team_id or key == team_id:
                return key
        raise _not_found("team")

    def extra(self, number: int, team: str | None = None) -> _Extra:
        return self.extras.setdefault(number, _Extra(_uuid("issue", team or "", number)))

    def _label_id(self, name: str, team: str) -> str:
        for label_id, (label_name, label_team) in self.labels.items():
            if label_name.lower() == name.lower() and label_team == team:
                return label_id
        for label_id, (label_name, label_team) in self.labels.items():
            if label_name.lower() == name.lower() and label_team is None:
                return label_id
        label_id = _uuid("label", team, name.lower())
        self.labels[label_id] = (name, team)
        return label_id

    def label_json(self, label_id: str) -> dict[str, Any]:
        name, team = self.labels[label_id]
        return {
            "id": label_id,
            "name": name,
            "color": "#5e6ad2",
            "team": self.team_json(team) if team else None,
        }

    def user_json(self, display: str) -> dict[str, Any]:
        user_id = _uuid("user", display.lower())
        self.users[user_id] = display
        return {
            "id": user_id,
            "name": display.title(),
            "displayName": display,
            "email": f"{display.lower()}@example.com",
            "active": True,
            "url": f"{self._web}/reposix/profiles/{display}",
        }

    @property
    def _web(self) -> str:
        return self.knobs.decoy_origin if self.knobs.decoys else "https://linear.app"

    def issue_json(self, team: str, record: Record) -> dict[str, Any]:
        extra = self.extra(record.id, team)
        state = self._state_of(team, record)
        identifier = f"{team}-{record.id}"

        def parent(*_a: Any, **_k: Any) -> dict[str, Any] | None:
            if record.parent_id is None:
                return None
            found = self.store.find(record.parent_id)
            return self.issue_json(found[0], found[1]) if found else None

        def labels(*_a: Any, **_k: Any) -> dict[str, Any]:
            ids = [self._label_id(name, team) for name in record.labels]
            return {"nodes": [self.label_json(i) for i in ids], "pageInfo": _last_page()}

        return {
            "id": extra.uuid,
            "identifier": identifier,
            "number": record.id,
            "title": record.title,
            "description": record.body or None,
            "priority": extra.priority,
            "priorityLabel": _PRIORITY[extra.priority],
            "url": f"{self._web}/reposix/issue/{identifier}",
            "branchName": f"user/{identifier.lower()}",
            "createdAt": _ts(record.created_at),
            "updatedAt": _ts(record.updated_at),
            "archivedAt": _ts(extra.archived_at) if extra.archived_at else None,
            "completedAt": _ts(record.updated_at) if state["type"] == "completed" else None,
            "canceledAt": _ts(record.updated_at) if state["type"] == "canceled" else None,
            "startedAt": None,
            "state": state,
            "team": self.team_json(team),
            "assignee": self.user_json(record.assignee) if record.assignee else None,
            "creator": self.user_json("reposix-bot"),
            "parent": parent,
            "labels": labels,
        }

    def _locate(self, ref: str) -> tuple[str, Record]:
        for team, records in self.store.projects.items():
            for record in records.values():
                extra = self.extra(record.id, team)
                if extra.trashed:
                    continue
                if ref in (extra.uuid, f"{team}-{record.id}"):
                    return team, record
        raise _not_found("issue")

    # -- resolvers -----------------------------------------------------------------------------

    def _q_issues(self, _info: Any, **args: Any) -> dict[str, Any]:
        flt = args.get("filter") or {}
        include_archived = bool(args.get("includeArchived"))
        order = args.get("orderBy") or "createdAt"
        rows: list[tuple[Record, dict[str, Any]]] = []
        for team in self.store.projects:
            for record in self.store.list(team):
                extra = self.extra(record.id, team)
                if extra.trashed or (extra.archived_at is not None and not include_archived):
                    continue
                node = self.issue_json(team, record)
                if matches(node, flt):
                    rows.append((record, node))
        field = "updated_at" if order == "updatedAt" else "created_at"
        rows.sort(key=lambda r: (getattr(r[0], field), r[0].id))
        nodes = {r.id: n for r, n in rows}  # records go to the emitter: it reports their ids
        return relay_connection([r for r, _ in rows], args, self.knobs, lambda r: nodes[r.id])

    def _q_issue(self, _info: Any, id: str) -> dict[str, Any]:
        team, record = self._locate(id)
        return self.issue_json(team, record)

    def _q_teams(self, _info: Any, **args: Any) -> dict[str, Any]:
        teams = [self.team_json(k) for k in self.store.projects]
        return {
            "nodes": [t for t in teams if matches(t, args.get("filter"))],
            "pageInfo": _last_page(),
        }

    def _q_users(self, _info: Any, **args: Any) -> dict[str, Any]:
        flt = args.get("filter") or {}
        asked = [
            str((flt.get(k) or {}).get("eq") or "")
            for k in ("displayName", "email")
            if isinstance(flt.get(k), Mapping)
        ]
        for value in asked:
            if value:
                self.user_json(value.split("@")[0])  # every handle exists in this workspace
        users = [self.user_json(name) for name in sorted(set(self.users.values()))]
        return {"nodes": [u for u in users if matches(u, flt)], "pageInfo": _last_page()}

    def _q_labels(self, _info: Any, **args: Any) -> dict[str, Any]:
        labels = [self.label_json(i) for i in self.labels]
        return {
            "nodes": [lab for lab in labels if matches(lab, args.get("filter"))],
            "pageInfo": _last_page(),
        }

    def _payload(self, team: str, record: Record) -> dict[str, Any]:
        self._sync += 1
        return {"success": True, "issue": self.issue_json(team, record), "lastSyncId": self._sync}

    def _fields(self, team: str, data: Mapping[str, Any], current: Record | None) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "title" in data:
            title = data["title"]
            if not isinstance(title, str) or not title.strip():
                raise _invalid("title must not be empty")
            changes["title"] = title
        if "description" in data:
            changes["body"] = data["description"] or ""
        if "assigneeId" in data:
            if data["assigneeId"] is None:
                changes["assignee"] = None
            elif data["assigneeId"] in self.users:
                changes["assignee"] = self.users[data["assigneeId"]]
            else:
                raise _not_found("user")
        if "labelIds" in data:
            names: list[str] = []
            for label_id in data["labelIds"] or []:
                if label_id not in self.labels:
                    raise _not_found("label")
                name, label_team = self.labels[label_id]
                if label_team not in (None, team):
                    raise _invalid("label belongs to another team")
                if name.lower() not in {n.lower() for n in names}:
                    names.append(name)
            changes["labels"] = names
        if "parentId" in data:
            if data["parentId"] is None:
                changes["parent_id"] = None
            else:
                _, parent = self._locate(data["parentId"])
                if current is not None and parent.id == current.id:
                    raise _invalid("an issue cannot be its own parent")
                changes["parent_id"] = parent.id
        return changes

    def _m_create(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        team = self._team_by_id(input["teamId"])
        if "title" not in input or input.get("title") is None:
            raise _invalid("title is required")
        changes = self._fields(team, input, None)
        state = self._pick_state(team, input.get("stateId"))
        draft = RecordDraft(
            title=changes["title"],
            status=self._reads_as(state["type"], state["name"]),
            assignee=changes.get("assignee"),
            labels=changes.get("labels", []),
            body=changes.get("body", ""),
            parent_id=changes.get("parent_id"),
        )
        record = self.store.create(team, draft)
        extra = self.extra(record.id, team)
        extra.state_id = state["id"]
        extra.priority = self._priority(input.get("priority"), 0)
        return self._payload(team, record)

    def _pick_state(self, team: str, state_id: str | None) -> dict[str, Any]:
        states = self._states(team)
        if state_id is None:  # Linear: the team's default (first unstarted/backlog)
            return min(
                (s for s in states if s["type"] in ("unstarted",)), key=lambda s: s["position"]
            )
        for state in states:
            if state["id"] == state_id:
                return state
        raise _not_found("workflow state")

    @staticmethod
    def _priority(value: Any, default: int) -> int:
        if value is None:
            return default
        if not isinstance(value, int) or not 0 <= value <= 4:
            raise _invalid("priority must be 0..4")
        return value

    def _m_update(self, _info: Any, id: str, input: dict[str, Any]) -> dict[str, Any]:
        team, current = self._locate(id)
        if "teamId" in input and input["teamId"] not in (None, _uuid("team", team), team):
            raise _invalid("moving issues between teams is out of the fake's scope")
        changes = self._fields(team, input, current)
        extra = self.extra(current.id, team)
        if input.get("stateId") is not None:
            state = self._pick_state(team, input["stateId"])
            extra.state_id = state["id"]
            changes["status"] = self._reads_as(state["type"], state["name"])
        extra.priority = self._priority(input.get("priority"), extra.priority)
        record = self.store.update(team, current.id, changes)
        return self._payload(team, record)

    def _m_archive(self, _info: Any, id: str, trash: bool | None = None) -> dict[str, Any]:
        team, record = self._locate(id)
        extra = self.extra(record.id, team)
        extra.archived_at = self.store.clock.now()
        extra.trashed = bool(trash)
        self._sync += 1
        return {"success": True, "entity": self.issue_json(team, record), "lastSyncId": self._sync}

    def _m_delete(
        self, _info: Any, id: str, permanentlyDelete: bool | None = None
    ) -> dict[str, Any]:
        team, record = self._locate(id)
        node = self.issue_json(team, record)
        if permanentlyDelete:
            self.store.delete(team, record.id)
        else:
            extra = self.extra(record.id, team)
            extra.trashed, extra.archived_at = True, self.store.clock.now()
        self._sync += 1
        return {"success": True, "entity": node, "lastSyncId": self._sync}

    def _m_label_create(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        team = self._team_by_id(input["teamId"]) if input.get("teamId") else None
        name = input["name"]
        if not name.strip():
            raise _invalid("label name must not be empty")
        for label_name, label_team in self.labels.values():
            if label_name.lower() == name.lower() and label_team in (team, None):
                raise _invalid("duplicate label name")
        label_id = _uuid("label", team or "", name.lower())
        self.labels[label_id] = (name, team)
        self._sync += 1
        return {"success": True, "issueLabel": self.label_json(label_id), "lastSyncId": self._sync}

    # -- transport -----------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return int(self.store.clock.now().timestamp() * 1000)

    def _headers(self, cost: int) -> dict[str, str]:
        now = self._now_ms()
        self._window = [t for t in self._window if t > now - _HOUR_MS]
        reset = (self._window[0] + _HOUR_MS) if self._window else now + _HOUR_MS
        used = len(self._window)
        return {
            "content-type": "application/json; charset=utf-8",
            "x-ratelimit-requests-limit": str(self.requests_limit),
            "x-ratelimit-requests-remaining": str(max(0, self.requests_limit - used)),
            "x-ratelimit-requests-reset": str(reset),
            "x-ratelimit-complexity-limit": str(self.complexity_limit),
            "x-ratelimit-complexity-remaining": str(max(0, self.complexity_limit - cost * used)),
            "x-ratelimit-complexity-reset": str(reset),
        }

    def _errors(self, status: int, *errors: GraphQLError) -> _Reply:
        return _Reply(GraphQLReply.refuse(status, *errors).response(self._headers(1)))

    def _authorize(self, request: httpx.Request) -> None:
        def reject() -> httpx.Response:
            # Linear answers a missing or bad key with a GraphQL authentication error.
            return self._errors(
                400,
                graphql_failure(
                    "Authentication required, not authenticated",
                    kind="authentication error",
                    code="AUTHENTICATION_ERROR",
                    user_message=_AUTH_HINT,
                    statusCode=401,
                ),
            ).response

        if "LINEAR_OAUTH_TOKEN" in self.credentials:
            expected = "Bearer " + self.credentials["LINEAR_OAUTH_TOKEN"]
        else:
            expected = self.credentials["LINEAR_API_KEY"]
        refused = check_auth(request, expected, reject)
        if refused is not None:
            raise _Reply(refused)

    def _rate_limit(self) -> None:
        now = self._now_ms()
        self._window = [t for t in self._window if t > now - _HOUR_MS]
        if len(self._window) >= self.requests_limit:
            raise self._errors(
                400,
                graphql_failure(
                    "Rate limit exceeded",
                    kind="ratelimited",
                    code="RATELIMITED",
                    user_message="Too many requests, please slow down.",
                ),
            )
        self._window.append(now)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve one request from the store."""
        try:
            return self._dispatch(request)
        except _Reply as reply:
            return reply.response

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rstrip("/")
        if request.method.upper() != "POST" or not path.endswith("/graphql"):
            return httpx.Response(404, text="Cannot " + request.method + " " + path)
        self._authorize(request)
        self._rate_limit()
        root = {
            "issues": self._q_issues,
            "issue": self._q_issue,
            "teams": self._q_teams,
            "users": self._q_users,
            "issueLabels": self._q_labels,
            "issueCreate": self._m_create,
            "issueUpdate": self._m_update,
            "issueArchive": self._m_archive,
            "issueDelete": self._m_delete,
            "issueLabelCreate": self._m_label_create,
        }
        return self.endpoint.serve(request, root, self._headers(1))


def _last_page() -> dict[str, Any]:
    return {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None, "startCursor": None}
