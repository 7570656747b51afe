"""Pydantic models of Jira Cloud REST v3 JSON: tolerant of unknown fields, strict where we rely.

Shapes follow Atlassian's published OpenAPI (IssueBean, StatusDetails, CreatedIssue,
SearchAndReconcileResults, Transitions, ErrorCollection); see the vendor examples kept
in ``tests/connectors/jira/fixtures``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from reposix import WireId, WireModel, WireTime, wire_adapter

__all__ = [
    "CREATED",
    "ERRORS",
    "ISSUE",
    "MYSELF",
    "PROJECT",
    "SEARCH",
    "TRANSITIONS",
    "CreatedIssue",
    "ErrorCollection",
    "Issue",
    "IssueFields",
    "Myself",
    "Project",
    "SearchPage",
    "Transition",
    "Transitions",
]


class StatusCategory(WireModel):
    """``statusCategory``: ``key`` is new / indeterminate / done (``in-flight``/``completed``
    in Atlassian's own examples)."""

    key: str
    name: str | None = None


class Status(WireModel):
    """``fields.status`` (StatusDetails)."""

    name: str
    id: str | None = None
    statusCategory: StatusCategory


class Named(WireModel):
    """Objects we read only the name of (resolution, issue type, priority)."""

    name: str
    id: str | None = None


class User(WireModel):
    """A user reference; reposix uses ``accountId`` (stable across renames)."""

    accountId: str
    displayName: str | None = None


class Ref(WireModel):
    """A reference by id and key (parent, project)."""

    id: str
    key: str | None = None


class IssueFields(WireModel):
    """The fields reposix maps; everything is optional on the wire (``fields`` selects)."""

    summary: str | None = None
    description: dict[str, Any] | None = None
    status: Status | None = None
    resolution: Named | None = None
    assignee: User | None = None
    labels: list[str] = Field(default_factory=list)
    created: WireTime | None = None
    """``2022-10-06T07:32:47.000+0000``: ``datetime.fromisoformat`` reads the ``+0000``."""
    updated: WireTime | None = None
    parent: Ref | None = None
    issuetype: Named | None = None
    priority: Named | None = None
    project: Ref | None = None


class Issue(WireModel):
    """IssueBean: ``id`` (numeric string, read as an int) and ``key`` are required."""

    id: WireId
    key: str
    fields: IssueFields = Field(default_factory=IssueFields)


class SearchPage(WireModel):
    """``POST /rest/api/3/search/jql`` response: no ``total``; ``nextPageToken`` is absent on
    the last page."""

    issues: list[Issue]
    isLast: bool | None = None
    nextPageToken: str | None = None


class CreatedIssue(WireModel):
    """``POST /rest/api/3/issue`` 201 body."""

    id: WireId
    key: str


class TransitionTarget(WireModel):
    """``transitions[].to``: the status a transition leads to."""

    name: str
    id: str | None = None
    statusCategory: StatusCategory


class Transition(WireModel):
    """One available transition."""

    id: str
    name: str
    to: TransitionTarget
    isAvailable: bool = True


class Transitions(WireModel):
    """``GET /rest/api/3/issue/{id}/transitions``."""

    transitions: list[Transition]


class IssueType(WireModel):
    """An issue type of a project."""

    id: str
    name: str
    subtask: bool = False


class Project(WireModel):
    """``GET /rest/api/3/project/{key}`` (the parts we use)."""

    id: str
    key: str
    issueTypes: list[IssueType] = Field(default_factory=list)


class Myself(WireModel):
    """``GET /rest/api/3/myself``: the caller's profile time zone (JQL dates use it)."""

    accountId: str
    timeZone: str


class ErrorCollection(WireModel):
    """Jira's error body: ``errorMessages`` and per-field ``errors``."""

    errorMessages: list[str] = Field(default_factory=list)
    errors: dict[str, str] = Field(default_factory=dict)

    def text(self) -> str:
        """Every message on one line."""
        parts = list(self.errorMessages) + [f"{k}: {v}" for k, v in self.errors.items()]
        return "; ".join(parts)


ISSUE = wire_adapter(Issue)
SEARCH = wire_adapter(SearchPage)
CREATED = wire_adapter(CreatedIssue)
TRANSITIONS = wire_adapter(Transitions)
PROJECT = wire_adapter(Project)
MYSELF = wire_adapter(Myself)
ERRORS = wire_adapter(ErrorCollection)
