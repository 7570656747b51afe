"""Jira mapping tables, every row: status read, transition choice, JQL, versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from reposix import atlassian_minute, atlassian_zone
from reposix._errors import ConfigError, ProtocolError
from reposix._records import RecordStatus
from reposix_jira import base_url_for, jql
from reposix_jira.mapping import (
    choose_transition,
    record_from_issue,
    status_from_wire,
    version_of,
)
from reposix_jira.wire import Issue, Named, Status, StatusCategory, Transition, TransitionTarget

from .conftest import load


def _status(name: str, key: str) -> Status:
    return Status(name=name, statusCategory=StatusCategory(key=key))


@pytest.mark.parametrize(
    ("name", "key", "resolution", "expected"),
    [
        ("To Do", "new", None, RecordStatus.OPEN),
        ("Backlog", "new", None, RecordStatus.OPEN),
        ("Open", "undefined", None, RecordStatus.OPEN),
        ("In Progress", "indeterminate", None, RecordStatus.IN_PROGRESS),
        ("In Review", "indeterminate", None, RecordStatus.IN_REVIEW),
        ("Code review", "indeterminate", None, RecordStatus.IN_REVIEW),
        ("In Progress", "in-flight", None, RecordStatus.IN_PROGRESS),  # the spec's examples
        ("QA Review", "in-flight", None, RecordStatus.IN_REVIEW),
        ("Done", "done", None, RecordStatus.DONE),
        ("Done", "done", "Done", RecordStatus.DONE),
        ("Closed", "completed", "Fixed", RecordStatus.DONE),  # the spec's examples
        ("Done", "done", "Won't Do", RecordStatus.WONT_FIX),
        ("Done", "done", "Won’t Fix", RecordStatus.WONT_FIX),  # typographic apostrophe
        ("Done", "done", "Duplicate", RecordStatus.WONT_FIX),
        ("Closed", "done", "Cannot Reproduce", RecordStatus.WONT_FIX),
        ("Won't Do", "done", None, RecordStatus.WONT_FIX),
        ("In Progress", "indeterminate", "Duplicate", RecordStatus.WONT_FIX),
        ("Weird", "something-new", None, RecordStatus.OPEN),
    ],
)
def test_status_mapping(
    name: str, key: str, resolution: str | None, expected: RecordStatus
) -> None:
    res = Named(name=resolution) if resolution else None
    assert status_from_wire(_status(name, key), res) is expected


def _t(tid: str, name: str, to: str, key: str) -> Transition:
    return Transition(
        id=tid, name=name, to=TransitionTarget(name=to, statusCategory=StatusCategory(key=key))
    )


WORKFLOW = [
    _t("11", "Reopen", "To Do", "new"),
    _t("21", "Start", "In Progress", "indeterminate"),
    _t("31", "Ask for review", "In Review", "indeterminate"),
    _t("41", "Resolve", "Done", "done"),
    _t("51", "Won't do", "Won't Do", "done"),
]


@pytest.mark.parametrize(
    ("want", "tid"),
    [
        (RecordStatus.OPEN, "11"),
        (RecordStatus.IN_PROGRESS, "21"),
        (RecordStatus.IN_REVIEW, "31"),
        (RecordStatus.DONE, "41"),
        (RecordStatus.WONT_FIX, "51"),
    ],
)
def test_transition_choice(want: RecordStatus, tid: str) -> None:
    chosen = choose_transition(WORKFLOW, want)
    assert chosen is not None
    assert chosen.id == tid


def test_transition_choice_by_transition_name_and_absence() -> None:
    closing = [_t("61", "Reject", "Closed", "done"), _t("71", "Close", "Closed", "done")]
    chosen = choose_transition(closing, RecordStatus.WONT_FIX)
    assert chosen is not None
    assert chosen.id == "61"
    chosen = choose_transition(closing, RecordStatus.DONE)
    assert chosen is not None
    assert chosen.id == "71"
    assert choose_transition(WORKFLOW[:2], RecordStatus.IN_REVIEW) is None


def test_vendor_transition_example_parses() -> None:
    from reposix_jira.wire import TRANSITIONS

    parsed = TRANSITIONS.validate_python(load("transitions-200.json"))
    # The spec example: "Close Issue" leads to In Progress (in-flight); "QA Review" to Closed.
    assert choose_transition(parsed.transitions, RecordStatus.IN_PROGRESS) is not None
    chosen = choose_transition(parsed.transitions, RecordStatus.DONE)
    assert chosen is not None
    assert chosen.name == "QA Review"


def test_vendor_issue_example_lacks_mapped_fields() -> None:
    # Atlassian's GET example has ``"updated": 1`` (a placeholder, not a timestamp): a
    # validation error, not a guess at epoch seconds.
    example = load("get-issue-200.json")
    with pytest.raises(ValidationError, match=r"fields\.updated"):
        Issue.model_validate(example)
    # Without it, it still omits status and created: a ProtocolError, not a guess.
    del example["fields"]["updated"]
    issue = Issue.model_validate(example)
    with pytest.raises(ProtocolError, match="status"):
        record_from_issue(issue)


def test_record_mapping_from_issue_json() -> None:
    issue = Issue.model_validate(
        {
            "id": "10002",
            "key": "ED-1",
            "self": "https://decoy.reposix.invalid/rest/api/3/issue/10002",
            "fields": {
                "summary": "Main order flow broken",
                "description": load("get-issue-200.json")["fields"]["description"],
                "status": {"name": "In Review", "statusCategory": {"key": "indeterminate"}},
                "resolution": None,
                "assignee": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia"},
                "labels": ["bugfix"],
                "created": "2023-06-24T19:24:50.000+0000",
                "updated": "2023-06-24T21:24:50.123+0200",
                "parent": {"id": "10001", "key": "ED-0"},
                "issuetype": {"name": "Task"},
                "priority": {"name": "Medium"},
            },
        }
    )
    record = record_from_issue(issue)
    assert record.id == 10002
    assert record.title == "Main order flow broken"
    assert record.body == "Main order flow broken"
    assert record.status is RecordStatus.IN_REVIEW
    assert record.assignee == "5b10a2844c20165700ede21g"
    assert record.parent_id == 10001
    assert record.updated_at == datetime(2023, 6, 24, 19, 24, 50, 123000, tzinfo=UTC)
    assert record.version == version_of(record.updated_at) == 1687634690123
    assert record.extensions == {
        "jira": {
            "key": "ED-1",
            "issue_type": "Task",
            "priority": "Medium",
            "status_name": "In Review",
        }
    }


def test_project_keys_and_quoting() -> None:
    assert jql.project_jql("DEMO") == 'project = "DEMO" ORDER BY key ASC'
    for bad in ["demo", "D", "DE MO", 'X"Y', "1AB", ""]:
        with pytest.raises(ConfigError, match="project key"):
            jql.validate_key(bad)
    assert jql.jql_string('a"b\\c') == '"a\\"b\\\\c"'


def test_minute_literal_is_in_the_users_zone() -> None:
    since = datetime(2026, 1, 1, 0, 0, 59, 999000, tzinfo=UTC)
    sydney = ZoneInfo("Australia/Sydney")
    assert atlassian_minute(since, sydney) == "2026-01-01 11:00"  # UTC+11 in January
    assert atlassian_minute(since, UTC) == "2026-01-01 00:00"
    assert atlassian_minute(since, None) == "2025-12-31 10:00"  # unknown zone: 14 h earlier
    other = since.astimezone(timezone(timedelta(hours=-8)))
    assert atlassian_minute(other, sydney) == "2026-01-01 11:00"
    assert jql.changed_since_jql("DEMO", since, sydney) == (
        'project = "DEMO" AND updated >= "2026-01-01 11:00" ORDER BY updated DESC, key DESC'
    )
    assert atlassian_zone("Not/AZone") is None


def test_site_validation() -> None:
    assert base_url_for("acme-01") == "https://acme-01.atlassian.net"
    for bad in ["Acme", "acme.evil.com", "-acme", "acme_1", "", "a/b"]:
        with pytest.raises(ConfigError, match="REPOSIX_JIRA_INSTANCE"):
            base_url_for(bad)
