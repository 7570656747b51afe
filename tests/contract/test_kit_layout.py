"""The kit's layout rules: one fault vocabulary, one home for invariant helpers."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import reposix_contract
from reposix._faults import DECOY_ORIGIN, FOREIGN_ORIGIN, PageFaults
from reposix.sim._faults import Faults
from reposix_contract._fakes.base import Knobs
from reposix_contract._invariants import FAMILIES

INVARIANTS = Path(reposix_contract.__file__).parent / "_invariants"
ROOTS = [Path(reposix_contract.__file__).parent, INVARIANTS.parents[2] / "sdk" / "reposix"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}


def test_no_family_imports_another_family() -> None:
    offenders = {
        family: sorted(
            m
            for m in _imports(INVARIANTS / f"{family}.py")
            if m.startswith("reposix_contract._invariants.") and not m.endswith("._support")
        )
        for family in FAMILIES
    }
    assert not {k: v for k, v in offenders.items() if v}, (
        f"invariant families import each other's helpers: {offenders}; move shared helpers "
        "to reposix_contract._invariants._support"
    )


def test_the_simulator_and_the_kit_share_one_fault_vocabulary() -> None:
    shared = {f.name for f in fields(PageFaults)}
    assert issubclass(Faults, PageFaults)
    assert issubclass(Knobs, PageFaults)
    assert shared <= {f.name for f in fields(Faults)} & {f.name for f in fields(Knobs)}
    assert reposix_contract.PageFaults is PageFaults
    assert reposix_contract.Knobs is Knobs


def test_the_decoy_and_foreign_origins_are_defined_once() -> None:
    homes = []
    for root in ROOTS:
        for path in root.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for origin in (DECOY_ORIGIN, FOREIGN_ORIGIN):
                if f'"{origin}"' in text:
                    homes.append(f"{path.relative_to(root.parent)}: {origin}")
    assert sorted(homes) == sorted(
        [f"reposix/_faults.py: {DECOY_ORIGIN}", f"reposix/_faults.py: {FOREIGN_ORIGIN}"]
    ), f"the decoy/foreign origins are spelled out in several places: {homes}"
