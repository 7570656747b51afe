"""Using the kit: wrong names are usage errors (exit 2), the matrix is a real table, and a
failure names its rule and the minimal failing example."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from reposix_contract._cli import KIT_EXTRA, contract
from reposix_contract._registry import REGISTRY, invariants
from reposix_contract._report import Matrix
from reposix_contract._runner import Outcome, describe_failure
from reposix_contract._targets import registered_names


def _run(*args: str) -> Any:
    return CliRunner().invoke(contract, list(args))


def test_an_unknown_connector_is_one_usage_error_listing_the_known_ones() -> None:
    result = _run("--connector", "nosuch")
    assert result.exit_code == 2, result.output
    assert "unknown connector 'nosuch'" in result.output
    for name in registered_names():
        assert name in result.output
    assert "nothing ran" not in result.output


def test_a_miscased_connector_is_refused_with_a_suggestion() -> None:
    result = _run("--connector", "GitHub")
    assert result.exit_code == 2, result.output
    assert "did you mean 'github'" in result.output


def test_an_unknown_invariant_is_a_usage_error() -> None:
    result = _run("--invariant", "R99")
    assert result.exit_code == 2, result.output
    assert "unknown invariant 'R99'" in result.output
    assert "R01" in result.output


def test_without_the_kits_extra_it_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "respx" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    result = _run("--invariant", "R09")
    assert result.exit_code == 2
    assert f"pip install '{KIT_EXTRA}'" in result.output
    assert "respx" in result.output


def test_a_selected_run_prints_names_next_to_ids() -> None:
    result = _run("--connector", "sim", "--invariant", "R09")
    assert result.exit_code == 0, result.output
    assert "R09" in result.output
    assert REGISTRY["R09"].name in result.output
    assert "sim (control): ok" in result.output


def _matrix() -> Matrix:
    suite = invariants()[:2]
    matrix = Matrix()
    matrix.add(suite[0], Outcome("pass", "", suite[0].id, "acme"))
    matrix.add(suite[1], Outcome("FAIL", "lost a record", suite[1].id, "acme"))
    return matrix


def test_the_matrix_colours_fail_only_on_a_terminal() -> None:
    matrix = _matrix()
    plain = matrix.render_text()
    coloured = matrix.render_text(color=True)
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    assert "FAIL" in plain
    first = invariants()[0]
    line = next(row for row in plain.splitlines() if row.strip().startswith(first.id))
    assert first.name in line


def test_a_failure_shows_the_minimal_failing_example() -> None:
    @settings(max_examples=50, database=None, derandomize=True)
    @given(st.integers(0, 1000))
    def prop(value: int) -> None:
        assert value < 17, f"{value} is too big"

    with pytest.raises(AssertionError, match="too big") as info:
        prop()
    text = describe_failure(info.value)
    assert "minimal failing example" in text
    assert "value=17" in text
