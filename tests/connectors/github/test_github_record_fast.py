"""``record_from_issue`` reads each issue once; it gives what the field-by-field mapping gave."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reposix import Record
from reposix_github import mapping
from reposix_github.connector import record_from_issue, version_of
from reposix_github.wire import PAGE, GhIssue

_LABEL = st.one_of(
    st.sampled_from(
        ["bug", "status/in-progress", "Status/In-Review", "status/blocked", "STATUS/x", "docs"]
    ),
    st.text(max_size=12),
)
_REASON = st.sampled_from([None, "completed", "not_planned", "duplicate", "reopened", "new-one"])


@given(state=st.sampled_from(["open", "closed"]), reason=_REASON, labels=st.lists(_LABEL))
def test_read_labels_is_status_and_user_labels(
    state: str, reason: str | None, labels: list[str]
) -> None:
    expected = (
        mapping.status_from_wire(state, reason, labels),
        mapping.user_labels(labels),
    )
    assert mapping.read_labels(state, reason, list(labels)) == expected


def _by_fields(issue: GhIssue) -> Record:
    """The mapping as it was written before it was made cheaper."""
    labels = issue.label_names
    logins = issue.assignee_logins
    return Record(
        id=issue.number,
        title=issue.title,
        status=mapping.status_from_wire(issue.state, issue.state_reason, labels),
        assignee=logins[0] if logins else None,
        labels=mapping.user_labels(labels),
        created_at=issue.created_at,
        updated_at=issue.updated_at,
        version=version_of(issue.updated_at),
        body=issue.body or "",
    )


def test_record_from_issue_matches_the_field_mapping(load: Callable[[str], Any]) -> None:
    pages = load("paginate-issues.json")["pages"]
    page = [i for p in pages for i in PAGE.validate_python(p["body"]) if not i.is_pull_request]
    extra: list[dict[str, Any]] = [
        {"assignees": [{"login": "a"}, {"login": "b"}], "assignee": {"login": "b"}},
        {"assignees": [], "assignee": {"login": "c"}},
        {"assignees": None, "assignee": None, "body": None},
        {"labels": ["status/in-review", {"name": "x"}], "state": "open"},
        {"state": "closed", "state_reason": "not_planned", "labels": [{"name": "status/blocked"}]},
    ]
    base: dict[str, Any] = page[0].model_dump(mode="json", exclude_unset=True)
    issues = [*page, *(PAGE.validate_python([{**base, **e}])[0] for e in extra)]
    for issue in issues:
        assert record_from_issue(issue) == _by_fields(issue)
