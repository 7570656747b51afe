"""The docs' worked example: a FakeStore-backed fake built from the kit's blocks passes the
read suite, and a broken variant of it is caught (the kit works beyond the simulator)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from reposix._errors import NotFound
from reposix._records import Record, RecordId
from reposix_contract._registry import REGISTRY, invariants
from reposix_contract._runner import run_invariant
from reposix_contract._targets import Target


def _load() -> object:
    name = "reposix_kit_example_acme"
    if name not in sys.modules:
        path = Path(__file__).parent / "example_acme.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


acme = _load()
ACME = Target(name="acme", build=acme.build, fake=acme.AcmeFake)  # type: ignore[attr-defined]


@pytest.mark.parametrize("inv", [i.id for i in invariants() if i.family in ("read", "errors")])
def test_the_example_passes_read_and_error_invariants(inv: str) -> None:
    outcome = run_invariant(ACME, REGISTRY[inv])
    # A read invariant of an optional capability (R20: search) is n/a for the example.
    assert outcome.status == ("n/a" if REGISTRY[inv].requires else "pass"), outcome.detail


def test_write_invariants_are_declared_away() -> None:
    outcome = run_invariant(ACME, REGISTRY["W01"])
    assert outcome.status == "n/a", outcome.detail
    assert outcome.declared == ("create",)


class _SwallowsNotFound(acme.AcmeConnector):  # type: ignore[name-defined,misc]
    async def get_record(self, project: str, record_id: RecordId) -> Record:
        try:
            return await super().get_record(project, record_id)  # type: ignore[no-any-return]
        except NotFound:
            return None  # type: ignore[return-value]


def test_a_broken_variant_is_caught() -> None:
    broken = ACME.derive("acme-broken", _SwallowsNotFound)
    assert run_invariant(broken, REGISTRY["R04"]).status == "FAIL"
