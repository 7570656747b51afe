"""The mapping tables, row by row, and the CQL date rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reposix import atlassian_minute
from reposix._errors import ConfigError, InvalidRecord, ProtocolError
from reposix._records import RecordStatus
from reposix_confluence import base_url_for, mapping
from reposix_confluence.cql import changed_since_cql, check_space_key
from reposix_confluence.wire import PAGE, CfLabel

S = RecordStatus


@pytest.mark.parametrize(
    ("page_status", "labels", "expected"),
    [
        ("current", [], S.OPEN),
        ("draft", [], S.OPEN),
        ("archived", [], S.DONE),
        ("current", ["reposix-status-in-progress"], S.IN_PROGRESS),
        ("current", ["reposix-status-in-review"], S.IN_REVIEW),
        ("current", ["reposix-status-done"], S.DONE),
        ("current", ["reposix-status-wont-fix"], S.WONT_FIX),
        ("archived", ["reposix-status-wont-fix"], S.WONT_FIX),
        ("current", ["reposix-status-in-progress", "reposix-status-in-review"], S.IN_REVIEW),
        ("current", ["reposix-status-done", "reposix-status-wont-fix"], S.WONT_FIX),
        ("current", ["REPOSIX-STATUS-DONE"], S.DONE),
        ("current", ["bug", "status-done"], S.OPEN),
    ],
)
def test_status_from_wire_every_row(page_status: str, labels: list[str], expected: S) -> None:
    assert mapping.status_from_wire(page_status, labels) is expected


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (S.OPEN, None),
        (S.IN_PROGRESS, "reposix-status-in-progress"),
        (S.IN_REVIEW, "reposix-status-in-review"),
        (S.DONE, "reposix-status-done"),
        (S.WONT_FIX, "reposix-status-wont-fix"),
    ],
)
def test_status_to_wire_every_row(status: S, label: str | None) -> None:
    assert mapping.status_label(status) == label
    if label is not None:
        assert mapping.status_from_wire("current", [label]) is status


def test_label_changes_are_exclusive_and_case_insensitive() -> None:
    add, remove = mapping.label_changes(
        ["bug", "reposix-status-in-progress", "old"], S.IN_REVIEW, ["Bug", "new"]
    )
    assert add == ["new", "reposix-status-in-review"]
    assert remove == ["reposix-status-in-progress", "old"]
    assert mapping.label_changes(["bug"], S.OPEN, ["bug"]) == ([], [])


def test_only_global_labels_and_no_status_labels_are_shown(load: Callable[[str], Any]) -> None:
    labels = [CfLabel.model_validate(x) for x in load("labels.json")["results"]]
    names = mapping.wire_labels(labels)
    assert names == ["release", "reposix-status-in-review"]
    assert mapping.user_labels(names) == ["release"]


_BAD_LABELS = [
    "",
    "two words",
    "tab\there",
    "nbsp\u00a0inside",
    "reposix-status-done",
    "REPOSIX-STATUS-x",
    "x" * 256,
    *(f"a{c}b" for c in ":;,.?&[]()#^*@!"),
]


@pytest.mark.parametrize("bad", _BAD_LABELS)
def test_labels_confluence_cannot_store_are_refused(bad: str) -> None:
    with pytest.raises(InvalidRecord):
        mapping.check_user_labels([bad])


@pytest.mark.parametrize("name", [*_BAD_LABELS, "kind-test", "área", "Bug_2", "🚀", "x" * 255])
def test_label_pattern_agrees_with_the_check(name: str) -> None:
    """``label_pattern`` (what the kit generates) is exactly what ``check_user_labels`` lets by."""
    try:
        mapping.check_user_labels([name])
        refused = False
    except InvalidRecord:
        refused = True
    assert refused == (mapping.LABEL_PATTERN.fullmatch(name) is None)


def test_stored_labels_lowercase_and_keep_the_first_of_each() -> None:
    assert mapping.stored_labels(["Bug", "ui", "bug", "UI", "Área"]) == ["bug", "ui", "área"]
    assert mapping.stored_labels([]) == []
    once = mapping.stored_labels(["A", "b"])
    assert mapping.stored_labels(once) == once


def test_vendor_page_maps_field_by_field(load: Callable[[str], Any]) -> None:
    page = PAGE.validate_python(load("page.json"))
    record = mapping.record_from_page(page, ["release", "reposix-status-in-review"], "196613")
    assert record.id == 229477
    assert record.title == "Release checklist"
    assert record.status is S.IN_REVIEW
    assert record.labels == ["release"]
    assert record.version == 7
    assert record.created_at == datetime(2024, 3, 11, 9, 15, 2, 347000, tzinfo=UTC)
    assert record.updated_at == datetime(2024, 5, 2, 16, 40, 11, 908000, tzinfo=UTC)
    assert record.body == "## Before\n\nRun the **smoke** tests."
    assert record.parent_id == 229473
    assert record.assignee is None
    assert record.extensions == {
        "confluence": {"space_id": "196612", "status": "current", "owner_id": page.ownerId}
    }
    assert "http" not in json.dumps(record.extensions)
    assert "/spaces/" not in json.dumps(record.extensions)


@pytest.mark.parametrize(
    ("parent_id", "parent_type", "expected", "in_extensions"),
    [
        (None, None, None, False),
        ("196613", "page", None, False),  # the space homepage: top level
        ("229473", "page", 229473, False),
        ("229476", "folder", None, True),
        ("229476", "whiteboard", None, True),
    ],
)
def test_parent_mapping(
    load: Callable[[str], Any],
    parent_id: str | None,
    parent_type: str | None,
    expected: int | None,
    in_extensions: bool,
) -> None:
    raw = {**load("page.json"), "parentId": parent_id, "parentType": parent_type}
    page = PAGE.validate_python(raw)
    assert mapping.parent_for(page, "196613") == expected
    ext = mapping.extensions_for(page, "196613")["confluence"]
    assert isinstance(ext, dict)
    assert ("parent" in ext) is in_extensions


@pytest.mark.parametrize(
    "change",
    [
        {"id": None},
        {"id": "abc"},
        {"id": "0"},
        {"status": "limbo"},
        {"version": {"number": "7", "createdAt": "2024-05-02T16:40:11.908Z"}},
        {"createdAt": "2024-05-02T16:40:11"},
    ],
)
def test_wire_model_is_strict_about_what_it_relies_on(
    load: Callable[[str], Any], change: dict[str, Any]
) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        PAGE.validate_python({**load("page.json"), **change})


@pytest.mark.parametrize("value", ["not json", "[1]", '{"type":"paragraph"}'])
def test_broken_adf_bodies_are_protocol_errors(load: Callable[[str], Any], value: str) -> None:
    raw = load("page.json")
    raw["body"]["atlas_doc_format"]["value"] = value
    with pytest.raises(ProtocolError):
        mapping.body_markdown(PAGE.validate_python(raw))
    raw["body"] = {}
    with pytest.raises(ProtocolError, match="without its atlas_doc_format body"):
        mapping.body_markdown(PAGE.validate_python(raw))


def test_cql_is_minute_precise_in_the_users_zone() -> None:
    since = datetime(2026, 1, 1, 0, 0, 56, 123000, tzinfo=UTC)
    sydney = ZoneInfo("Australia/Sydney")  # UTC+11 in January
    assert atlassian_minute(since, sydney) == "2026-01-01 11:00"
    assert atlassian_minute(since, None) == "2025-12-31 10:00"  # unknown zone: 14 h wider, UTC
    assert changed_since_cql("ENG", since, ZoneInfo("UTC")) == (
        'space = "ENG" and type = page and lastmodified >= "2026-01-01 00:00" '
        "order by lastmodified desc"
    )


def test_cql_widens_around_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 2026-10-25 02:30 happens twice in Berlin: the bound moves an hour earlier.
    ambiguous = datetime(2026, 10, 25, 0, 30, 10, tzinfo=UTC)  # 02:30 CEST (first pass)
    assert atlassian_minute(ambiguous, berlin) == "2026-10-25 01:30"


@pytest.mark.parametrize("key", ['ENG" or space = "X', "a b", "", "ENG\\", "../x"])
def test_space_keys_that_could_inject_cql_are_refused(key: str) -> None:
    with pytest.raises(ConfigError):
        check_space_key(key)


def test_personal_space_keys_are_accepted() -> None:
    assert check_space_key("~5b10ac8d82e05b22cc7d4ef5") == "~5b10ac8d82e05b22cc7d4ef5"


@pytest.mark.parametrize("tenant", ["Acme", "-acme", "acme-", "ac.me", "a" * 64, ""])
def test_tenant_is_validated(tenant: str) -> None:
    with pytest.raises(ConfigError, match="REPOSIX_CONFLUENCE_TENANT"):
        base_url_for(tenant)
    assert base_url_for("acme-2") == "https://acme-2.atlassian.net"
