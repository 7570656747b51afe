"""The kit bites: every broken connector in the gallery FAILs the invariants it breaks, by an
assertion of that invariant (not a crash or a build error), every invariant is proven by at
least one of them, and the sim control passes every invariant."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reposix_contract._gallery import Broken, load_gallery
from reposix_contract._registry import REGISTRY, invariants
from reposix_contract._runner import run_invariant
from reposix_contract._settings import MINIMIZE_ENV
from reposix_contract._targets import sim_control

GALLERY_DIR = Path(__file__).parent / "gallery"
ENTRIES = load_gallery(GALLERY_DIR)


def test_every_invariant_has_a_broken_connector() -> None:
    registered = {i.id for i in invariants()}
    killed = set().union(*(b.kills for b in ENTRIES))
    assert registered, "no invariants are registered"
    assert registered <= killed, (
        f"invariants no broken connector proves: {sorted(registered - killed)}"
    )
    assert killed <= registered, f"gallery names unknown invariants: {sorted(killed - registered)}"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda b: b.name)
def test_the_suite_kills_it(entry: Broken, monkeypatch: pytest.MonkeyPatch) -> None:
    # The verdict is what counts here: skip the search for a smaller failing example
    # after an explicit edge case failed (tests/contract/test_props.py covers it).
    monkeypatch.setenv(MINIMIZE_ENV, "0")
    target = entry.target()
    survived = []
    for inv_id in sorted(entry.kills):
        outcome = run_invariant(target, REGISTRY[inv_id])
        if not outcome.by_assertion:
            how = (
                f"crashed the check ({type(outcome.error).__name__})"
                if outcome.status == "FAIL"
                else outcome.status
            )
            survived.append(f"{inv_id}: {how}: {outcome.detail[:200]}")
    assert not survived, (
        f"{entry.name} ({entry.description}) was not killed by the assertion of each "
        f"invariant it breaks: {survived}"
    )


@pytest.mark.parametrize("inv", [i.id for i in invariants()])
def test_the_sim_control_passes(inv: str) -> None:
    outcome = run_invariant(sim_control(), REGISTRY[inv])
    assert outcome.status == "pass", f"sim control: {inv} {outcome.status}: {outcome.detail}"


def _gallery_module(stem: str) -> object:
    for name, module in list(sys.modules.items()):
        if name.endswith(f".{stem}") and getattr(module, "__file__", "").startswith(
            str(GALLERY_DIR.resolve())
        ):
            return module
    raise LookupError(stem)


PASSING = getattr(_gallery_module("write_broken"), "PASSING", {})
WRITE_SIDE = [i.id for i in invariants() if i.family in ("write", "differential")]


@pytest.mark.parametrize("name", sorted(PASSING))
def test_correct_variants_pass(name: str) -> None:
    """A close-only and a read-only connector that keep their declarations are not failed:
    they pass, or are n/a with a declaration that holds."""
    target = sim_control().derive(name, PASSING[name])
    verdicts = {inv: run_invariant(target, REGISTRY[inv]) for inv in WRITE_SIDE}
    failed = {inv: o.detail[:300] for inv, o in verdicts.items() if o.status == "FAIL"}
    assert not failed, f"correct variant {name} failed: {failed}"
    if name == "read-only":
        assert verdicts["W01"].status == "n/a"
        assert verdicts["W07"].status == "pass"
    if name == "close-only":
        assert verdicts["W06"].status == "pass"
