"""The kit bites: every differential broken connector FAILs its invariants; the sim control passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from reposix_contract.gallery import Broken, load_gallery
from reposix_contract.registry import REGISTRY, invariants
from reposix_contract.runner import run_invariant
from reposix_contract.targets import sim_control

GALLERY_DIR = Path(__file__).parent / "gallery"
ENTRIES = load_gallery(GALLERY_DIR, prefix="differential_")
MINE = [i.id for i in invariants() if i.family == "differential"]


def test_every_differential_invariant_has_a_broken_connector() -> None:
    killed = set().union(*(b.kills for b in ENTRIES))
    assert MINE, "no differential invariants are registered"
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
