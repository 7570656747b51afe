"""Frontmatter round trip and its errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reposix._errors import InvalidRecord
from reposix._frontmatter import parse, render
from reposix._records import Record, RecordStatus

# Text a YAML file can carry: no surrogates (unencodable) and no C0 controls other than
# tab/newline, which YAML itself forbids; the body is verbatim and may hold anything else.
_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=40,
)
_times = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)
_bodies = st.one_of(
    _text,
    st.just(""),
    st.just("---\n"),
    st.just("a\n---\nb\n---\n"),
    st.just("trailing\n\n\n"),
    st.lists(st.sampled_from(["---", "", "# h", "- x", "héllo 🎉", "  "]), max_size=6).map(
        "\n".join
    ),
)

records = st.builds(
    Record,
    id=st.integers(1, 2**62),
    title=_text,
    status=st.sampled_from(RecordStatus),
    assignee=st.none() | _text,
    labels=st.lists(_text, max_size=4),
    created_at=_times,
    updated_at=_times,
    version=st.integers(0, 2**31),
    body=_bodies,
    parent_id=st.none() | st.integers(1, 10_000),
    extensions=st.dictionaries(_text, _json, max_size=3),
)


@given(records)
def test_parse_render_round_trip(record: Record) -> None:
    assert parse(render(record)) == record


def test_render_shape() -> None:
    r = Record(
        id=3,
        title="yes",
        status=RecordStatus.DONE,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 2, tzinfo=UTC),
        version=2,
        body="---\nstill body\n",
    )
    text = render(r)
    assert text.startswith("---\nid: 3\ntitle: 'yes'\n")
    assert text.endswith("---\n---\nstill body\n")
    assert parse(text).body == "---\nstill body\n"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("id: 1\n---\n", "missing opening"),
        ("", "missing opening"),
        ("---\nid: 1\ntitle: x\n", "missing closing"),
        ("---\nid: [1\n---\n", "not valid YAML"),
        ("---\n- a\n- b\n---\n", "YAML mapping"),
        ("---\nid: x\ntitle: t\n---\n", "frontmatter fields are wrong: id"),
        ("---\nid: 1\n---\n", "title"),
    ],
)
def test_parse_errors_are_typed_and_clear(text: str, fragment: str) -> None:
    with pytest.raises(InvalidRecord) as info:
        parse(text)
    message = str(info.value)
    assert message.startswith("invalid record: ")
    assert fragment in message


@pytest.mark.parametrize(
    "fragile", ["\x85", "\u2028", "\u2029", "a\rb", "\ufeffx", "\x07", "'", '"']
)
def test_yaml_fragile_characters_survive(fragile: str) -> None:
    r = Record(
        id=1,
        title=fragile,
        status=RecordStatus.OPEN,
        labels=[fragile],
        assignee=fragile,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        version=0,
        extensions={fragile: fragile},
    )
    assert parse(render(r)) == r
