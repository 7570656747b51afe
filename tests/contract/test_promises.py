"""Every promise the concept pages make about a record field is checked by an invariant.

Each row names a phrase of the page (so the test fails if the page changes what it
promises) and the invariants that check it (so it fails if an invariant disappears).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reposix_contract._registry import invariants

DOCS = Path(__file__).resolve().parents[2] / "docs"

PROMISES: dict[str, list[tuple[str, str, set[str]]]] = {
    "records.md": [
        ("id", "assigned by the server", {"W01", "W02", "R05"}),
        ("title", "| `title` | `str` |", {"W03", "D01"}),
        ("status", "a closed set", {"R05", "W03", "W06"}),
        ("assignee", "stable user handle", {"W03", "D01"}),
        ("labels", "no repeats; order is not significant", {"R05", "W03"}),
        ("created_at", "normalized to UTC; naive datetimes are rejected", {"R05", "R06", "R14"}),
        ("updated_at", "normalized to UTC; naive datetimes are rejected", {"R05", "R06", "R14"}),
        ("version", "`int >= 0`", {"R05", "W04"}),
        ("body", "Markdown; verbatim", {"W03", "D01"}),
        ("parent_id", "for backends declaring `hierarchy`", {"W12", "W14"}),
        ("extensions", "non-URL fields", {"R05", "S03"}),
        ("RecordDraft", "it is what a create sends", {"W02"}),
    ],
    "backend.md": [
        ("name", "stable: audit rows, logs, test ids", {"R09"}),
        ("truncation", "a truncated listing is a prefix with `is_complete=False`", {"R07", "E01"}),
        ("unknown project", "Unknown project: `NotFound`; existing empty project: `[]`", {"R02"}),
        ("list_changed_since", "**strictly after** `since`", {"R06", "R10", "R13", "R14"}),
        ("get_record", "`NotFound` (not `None`, not another error) if absent", {"R04", "E02"}),
        ("delete", "really deletes: `get_record` is `NotFound` afterwards", {"W06"}),
        ("incremental", "filters on the server (and fetches fewer records)", {"R06"}),
    ],
}


def _fields_in_table(text: str) -> set[str]:
    rows = re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", text, re.M)
    return {name for row in rows for name in row if name}


@pytest.mark.parametrize("page", sorted(PROMISES))
def test_every_promise_maps_to_registered_invariants(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    registered = {i.id for i in invariants()}
    for subject, phrase, checked_by in PROMISES[page]:
        assert phrase in text, f"{page} no longer says {phrase!r} about {subject}; update the map"
        unknown = checked_by - registered
        assert not unknown, f"{subject}: {sorted(unknown)} are not registered invariants"


def test_every_field_of_the_record_table_has_a_promise() -> None:
    text = (DOCS / "records.md").read_text(encoding="utf-8")
    mapped = {subject for subject, _, _ in PROMISES["records.md"]}
    fields = _fields_in_table(text)
    assert len(fields) >= 11, f"could not read the field table of docs/records.md: {fields}"
    unmapped = fields - mapped
    assert not unmapped, f"docs/records.md fields with no invariant mapped: {sorted(unmapped)}"
