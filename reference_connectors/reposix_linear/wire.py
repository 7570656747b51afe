"""Linear's GraphQL documents and pydantic models of the ``data`` they return.

The field, argument and type names follow Linear's public schema
(https://github.com/linear/linear/blob/master/packages/sdk/src/schema.graphql; the
examples in ``/work/shared/vendor-examples/linear-*.json`` quote it), served at
``POST https://api.linear.app/graphql`` (https://linear.app/developers/graphql).
Models ignore fields they do not read and are strict about those they do; URL fields
(``url``) are never selected, so nothing downstream can follow them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from reposix import PageInfo, WireModel, WireTime, wire_adapter

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


class LnState(WireModel):
    """A ``WorkflowState``: ``type`` is triage/backlog/unstarted/started/completed/
    canceled/duplicate (a String in the schema, so unknown types are kept, not refused)."""

    id: str
    name: str
    type: str
    position: float


class LnUser(WireModel):
    id: str
    displayName: str
    email: str | None = None


class LnLabel(WireModel):
    id: str
    name: str


class LnTeamRef(WireModel):
    id: str | None = None
    key: str | None = None


class LnLabelWithTeam(LnLabel):
    team: LnTeamRef | None = None


class LnParent(WireModel):
    id: str
    number: _Number
    team: LnTeamRef


# GraphQL connections (``{nodes: [...]}``) as one concrete model each, not a generic
# ``Nodes[T]``: pydantic builds a deferred generic model's schema when it is parametrized,
# which would build validators at import.
class _Labels(WireModel):
    nodes: list[LnLabel]


class _States(WireModel):
    nodes: list[LnState]


class _Teams(WireModel):
    nodes: list[LnTeam]


class _Issues(WireModel):
    nodes: list[LnIssue]


class _Users(WireModel):
    nodes: list[LnUser]


class LnIssue(WireModel):
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
    labels: _Labels
    parent: LnParent | None = None
    team: LnTeamRef


class LnTeam(WireModel):
    id: str
    key: str
    name: str
    states: _States


class LnChange(WireModel):
    number: _Number
    updatedAt: WireTime


class _IssuePage(WireModel):
    nodes: list[LnIssue]
    pageInfo: PageInfo


class _ChangePage(WireModel):
    nodes: list[LnChange]
    pageInfo: PageInfo


class _LabelPage(WireModel):
    nodes: list[LnLabelWithTeam]
    pageInfo: PageInfo


class _Payload(WireModel):
    success: bool
    issue: LnIssue | None = None


class _LabelPayload(WireModel):
    success: bool
    issueLabel: LnLabelWithTeam | None = None


class _Success(WireModel):
    success: bool


class TeamsData(WireModel):
    teams: _Teams


class IssuesData(WireModel):
    issues: _IssuePage


class ChangesData(WireModel):
    issues: _ChangePage


class OneIssueData(WireModel):
    issues: _Issues


class FoundIssueData(WireModel):
    issue: LnIssue


class UsersData(WireModel):
    users: _Users


class LabelsData(WireModel):
    issueLabels: _LabelPage


class LabelCreateData(WireModel):
    issueLabelCreate: _LabelPayload


class CreateData(WireModel):
    issueCreate: _Payload


class UpdateData(WireModel):
    issueUpdate: _Payload


class ArchiveData(WireModel):
    issueArchive: _Success


class TrashData(WireModel):
    issueDelete: _Success


class IssuesResponse(WireModel):
    """A whole ``ListIssues`` response (the paginator validates ``{"data": …}``)."""

    data: IssuesData


class ChangesResponse(WireModel):
    data: ChangesData


TEAMS = wire_adapter(TeamsData)
ISSUES = wire_adapter(IssuesData)
CHANGES = wire_adapter(ChangesData)
ONE_ISSUE = wire_adapter(OneIssueData)
FOUND_ISSUE = wire_adapter(FoundIssueData)
USERS = wire_adapter(UsersData)
LABELS = wire_adapter(LabelsData)
LABEL_CREATE = wire_adapter(LabelCreateData)
CREATE = wire_adapter(CreateData)
UPDATE = wire_adapter(UpdateData)
ARCHIVE = wire_adapter(ArchiveData)
TRASH = wire_adapter(TrashData)
ISSUES_RESPONSE = wire_adapter(IssuesResponse)
CHANGES_RESPONSE = wire_adapter(ChangesResponse)
