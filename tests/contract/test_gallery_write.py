"""The kit bites: every write broken connector FAILs its invariants; the sim control passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from reposix_contract.gallery import Broken, load_gallery
from reposix_contract.registry import REGISTRY, invariants
from reposix_contract.runner import run_invariant
from reposix_contract.targets import sim_control

GALLERY_DIR = Path(__file__).parent / "gallery"
ENTRIES = load_gallery(GALLERY_DIR, prefix="write_")
MINE = [i.id for i in invariants() if i.family == "write"]


def test_every_write_invariant_has_a_broken_connector() -> None:
    killed = set().union(*(b.kills for b in ENTRIES))
    assert MINE, "no write invariants are registered"
    assert set(MINE) <= killed, (
        f"invariants no broken connector proves: {sorted(set(MINE) - killed)}"
    )


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda b: b.name)
def test_the_suite_kills_it(entry: Broken) -> None:
    target = entry.target()
    survived = []
    for inv_id in sorted(entry.kills):
        outcome = run_invariant(target, REGISTRY[inv_id])
        if outcome.status != "FAIL":
            survived.append(f"{inv_id}: {outcome.status} {outcome.detail[:200]}")
    assert not survived, f"{entry.name} ({entry.description}) survived: {survived}"


@pytest.mark.parametrize("inv", MINE)
def test_the_sim_control_passes(inv: str) -> None:
    outcome = run_invariant(sim_control(), REGISTRY[inv])
    assert outcome.status == "pass", f"sim control: {inv} {outcome.status}: {outcome.detail}"


def _gallery_module(stem: str) -> object:
    import sys

    for name, module in list(sys.modules.items()):
        if name.endswith(f".{stem}") and getattr(module, "__file__", "").startswith(
            str(GALLERY_DIR.resolve())
        ):
            return module
    raise LookupError(stem)


PASSING = getattr(_gallery_module("write_broken"), "PASSING", {})
CHECKED = [i.id for i in invariants() if i.family in ("write", "differential")]


@pytest.mark.parametrize("name", sorted(PASSING))
def test_correct_variants_pass(name: str) -> None:
    """A close-only and a read-only connector that keep their declarations are not failed:
    they pass, or are n/a with a declaration that holds."""
    target = sim_control().derive(name, PASSING[name])
    verdicts = {inv: run_invariant(target, REGISTRY[inv]) for inv in CHECKED}
    failed = {inv: o.detail[:300] for inv, o in verdicts.items() if o.status == "FAIL"}
    assert not failed, f"correct variant {name} failed: {failed}"
    if name == "read-only":
        assert verdicts["W01"].status == "n/a" and verdicts["W07"].status == "pass"
    if name == "close-only":
        assert verdicts["W06"].status == "pass"
