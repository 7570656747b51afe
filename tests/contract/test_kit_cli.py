"""Using the kit: wrong names are usage errors (exit 2), the matrix is a real table, and a
failure names its rule and the minimal failing example."""

from __future__ import annotations

import importlib.util
import io
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from reposix_contract._cli import KIT_EXTRA, contract
from reposix_contract._preflight import report_path_problems
from reposix_contract._registry import REGISTRY, invariants
from reposix_contract._report import Matrix
from reposix_contract._runner import Outcome, describe_failure
from reposix_contract._targets import load_targets, registered_names


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


def test_a_piped_matrix_cuts_no_column(capsys: pytest.CaptureFixture[str]) -> None:
    # Off a terminal rich assumes 80 columns: eight targets came out as "ji…" and "pa…",
    # and the invariant names were dropped. Piped, every header and cell is whole.
    suite = invariants()[:3]
    targets = [f"connector-number-{n}" for n in range(8)]
    matrix = Matrix()
    for inv in suite:
        for target in targets:
            matrix.add(inv, Outcome("pass", "", inv.id, target))
    matrix.print()
    out = capsys.readouterr().out
    assert "…" not in out
    header = out.splitlines()[0]
    assert all(target in header for target in targets)
    for inv in suite:
        row = next(line for line in out.splitlines() if line.startswith(inv.id))
        assert inv.name in row
        assert row.count("pass") == len(targets)


def test_a_matrix_on_an_80_column_terminal_drops_no_column_and_cuts_no_verdict() -> None:
    # On an 80-column terminal the eight targets squeezed the name column out and cut
    # headers to "ji…". Now the names wrap and the targets come in chunks that fit.
    suite = invariants()
    targets = [*(f"connector-{n}" for n in range(7)), "sim"]
    matrix = Matrix()
    for inv in suite:
        for n, target in enumerate(targets):
            outcome = Outcome("FAIL" if n == 3 else "pass", "x", inv.id, target)
            matrix.add(inv, outcome, control=target == "sim")
    buffer = io.StringIO()
    matrix.print(Console(file=buffer, width=80, force_terminal=True, no_color=True))
    out = buffer.getvalue()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "…" not in plain
    assert all(len(line) <= 80 for line in plain.splitlines())
    assert "targets 1/" in plain  # it did not fit as one table: chunked
    headers = [line for line in plain.splitlines() if line.startswith("invariant")]
    assert len(headers) > 1
    shown = " ".join(headers)
    assert all(target in shown for target in targets[:-1])
    assert "sim (control)" in shown
    for inv in suite:
        rows = [line for line in plain.splitlines() if line.startswith(inv.id + " ")]
        assert len(rows) == len(headers)  # the id column is in every chunk
        verdicts = [v for row in rows for v in re.findall(r"\b(pass|FAIL)\b", row)]
        assert sorted(verdicts) == ["FAIL"] + ["pass"] * (len(targets) - 1)
    words = set(plain.split())
    assert all(word in words for inv in suite for word in inv.name.split())


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


@pytest.mark.parametrize("where", ["dir", "under-file", "trailing-slash"])
def test_a_bad_report_path_is_one_usage_error_before_anything_runs(
    tmp_path: Path, where: str
) -> None:
    (tmp_path / "file").write_text("x")
    path = {
        "dir": str(tmp_path),
        "under-file": str(tmp_path / "file" / "matrix.json"),
        "trailing-slash": str(tmp_path / "new") + "/",
    }[where]
    result = _run("--connector", "sim", "--invariant", "R09", "--report", path)
    assert result.exit_code == 2, result.output
    assert "--report" in result.output
    assert path.rstrip("/") in result.output
    assert "Traceback" not in result.output
    assert "sim " not in result.output  # nothing ran: no progress line
    assert not (tmp_path / "new").exists()


def test_report_path_problems_accepts_new_files_in_new_directories(tmp_path: Path) -> None:
    assert report_path_problems([tmp_path / "a" / "b" / "m.md", tmp_path / "m.json"]) == []
    (tmp_path / "f").write_text("")
    assert len(report_path_problems([tmp_path, tmp_path / "f" / "m.md", ""])) == 3


def test_one_connector_runs_beside_the_sim_control() -> None:
    assert [t.name for t in load_targets(["github"])] == ["sim", "github"]
    assert [t.name for t in load_targets(["github", "sim"])] == ["sim", "github"]
    result = _run("--connector", "github", "--invariant", "R09")
    assert result.exit_code == 0, result.output
    assert "sim (control): ok" in result.output
    assert "github: ok" in result.output


def test_help_is_plain_text_without_rst_markup() -> None:
    text = " ".join(_run("--help").output.split())
    assert "``" not in text
    assert "sim control always runs beside" in text
