"""Labels are checked on Confluence: losing them fails W01/W03, an undeclared normalization
fails W03/D01, and ``stored_form`` cannot excuse a loss (W09)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reposix_confluence import plugin as confluence_plugin
from reposix_confluence.connector import ConfluenceConnector
from reposix_contract._gallery import GALLERY, Broken, load_gallery
from reposix_contract._registry import REGISTRY, invariants
from reposix_contract._runner import run_invariant
from reposix_contract._settings import MINIMIZE_ENV
from reposix_contract._targets import from_plugin

GALLERY_DIR = Path(__file__).parent / "gallery"
ENTRIES = load_gallery(GALLERY_DIR, prefix="write_broken_labels")
LABEL_CHECKS = ("W01", "W03", "W06", "W09", "W11", "D01")
assert set(LABEL_CHECKS) <= {i.id for i in invariants()}  # also loads the registry


def test_the_label_entries_are_registered() -> None:
    assert {b.name for b in ENTRIES} == {
        "confluence-drops-labels-on-create",
        "confluence-undeclared-lowercasing",
        "stored-form-hides-dropped-labels",
    }


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda b: b.name)
def test_the_suite_kills_it(entry: Broken, monkeypatch: pytest.MonkeyPatch) -> None:
    # As in test_gallery.py: the verdict is what counts, so no search for a smaller failing
    # example after an edge case failed (it burned the 20 s budget per invariant).
    monkeypatch.setenv(MINIMIZE_ENV, "0")
    target = entry.target()
    survived = []
    for inv_id in sorted(entry.kills):
        outcome = run_invariant(target, REGISTRY[inv_id])
        if outcome.status != "FAIL":
            survived.append(f"{inv_id}: {outcome.status} {outcome.detail[:200]}")
    assert not survived, f"{entry.name} ({entry.description}) survived: {survived}"


def test_a_dropped_label_is_reported_as_a_label_difference() -> None:
    target = GALLERY["confluence-drops-labels-on-create"].target()
    outcome = run_invariant(target, REGISTRY["W01"])
    assert outcome.status == "FAIL"
    assert "labels: expected ['kit', 'w01'], got []" in outcome.detail


def test_the_hiding_stored_form_would_pass_w01_without_w09() -> None:
    """Why W09 checks stored_form: the excuse makes W01 compare an empty label list."""
    target = GALLERY["stored-form-hides-dropped-labels"].target()
    assert run_invariant(target, REGISTRY["W01"]).status == "pass"


def test_labels_declared_uncarried_let_the_dropper_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bug this fixes: with ``labels`` in ``uncarried_fields`` nothing checked them."""
    monkeypatch.setattr(ConfluenceConnector, "uncarried_fields", frozenset({"assignee", "labels"}))
    target = GALLERY["confluence-drops-labels-on-create"].target()
    assert run_invariant(target, REGISTRY["W01"]).status == "pass"


def test_confluence_carries_labels() -> None:
    assert "labels" not in ConfluenceConnector.uncarried_fields
    assert ConfluenceConnector.uncarried_fields == {"assignee"}


@pytest.mark.parametrize("inv", LABEL_CHECKS)
def test_the_real_confluence_connector_passes_the_label_checks(inv: str) -> None:
    outcome = run_invariant(from_plugin(confluence_plugin), REGISTRY[inv])
    assert outcome.status == "pass", f"confluence: {inv} {outcome.status}: {outcome.detail}"
    assert outcome.uncarried == ("assignee",)
