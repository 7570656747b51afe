"""The status/label mapping, every row in both directions, and the wire models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from reposix._backend import DeleteReason
from reposix._errors import InvalidRecord, ProtocolError
from reposix._http import decode
from reposix._records import RecordStatus
from reposix_github import mapping
from reposix_github.connector import record_from_issue, version_of
from reposix_github.wire import ERROR, ISSUE, PAGE

Load = Callable[[str], Any]

# (state, state_reason, labels) -> status: every row of the read table. The closed rows
# cover every state_reason GitHub documents (completed, not_planned, duplicate, reopened,
# null: https://docs.github.com/en/rest/issues/issues#update-an-issue) and the fallback.
READ_ROWS = [
    ("closed", "not_planned", [], RecordStatus.WONT_FIX),
    ("closed", "not_planned", ["status/in-review"], RecordStatus.WONT_FIX),
    ("closed", "completed", [], RecordStatus.DONE),
    ("closed", "duplicate", [], RecordStatus.WONT_FIX),
    ("closed", "reopened", [], RecordStatus.DONE),
    ("closed", None, [], RecordStatus.DONE),
    ("closed", "some_future_reason", [], RecordStatus.WONT_FIX),
    ("closed", "completed", ["status/in-progress"], RecordStatus.DONE),
    ("open", None, ["status/in-review"], RecordStatus.IN_REVIEW),
    ("open", None, ["status/in-progress"], RecordStatus.IN_PROGRESS),
    ("open", None, ["status/in-progress", "status/in-review"], RecordStatus.IN_REVIEW),
    ("open", None, ["Status/In-Review"], RecordStatus.IN_REVIEW),
    ("open", "reopened", ["bug"], RecordStatus.OPEN),
    ("open", None, ["status/blocked"], RecordStatus.OPEN),
    ("open", None, [], RecordStatus.OPEN),
]


@pytest.mark.parametrize(("state", "reason", "labels", "status"), READ_ROWS)
def test_read_table(
    state: str, reason: str | None, labels: list[str], status: RecordStatus
) -> None:
    assert mapping.status_from_wire(state, reason, labels) is status


# status -> (state, state_reason, mapped label): every row of the write table.
WRITE_ROWS = [
    (RecordStatus.OPEN, "open", None, None),
    (RecordStatus.IN_PROGRESS, "open", None, "status/in-progress"),
    (RecordStatus.IN_REVIEW, "open", None, "status/in-review"),
    (RecordStatus.DONE, "closed", "completed", None),
    (RecordStatus.WONT_FIX, "closed", "not_planned", None),
]


@pytest.mark.parametrize(("status", "state", "reason", "label"), WRITE_ROWS)
def test_write_table_round_trips(
    status: RecordStatus, state: str, reason: str | None, label: str | None
) -> None:
    wire = mapping.wire_state(status)
    assert (wire.state, wire.state_reason) == (state, reason)
    labels = mapping.labels_for_write(status, ["bug"])
    assert labels == ["bug"] + ([label] if label else [])
    assert mapping.status_from_wire(wire.state, wire.state_reason, labels) is status
    assert mapping.user_labels(labels) == ["bug"]


def test_status_labels_are_mutually_exclusive_and_others_kept() -> None:
    current = ["bug", "status/in-progress", "status/blocked", "Status/In-Review"]
    assert mapping.labels_for_write(RecordStatus.IN_REVIEW, ["bug", "ui"], current) == [
        "bug",
        "ui",
        "status/blocked",
        "status/in-review",
    ]
    assert mapping.labels_for_write(RecordStatus.DONE, [], current) == ["status/blocked"]


def test_user_labels_preserved_exactly_and_deduplicated_like_github() -> None:
    labels = ["zeta", "Bug", "émoji 🐛", "bug", "a,b"]
    assert mapping.labels_for_write(RecordStatus.OPEN, labels) == ["zeta", "Bug", "émoji 🐛", "a,b"]


def test_user_may_not_write_status_labels() -> None:
    with pytest.raises(InvalidRecord, match="status/") as info:
        mapping.labels_for_write(RecordStatus.OPEN, ["status/in-review"])
    assert "set the record's status" in str(info.value)


@pytest.mark.parametrize(
    ("reason", "state_reason"),
    [
        (DeleteReason.COMPLETED, "completed"),
        (DeleteReason.NOT_PLANNED, "not_planned"),
        (DeleteReason.DUPLICATE, "duplicate"),
        (DeleteReason.ABANDONED, "not_planned"),
    ],
)
def test_close_reasons_read_back_as_closed_status(reason: DeleteReason, state_reason: str) -> None:
    assert mapping.close_reason(reason) == state_reason
    assert mapping.status_from_wire("closed", state_reason, []) is reason.closed_status


@pytest.mark.parametrize("raw", ["completed", "not_planned", "duplicate", "reopened"])
def test_every_documented_state_reason_parses_to_itself(raw: str) -> None:
    """https://docs.github.com/en/rest/issues/issues#update-an-issue lists these four."""
    assert mapping.StateReason.parse(raw) == raw


