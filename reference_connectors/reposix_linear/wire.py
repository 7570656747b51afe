"""Linear's GraphQL documents and pydantic models of the ``data`` they return.

The field, argument and type names follow Linear's public schema
(https://github.com/linear/linear/blob/master/packages/sdk/src/schema.graphql; the
examples in ``/work/shared/vendor-examples/linear-*.json`` quote it), served at
``POST https://api.linear.app/graphql`` (https://linear.app/developers/graphql).
Models ignore fields they do not read and are strict about those they do; URL fields
(``url``) are never selected, so nothing downstream can follow them.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from reposix import PageInfo, WireTime

__all__ = [
    "CREATE_ISSUE",
    "CREATE_LABEL",
    "FIND_ISSUE",
    "FIND_USERS",
    "GET_ISSUE",
    "ISSUE_FIELDS",
    "LIST_CHANGED",
    "LIST_ISSUES",
    "TEAM_BY_KEY",
    "TEAM_LABELS",
    "UPDATE_ISSUE",
    "LnIssue",
    "LnState",
    "LnTeam",
]

ISSUE_FIELDS = """
fragment IssueFields on Issue {
  id
  identifier
  number
  title
  description
  priority
  createdAt
  updatedAt
  archivedAt
  state { id name type position }
  assignee { id displayName email }
  labels(first: 100) { nodes { id name } }
  parent { id number team { key } }
  team { id key }
}
"""

TEAM_BY_KEY = """
query TeamByKey($key: String!) {
  teams(filter: {key: {eq: $key}}, first: 1) {
    nodes { id key name states(first: 100) { nodes { id name type position } } }
  }
}
"""

LIST_ISSUES = (
    """
