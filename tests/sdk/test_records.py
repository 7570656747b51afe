"""Record validation: the schema refuses what would corrupt data downstream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from reposix._errors import InvalidRecord
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
    with pytest.raises(InvalidRecord, match="status"):
        r.replace(status="nope")


@pytest.mark.parametrize(
    ("changes", "names", "teaches"),
    [
        ({"status": "closed"}, "status:", "status takes one of open, in_progress"),
        ({"id": 0}, "id:", "id takes a positive int"),
        ({"created_at": datetime(2026, 1, 1)}, "created_at:", "timezone-aware"),
        ({"labels": ["ok", 5]}, "labels.1:", "labels takes a list of str"),
        ({"titel": "typo"}, "titel: not a field", "use only the fields id, title"),
        ({"title": None, "version": -1}, "title:", "version takes an int >= 0"),
    ],
)
def test_replace_raises_invalid_record_naming_the_field_and_the_fix(
    changes: dict[str, object], names: str, teaches: str
) -> None:
    with pytest.raises(InvalidRecord) as info:
        make().replace(**changes)
    assert not isinstance(info.value, ValidationError)
    assert names in info.value.message
    assert teaches in (info.value.hint or "")


def test_replace_never_quotes_the_refused_value() -> None:
    # a token pasted into the wrong field: pydantic's own text would echo it back
    token = "ghp_" + "Z9" * 18  # never registered as a secret: only the schema stops it
    for changes in ({"version": token}, {"labels": token}, {"status": token}):
        with pytest.raises(InvalidRecord) as info:
            make().replace(**changes)
        assert token not in str(info.value)
        assert token not in repr(info.value.args)
        assert info.value.__cause__ is None  # the ValidationError (with the input) is gone
        assert info.value.__suppress_context__


def test_draft_drops_server_fields() -> None:
    draft = make(labels=["a"], body="b").draft()
    assert not SERVER_FIELDS & set(draft.model_dump())
    assert draft.labels == ["a"]
    assert draft.labels == ["a"]
    assert draft.body == "b"
