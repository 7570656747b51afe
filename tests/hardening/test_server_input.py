"""Server input the fuzz run broke on: each case is a typed error or the correct result.

Sources: Python's int-string limit (https://docs.python.org/3/library/stdtypes.html#int-max-str-digits),
``datetime.fromisoformat`` in 3.11 (https://docs.python.org/3/library/datetime.html#datetime.datetime.fromisoformat),
RFC 8288 §3.3 (https://www.rfc-editor.org/rfc/rfc8288#section-3.3): relation types compare
case-insensitively and ``rel`` holds a space-separated list.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from reposix import ProtocolError, parse_id, parse_timestamp, parse_zone
from reposix._pagination.link import next_link, parse_link_header
from reposix._records import Record

OVERFLOW = "9999-12-31T23:59:59-14:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-10-06T07:32:47.000+0000", datetime(2022, 10, 6, 7, 32, 47, tzinfo=UTC)),
        ("2024-01-01T10:15Z", datetime(2024, 1, 1, 10, 15, tzinfo=UTC)),
        ("2024-01-01T12:15:00+02:00", datetime(2024, 1, 1, 10, 15, tzinfo=UTC)),
        ("2011-04-22T13:33:48Z", datetime(2011, 4, 22, 13, 33, 48, tzinfo=UTC)),
    ],
)
def test_timestamps_in_every_vendor_spelling(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text, what="issue 1")
    assert parsed == expected
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize(
    "bad",
    [OVERFLOW, "0001-01-01T00:00:00+14:00", "2024-01-01T10:15", "garbage", "", "9" * 5000, 17],
)
def test_unusable_timestamps_are_protocol_errors(bad: object) -> None:
    with pytest.raises(ProtocolError, match="issue 7"):
        parse_timestamp(bad, what="issue 7")


def test_record_model_reports_overflow_as_a_validation_error() -> None:
    with pytest.raises(ValueError, match="out of range"):
        Record(
            id=1,
            title="t",
            status="open",
            created_at=datetime.fromisoformat(OVERFLOW),
            updated_at=datetime.fromisoformat(OVERFLOW),
            version=1,
        )


@pytest.mark.parametrize(
    ("value", "expected"), [("65537", 65537), (12, 12), ("9" * 18, int("9" * 18))]
)
def test_ids(value: object, expected: int) -> None:
    assert parse_id(value, what="page") == expected


@pytest.mark.parametrize(
    "bad", ["²", "1²", "٣", "-1", "0", "", " 12", "1" * 5000, 2**63, True, 1.0, None]
)
def test_bad_ids_are_protocol_errors(bad: object) -> None:
    with pytest.raises(ProtocolError, match="page 3"):
        parse_id(bad, what="page 3")


def test_zones() -> None:
    assert parse_zone("Europe/Paris", what="zone") is not None
    assert parse_zone(None, what="zone") is None
    assert parse_zone("", what="zone") is None
    # Well-formed but unknown here ("America" is a directory of zones): callers widen.
    assert parse_zone("America", what="zone") is None
    assert parse_zone("Not/AZone", what="zone") is None
    for bad in ["a" * 300, "../etc", "/etc/passwd", "Europe/Paris\x00", "UTC/", 5]:
        with pytest.raises(ProtocolError, match="user zone"):
            parse_zone(bad, what="user zone")


def _response(*links: str) -> httpx.Response:
    request = httpx.Request("GET", "https://api.example.com/items")
    return httpx.Response(200, headers=[("Link", v) for v in links], request=request)


@pytest.mark.parametrize(
    ("header", "target"),
    [
        (
            '<https://a.example/x?page=2>; rel="next", <https://a.example/x?page=5>; rel="last"',
            "https://a.example/x?page=2",
        ),
        ('<https://a.example/x?page=2>; rel="NEXT"', "https://a.example/x?page=2"),
        ('<https://a.example/x?page=2>; rel="prev next"', "https://a.example/x?page=2"),
        ("<https://a.example/x?page=2>;rel=next", "https://a.example/x?page=2"),
        (
            '<https://a.example/x?page=1>; rel="prev", <https://a.example/x?page=1>; rel="first"',
            None,
        ),
        ("", None),
    ],
)
def test_next_link_per_rfc_8288(header: str, target: str | None) -> None:
    assert next_link(_response(header)) == target


def test_no_link_header_is_the_last_page() -> None:
    assert next_link(_response()) is None


@pytest.mark.parametrize(
    "header",
    [
        '<>; rel="next"',
        "garbage",
        '<https://a.example/x?page=2>; rel="next',
        "<https://a.example/x?page=2; rel=next",
        "https://a.example/x?page=2; rel=next",
        '<https://a.example/x?page=2> rel="next"',
        '<https://a.example/a b>; rel="next"',
    ],
)
def test_unreadable_link_header_is_never_the_last_page(header: str) -> None:
    with pytest.raises(ProtocolError, match="listing"):
        next_link(_response(header), "listing")


def test_two_different_next_links_are_refused() -> None:
    with pytest.raises(ProtocolError, match="2 different next links"):
        next_link(_response('<https://a.example/2>; rel="next"', "<https://a.example/3>; rel=next"))


def test_parser_reads_quoted_strings_and_keeps_the_first_rel() -> None:
    links = parse_link_header('<https://a.example/2>; title="a, \\"b\\""; rel=next; rel=prev')
    assert links == [("https://a.example/2", {"title": 'a, "b"', "rel": "next"})]
