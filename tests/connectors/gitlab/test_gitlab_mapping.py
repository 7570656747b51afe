"""Wire models and the status mapping, on GitLab's own example payloads.

Payloads: ``fixtures/`` (see its README); shapes from https://docs.gitlab.com/api/issues/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from reposix import ConfigError, InvalidRecord, RecordStatus
from reposix_gitlab import mapping
from reposix_gitlab.connector import project_ref, record_from_issue, version_of
from reposix_gitlab.wire import ERROR, ISSUE, PAGE

Load = Callable[[str], Any]


def test_list_example_reads_as_records(load: Load) -> None:
    body = load("list-project-issues.json")["response_200_example"]
    issues = PAGE.validate_python(body)
    first = record_from_issue(issues[0])
    # the record id is the project-scoped iid (1), not the instance-wide id (41)
    assert (issues[0].id, first.id) == (41, 1)
    assert first.status is RecordStatus.DONE  # state "closed", no wont-fix label
    assert first.labels == ["foo", "bar"]
    assert first.assignee == "lennie"
    assert first.body == "Omnis vero earum sunt corporis dolor et placeat."
    assert first.updated_at == datetime(2016, 1, 4, 15, 31, 46, 176000, tzinfo=UTC)
    assert first.version == version_of(first.updated_at) == 1451921506176


def test_get_create_and_close_examples(load: Load) -> None:
    got = record_from_issue(
        ISSUE.validate_python(load("get-project-issue.json")["response_200_example"])
    )
    assert (got.id, got.status, got.labels) == (1, RecordStatus.DONE, [])
    created = ISSUE.validate_python(load("create-issue.json")["response_201_example"])
    record = record_from_issue(created)
    assert (record.id, record.status, record.assignee, record.body) == (
        14,
        RecordStatus.OPEN,
        None,
        "",  # "description": null reads as an empty body
    )
    closed = ISSUE.validate_python(load("update-issue-close.json")["response_200_example"])
    assert closed.closed_by is not None
    assert closed.closed_by.username == "root"
    record = record_from_issue(closed)
    assert record.status is RecordStatus.DONE
    assert record.extensions == {
        "gitlab": {
            "closed_at": "2016-01-08T12:55:16.213Z",
            "closed_by": "root",
            "issue_type": "issue",
        }
    }
    assert record_from_issue(created).extensions == {
        "gitlab": {"closed_at": None, "closed_by": None, "issue_type": "issue"}
    }


def test_unknown_state_and_missing_iid_are_validation_errors(load: Load) -> None:
    body = dict(load("get-project-issue.json")["response_200_example"])
    with pytest.raises(ValueError, match="state"):
        ISSUE.validate_python({**body, "state": "locked"})
    body.pop("iid")
    with pytest.raises(ValueError, match="iid"):
        ISSUE.validate_python(body)


def test_error_bodies_summarise(load: Load) -> None:
    limited = load("ratelimit-429-example.json")["body"]
    assert ERROR.validate_python(limited).summary() == (
        "This endpoint has been requested too many times. Try again later."
    )
    forbidden = load("create-issue.json")["issues_feature_disabled_403_example"]
    assert ERROR.validate_json(json.dumps(forbidden)).summary() == "403 Forbidden"
    assert ERROR.validate_python({"message": {"title": ["can't be blank"]}}).summary() == (
        "title can't be blank"
    )
    assert ERROR.validate_python({"error": "order_by does not have a valid value"}).summary() == (
        "order_by does not have a valid value"
    )


@pytest.mark.parametrize(
    ("state", "labels", "status"),
    [
        ("opened", [], RecordStatus.OPEN),
        ("opened", ["status::in-progress"], RecordStatus.IN_PROGRESS),
        ("opened", ["status::in-progress", "status::in-review"], RecordStatus.IN_REVIEW),
        ("opened", ["status::wont-fix"], RecordStatus.OPEN),
        ("closed", [], RecordStatus.DONE),
        ("closed", ["status::in-progress"], RecordStatus.DONE),
        ("closed", ["status::wont-fix"], RecordStatus.WONT_FIX),
    ],
)
def test_status_from_wire(state: str, labels: list[str], status: RecordStatus) -> None:
    assert mapping.status_from_wire(state, labels) is status


@pytest.mark.parametrize("status", list(RecordStatus))
def test_every_status_round_trips(status: RecordStatus) -> None:
    change = mapping.label_change(status, ["bug"])
    assert mapping.status_from_wire(mapping.wire_state(status), change.full) is status
    assert mapping.user_labels(change.full) == ["bug"]


def test_label_change_adds_and_removes_only_the_difference() -> None:
    current = ["bug", "status::in-progress", "status::blocked", "team::a"]
    change = mapping.label_change(RecordStatus.IN_REVIEW, ["bug", "docs"], current)
    assert change.add == ["docs", "status::in-review"]
    # team::a is a user label the record dropped; status::blocked is not ours and stays
    assert change.remove == ["status::in-progress", "team::a"]


@pytest.mark.parametrize("bad", ["a,b", " padded", "status::in-progress", "status::x", ""])
def test_labels_gitlab_cannot_take_are_refused(bad: str) -> None:
    with pytest.raises(InvalidRecord):
        mapping.label_change(RecordStatus.OPEN, [bad])


def test_label_pattern_is_the_connector_declaration() -> None:
    from reposix_gitlab.connector import GitLabConnector

    assert GitLabConnector.label_pattern is mapping.LABEL_PATTERN
    for good in ("bug", "priority::high", "ünï", "a b", "x.y-z_1"):
        assert mapping.LABEL_PATTERN.fullmatch(good), good


@pytest.mark.parametrize(
    ("project", "ref"),
    [
        ("42", "42"),
        ("my-group/my-project", "my-group%2Fmy-project"),
        ("a/b.c/d_e", "a%2Fb.c%2Fd_e"),
    ],
)
def test_project_ref_encodes_full_paths(project: str, ref: str) -> None:
    assert project_ref(project) == ref


@pytest.mark.parametrize(
    "project",
    ["", "solo", "a//b", "a/../b", "a/b?x=1", "a/b#f", "a/b.git", "/a/b", "a/b/", "0", "a/.b"],
)
def test_project_ref_refuses_other_forms(project: str) -> None:
    with pytest.raises(ConfigError):
        project_ref(project)
