"""The kit bites: every read/error broken connector FAILs its invariants; the sim control passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from reposix_contract.gallery import Broken, load_gallery
from reposix_contract.registry import REGISTRY, invariants
from reposix_contract.runner import run_invariant
from reposix_contract.targets import sim_control

GALLERY_DIR = Path(__file__).parent / "gallery"
READ_GALLERY = load_gallery(GALLERY_DIR, prefix="read_")


def test_every_read_and_error_invariant_has_a_broken_connector() -> None:
    mine = {i.id for i in invariants() if i.family in ("read", "errors")}
    killed = set().union(*(b.kills for b in READ_GALLERY))
    assert mine <= killed, f"invariants no broken connector proves: {sorted(mine - killed)}"


@pytest.mark.parametrize("entry", READ_GALLERY, ids=lambda b: b.name)
def test_the_suite_kills_it(entry: Broken) -> None:
    target = entry.target()
    survived = []
    for inv_id in sorted(entry.kills):
        outcome = run_invariant(target, REGISTRY[inv_id])
        if outcome.status != "FAIL":
            survived.append(f"{inv_id}: {outcome.status} {outcome.detail[:200]}")
    assert not survived, f"{entry.name} ({entry.description}) survived: {survived}"


@pytest.mark.parametrize("inv", [i.id for i in invariants()])
def test_the_sim_control_passes(inv: str) -> None:
    outcome = run_invariant(sim_control(), REGISTRY[inv])
    assert outcome.status == "pass", f"sim control: {inv} {outcome.status}: {outcome.detail}"
