"""The status table, extensions, BBQL quoting and the wire models, against Bitbucket's
own API description (``fixtures/issue-schemas.json``, the swagger's ``definitions``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reposix import ConfigError, InvalidRecord, RecordStatus
from reposix_bitbucket import mapping
from reposix_bitbucket.connector import bbql_string, parse_project, record_from_issue
from reposix_bitbucket.fake import parse_bbql
from reposix_bitbucket.wire import ERROR, ISSUE, STATES

Load = Callable[[str], Any]


def _issue_props(load: Load) -> dict[str, Any]:
    schema = load("issue-schemas.json")["definitions"]["issue"]["allOf"][1]
    props: dict[str, Any] = schema["properties"]
    return props


def test_the_nine_states_are_the_swaggers(load: Load) -> None:
    enum = _issue_props(load)["state"]["enum"]
    assert sorted(enum) == sorted(STATES) == sorted(mapping.STATUS_OF)
    assert sorted(_issue_props(load)["kind"]["enum"]) == sorted(mapping.KINDS)
    assert sorted(_issue_props(load)["priority"]["enum"]) == sorted(mapping.PRIORITIES)


@pytest.mark.parametrize(
    ("state", "status", "written"),
    [
        ("new", RecordStatus.OPEN, True),
        ("on hold", RecordStatus.OPEN, False),
        ("open", RecordStatus.IN_PROGRESS, True),
        ("submitted", RecordStatus.IN_REVIEW, True),
        ("resolved", RecordStatus.DONE, True),
        ("closed", RecordStatus.DONE, False),
        ("wontfix", RecordStatus.WONT_FIX, True),
        ("invalid", RecordStatus.WONT_FIX, False),
        ("duplicate", RecordStatus.WONT_FIX, False),
    ],
)
def test_the_status_table_both_ways(state: str, status: RecordStatus, written: bool) -> None:
    """The table in docs/connectors/bitbucket.md, row by row."""
    assert mapping.STATUS_OF[state] is status
    assert (mapping.STATE_FOR[status] == state) is written
    # a state of the same status is kept, whether the record asks for it or the issue has it
    assert mapping.state_to_write(status, state, None) == state
    assert mapping.state_to_write(status, None, state) == state
    # a stale extension from another status never wins over the status
    other = next(s for s in RecordStatus if s is not status)
    assert mapping.STATUS_OF[mapping.state_to_write(other, state, state)] is other


def test_extension_fields_are_validated() -> None:
    ok = {"bitbucket": {"kind": "task", "priority": "blocker", "state": "on hold"}}
    assert mapping.extension_fields(ok) == ok["bitbucket"]
    assert mapping.extension_fields({}) == {}
    bads: list[dict[str, Any]] = [
        {"bitbucket": {"kind": "epic"}},
        {"bitbucket": {"severity": "high"}},
        {"jira": {}},
        {"bitbucket": "bug"},
    ]
    for bad in bads:
        with pytest.raises(InvalidRecord):
            mapping.extension_fields(bad)


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00.000000+00:00",
        'x" OR state != "new',
        "back\\slash\\",
        '\\" AND id > 0',
        "ünïcode ✓",
    ],
)
def test_bbql_strings_cannot_inject(value: str) -> None:
    """Whatever the value, the query stays one term whose value is exactly it."""
    assert parse_bbql(f"title = {bbql_string(value)}") == [("title", "=", value)]


@pytest.mark.parametrize("value", ["line\nbreak", "nul\x00", "tab\t"])
def test_bbql_refuses_control_characters(value: str) -> None:
    with pytest.raises(ConfigError):
        bbql_string(value)


@pytest.mark.parametrize(
    "project",
    ["acme/widgets", "acme-co/my_repo.js", "{" + "0" * 8 + "-0000-0000-0000-" + "0" * 12 + "}/x"],
)
def test_projects_accepted(project: str) -> None:
    assert parse_project(project)[0] == project.split("/")[0]


@pytest.mark.parametrize(
    "project",
    ["", "acme", "acme/", "/x", "a/b/c", "acme/../admin", "acme/x?q=1", "acme/x#y", "acme/.git"],
)
def test_projects_refused(project: str) -> None:
    with pytest.raises(ConfigError):
        parse_project(project)


def test_a_swagger_shaped_issue_reads_as_a_record(load: Load) -> None:
    """An issue built from the swagger's ``issue`` properties (the swagger has no example)."""
    props = _issue_props(load)
    body = {
        "type": "issue",
        "id": 7,
        "title": "Crash on start",
        "state": "on hold",
        "kind": "enhancement",
        "priority": "critical",
        "assignee": {"type": "user", "account_id": "557058:c0b72ad0", "display_name": "E"},
        "content": {"raw": "# Steps\n- run", "markup": "markdown", "html": "<h1>Steps</h1>"},
        "created_on": "2018-03-03T00:35:28.353630+00:00",
        "updated_on": "2018-03-04T00:35:28.353630+00:00",
        "edited_on": None,
        "votes": 0,
        "links": {"self": {"href": "https://decoy.invalid/x"}},
    }
    assert set(body) <= set(props) | {"type"}
    record = record_from_issue(ISSUE.validate_python(body))
    assert (record.id, record.status, record.assignee, record.body) == (
        7,
        RecordStatus.OPEN,
        "557058:c0b72ad0",
        "# Steps\n- run",
    )
    assert record.extensions == {
        "bitbucket": {"state": "on hold", "kind": "enhancement", "priority": "critical"}
    }
    assert record.version == 1520123728 * 10**6 + 353630  # exact microseconds, no float
    with pytest.raises(ValueError, match="state"):
        ISSUE.validate_python({**body, "state": "in review"})


def test_error_body_summary(load: Load) -> None:
    schema = load("issue-schemas.json")["definitions"]["error"]
    assert schema["required"] == ["type"]
    body = {"type": "error", "error": {"message": "Bad request", "detail": "title: required"}}
    assert ERROR.validate_python(body).summary() == "Bad request; title: required"