@pytest.mark.parametrize("raw", ["resolved_elsewhere", "unrecognized", "", "COMPLETED"])
def test_unknown_state_reasons_are_the_typed_fallback(
    raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A reason GitHub adds later is UNRECOGNIZED and reads as wont_fix, with a warning."""
    assert mapping.StateReason.parse(raw) is mapping.StateReason.UNRECOGNIZED
    with caplog.at_level("WARNING", logger="reposix.github"):
        assert mapping.closed_status(raw) is RecordStatus.WONT_FIX
    assert "unknown state_reason" in caplog.text


@pytest.mark.parametrize(
    ("assignee", "current", "sent"),
    [
        ("octocat", ["octocat", "hubot"], None),  # unchanged: co-assignees untouched
        ("OctoCat", ["octocat"], None),  # logins are case-insensitive
        ("hubot", ["octocat", "hubot"], ["hubot"]),
        (None, ["octocat"], []),
        (None, [], None),
        ("octocat", [], ["octocat"]),
    ],
)
def test_assignees_for_write(assignee: str | None, current: list[str], sent: list[str]) -> None:
    assert mapping.assignees_for_write(assignee, current) == sent


# -- wire models on the vendor examples ---------------------------------------------------


def test_vendor_issue_example_maps_to_a_record(load: Load) -> None:
    issue = ISSUE.validate_python(load("issue.json"))
    record = record_from_issue(issue)
    assert record.id == 1347
    assert record.title == "Found a bug"
    assert record.body == "I'm having a problem with this."
    assert record.assignee == "octocat"
    assert record.labels == ["bug"]
    assert record.status is RecordStatus.OPEN
    assert record.updated_at == datetime(2011, 4, 22, 13, 33, 48, tzinfo=UTC)
    assert record.version == version_of(record.updated_at) == 1303479228
    assert record.extensions == {}
    assert record.parent_id is None
    # GitHub's documented "issue" example itself carries a pull_request key.
    assert issue.is_pull_request
    plain = load("issue.json")
    del plain["pull_request"]
    assert not ISSUE.validate_python(plain).is_pull_request


def test_ghes_example_with_state_reason(load: Load) -> None:
    issue = ISSUE.validate_python(load("issue-ghes36-state-reason.json"))
    assert issue.state_reason == "completed"


def test_pull_request_item_is_recognised(load: Load) -> None:
    items = PAGE.validate_python(load("issue-items-pull-request.json"))
    assert [i.is_pull_request for i in items] == [True]


def test_pull_request_key_counts_even_when_null(load: Load) -> None:
    item = load("issue.json") | {"pull_request": None}
    assert ISSUE.validate_python(item).is_pull_request


def test_null_body_and_bare_string_labels(load: Load) -> None:
    item = load("issue.json") | {"body": None, "labels": ["bug", "status/in-review"]}
    record = record_from_issue(ISSUE.validate_python(item))
    assert record.body == ""
    assert record.labels == ["bug"]
    assert record.status is RecordStatus.IN_REVIEW


def test_assignees_list_wins_over_deprecated_assignee(load: Load) -> None:
    item = load("issue.json") | {
        "assignee": {"login": "first"},
        "assignees": [{"login": "first"}, {"login": "second"}],
    }
    assert record_from_issue(ISSUE.validate_python(item)).assignee == "first"
    only = load("issue.json") | {"assignees": None, "assignee": {"login": "solo"}}
    assert record_from_issue(ISSUE.validate_python(only)).assignee == "solo"


@pytest.mark.parametrize(
    "change",
    [
        {"number": None},
        {"number": "12"},
        {"state": "merged"},
        {"updated_at": "2011-04-22T13:33:48"},
        {"title": None},
    ],
)
def test_fields_we_rely_on_are_strict(load: Load, change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ISSUE.validate_python(load("issue.json") | change)


def test_missing_number_through_decode_is_a_protocol_error(load: Load) -> None:
    item = load("issue.json")
    del item["number"]
    response = httpx.Response(
        200, json=[item], request=httpx.Request("GET", "https://api.github.com/x")
    )
    with pytest.raises(ProtocolError, match="number"):
        decode(response, PAGE, "github issues")


def test_error_body_summary(load: Load) -> None:
    err = ERROR.validate_python(load("error-422.json")["body"])
    assert err.summary() == "Validation Failed (Label color invalid)"