query ListIssues($team: String!, $first: Int!, $after: String, $includeArchived: Boolean) {
  issues(
    filter: {team: {key: {eq: $team}}}
    first: $first
    after: $after
    orderBy: createdAt
    includeArchived: $includeArchived
  ) {
    nodes { ...IssueFields }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + ISSUE_FIELDS
)

LIST_CHANGED = """
query ListChanged($filter: IssueFilter!, $first: Int!, $after: String, $includeArchived: Boolean) {
  issues(
    filter: $filter
    first: $first
    after: $after
    orderBy: updatedAt
    includeArchived: $includeArchived
  ) {
    nodes { number updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""

GET_ISSUE = (
    """
query GetIssue($team: String!, $number: Float!) {
  issues(
    filter: {team: {key: {eq: $team}}, number: {eq: $number}}
    first: 1
    includeArchived: true
  ) {
    nodes { ...IssueFields }
  }
}
"""
    + ISSUE_FIELDS
)

FIND_ISSUE = (
    """
query FindIssue($id: String!) {
  issue(id: $id) { ...IssueFields }
}
"""
    + ISSUE_FIELDS
)

FIND_USERS = """
query FindUsers($filter: UserFilter!) {
  users(filter: $filter, first: 2) { nodes { id displayName email } }
}
"""

TEAM_LABELS = """
query TeamLabels($teamId: ID!, $after: String) {
  issueLabels(
    filter: {or: [{team: {id: {eq: $teamId}}}, {team: {null: true}}]}
    first: 250
    after: $after
  ) {
    nodes { id name team { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CREATE_LABEL = """
mutation CreateLabel($input: IssueLabelCreateInput!) {
  issueLabelCreate(input: $input) { success issueLabel { id name team { id } } }
}
"""

CREATE_ISSUE = (
    """
mutation CreateIssue($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { ...IssueFields } }
}
"""
    + ISSUE_FIELDS
)

UPDATE_ISSUE = (
    """
mutation UpdateIssue($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success issue { ...IssueFields } }
}
"""
    + ISSUE_FIELDS
)

ARCHIVE_ISSUE = """
mutation ArchiveIssue($id: String!) {
  issueArchive(id: $id) { success }
}
"""

TRASH_ISSUE = """
mutation TrashIssue($id: String!) {
  issueDelete(id: $id) { success }
}
"""

_Number = Annotated[int, Field(gt=0)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class LnState(_Wire):
    """A ``WorkflowState``: ``type`` is triage/backlog/unstarted/started/completed/
    canceled/duplicate (a String in the schema, so unknown types are kept, not refused)."""

    id: str
    name: str
    type: str
    position: float


class LnUser(_Wire):
    id: str
    displayName: str
    email: str | None = None


class LnLabel(_Wire):
    id: str
    name: str


class LnTeamRef(_Wire):
    id: str | None = None
    key: str | None = None


class LnLabelWithTeam(LnLabel):
    team: LnTeamRef | None = None


class LnParent(_Wire):
    id: str
    number: _Number
    team: LnTeamRef


T = TypeVar("T")


class LnNodes(_Wire, Generic[T]):
    nodes: list[T]


class LnIssue(_Wire):
    """An ``Issue`` as `ISSUE_FIELDS` selects it."""

    id: str
    identifier: str
    number: _Number
    title: str
    description: str | None = None
    priority: int = 0
    createdAt: WireTime
    updatedAt: WireTime
    archivedAt: WireTime | None = None
    state: LnState
    assignee: LnUser | None = None
    labels: LnNodes[LnLabel]
    parent: LnParent | None = None
    team: LnTeamRef


class LnTeam(_Wire):
    id: str
    key: str
    name: str
    states: LnNodes[LnState]


class LnChange(_Wire):
    number: _Number
    updatedAt: WireTime


class _IssuePage(_Wire):
    nodes: list[LnIssue]
    pageInfo: PageInfo


class _ChangePage(_Wire):
    nodes: list[LnChange]
    pageInfo: PageInfo


class _LabelPage(_Wire):
    nodes: list[LnLabelWithTeam]
    pageInfo: PageInfo


class _Payload(_Wire):
    success: bool
    issue: LnIssue | None = None


class _LabelPayload(_Wire):
    success: bool
    issueLabel: LnLabelWithTeam | None = None


class _Success(_Wire):
    success: bool


class TeamsData(_Wire):
    teams: LnNodes[LnTeam]


class IssuesData(_Wire):
    issues: _IssuePage


class ChangesData(_Wire):
    issues: _ChangePage


class OneIssueData(_Wire):
    issues: LnNodes[LnIssue]


class FoundIssueData(_Wire):
    issue: LnIssue


class UsersData(_Wire):
    users: LnNodes[LnUser]


class LabelsData(_Wire):
    issueLabels: _LabelPage


class LabelCreateData(_Wire):
    issueLabelCreate: _LabelPayload


class CreateData(_Wire):
    issueCreate: _Payload


class UpdateData(_Wire):
    issueUpdate: _Payload


class ArchiveData(_Wire):
    issueArchive: _Success


class TrashData(_Wire):
    issueDelete: _Success


class IssuesResponse(_Wire):
    """A whole ``ListIssues`` response (the paginator validates ``{"data": …}``)."""

    data: IssuesData


class ChangesResponse(_Wire):
    data: ChangesData


TEAMS = TypeAdapter(TeamsData)
ISSUES = TypeAdapter(IssuesData)
CHANGES = TypeAdapter(ChangesData)
ONE_ISSUE = TypeAdapter(OneIssueData)
FOUND_ISSUE = TypeAdapter(FoundIssueData)
USERS = TypeAdapter(UsersData)
LABELS = TypeAdapter(LabelsData)
LABEL_CREATE = TypeAdapter(LabelCreateData)
CREATE = TypeAdapter(CreateData)
UPDATE = TypeAdapter(UpdateData)
ARCHIVE = TypeAdapter(ArchiveData)
TRASH = TypeAdapter(TrashData)
ISSUES_RESPONSE = TypeAdapter(IssuesResponse)
CHANGES_RESPONSE = TypeAdapter(ChangesResponse)
