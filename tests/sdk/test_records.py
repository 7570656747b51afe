"""Record validation: the schema refuses what would corrupt data downstream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from reposix._records import SERVER_FIELDS, Record, RecordStatus

NOW = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


def make(**over: object) -> Record:
    base: dict[str, object] = {
        "id": 1,
        "title": "t",
        "status": "open",
        "created_at": NOW,
        "updated_at": NOW,
        "version": 1,
    }
    return Record.model_validate({**base, **over})


def test_defaults_and_status_values() -> None:
    r = make()
    assert r.labels == []
    assert r.body == ""
    assert r.assignee is None
    assert r.parent_id is None
    assert {s.value for s in RecordStatus} == {
        "open",
        "in_progress",
        "in_review",
        "done",
        "wont_fix",
    }


@pytest.mark.parametrize(
    "field, value",
    [
        ("id", 0),
        ("id", -3),
        ("id", "7"),
        ("id", 1.5),
        ("status", "closed"),
        ("version", -1),
        ("created_at", datetime(2026, 1, 1)),
        ("updated_at", "2026-01-01T00:00:00"),
        ("labels", [1, 2]),
        ("labels", "a,b"),
        ("parent_id", 0),
        ("extensions", {"k": object()}),
        ("surprise", 1),
    ],
)
def test_rejects_bad_fields(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        make(**{field: value})


def test_timestamps_are_normalized_to_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    r = make(created_at=datetime(2026, 1, 1, 12, tzinfo=plus2))
    assert r.created_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert r.created_at.utcoffset() == timedelta(0)


def test_frozen_and_replace_validates() -> None:
    r = make()
    with pytest.raises(ValidationError):
        r.title = "x"  # type: ignore[misc]
    assert r.replace(title="new").title == "new"
    with pytest.raises(ValidationError):
        r.replace(status="nope")


def test_draft_drops_server_fields() -> None:
    draft = make(labels=["a"], body="b").draft()
    assert not SERVER_FIELDS & set(draft.model_dump())
    assert draft.labels == ["a"]
    assert draft.labels == ["a"]
    assert draft.body == "b"
