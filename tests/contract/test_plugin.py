"""The pytest plugin: silent without the flag; with it, real items, a matrix and reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    env = {**os.environ, "REPOSIX_AUDIT_DB": ":memory:"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_without_the_flag_the_plugin_adds_nothing(tmp_path: Path) -> None:
    result = _pytest(tmp_path, "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "conformance matrix" not in result.stdout


@pytest.mark.slow
def test_the_flag_collects_items_prints_the_matrix_and_writes_reports(tmp_path: Path) -> None:
    result = _pytest(
        tmp_path,
        "-v",
        "--reposix-contract",
        "--reposix-connector",
        "sim",
        "-k",
        "sim-R09 or sim-R12 or sim-W07 or plain",
        "--reposix-report",
        "out/matrix.json",
        "--reposix-report",
        "out/matrix.md",
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "invariant[sim-R09] PASSED" in out
    assert "test_plain.py::test_plain PASSED" in out
    assert "reposix conformance matrix" in out
    assert "sim (control): ok" in out
    data = json.loads((tmp_path / "out/matrix.json").read_text())
    assert data["results"]["sim"]["R09"]["status"] == "pass"
    assert set(data["results"]["sim"]) == {"R09", "R12", "W07"}
    assert "| R12 |" in (tmp_path / "out/matrix.md").read_text()


@pytest.mark.slow
def test_an_unloadable_connector_fails_clearly_without_crashing_collection(tmp_path: Path) -> None:
    result = _pytest(
        tmp_path, "-q", "--reposix-contract", "--reposix-connector", "nosuch", "-k", "R01"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "invariant[nosuch-R01]" in result.stdout
    assert "no connector named 'nosuch'" in result.stdout


def test_a_bad_report_path_is_a_usage_error_at_configure_time(tmp_path: Path) -> None:
    result = _pytest(tmp_path, "-q", "--reposix-contract", "--reposix-report", str(tmp_path))
    assert result.returncode == 4, result.stdout + result.stderr  # pytest's usage error
    assert "--reposix-report" in result.stderr
    assert "is a directory" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "passed" not in result.stdout  # stopped before anything ran


@pytest.mark.parametrize("module", ["hypothesis", "rich"])
def test_without_the_kits_extra_the_flag_is_one_usage_error(tmp_path: Path, module: str) -> None:
    # sys.modules[name] = None makes the module unimportable, as if it were not installed;
    # plugins are loaded by hand (hypothesis' own plugin would not be installed either).
    code = (
        f"import sys\nsys.modules[{module!r}] = None\nimport pytest\n"
        "raise SystemExit(pytest.main(['-q', '-p', 'no:cacheprovider', '-p', "
        "'reposix_contract._plugin', '--reposix-contract']))\n"
    )
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert "pip install 'reposix-sdk[contract]'" in result.stderr
    assert module in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "No module named" not in result.stdout + result.stderr


def test_the_plugin_module_imports_no_heavy_dependency() -> None:
    code = (
        "import sys, reposix_contract._plugin\n"
        "heavy = {'hypothesis', 'rich', 'respx', 'starlette', 'graphql', 'click'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_one_selected_connector_runs_beside_the_sim_control(tmp_path: Path) -> None:
    """docs/connectors/new.md §4 and the template's README promise the control's column."""
    result = _pytest(
        tmp_path, "-v", "--reposix-contract", "--reposix-connector", "github", "-k", "R09"
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "invariant[sim-R09] PASSED" in out
    assert "invariant[github-R09] PASSED" in out
    assert "sim (control): ok" in out
    root = Path(__file__).resolve().parents[2]
    assert "for the simulator (the control) and your connector" in " ".join(
        (root / "docs/connectors/new.md").read_text().split()
    )
    readme = root / "templates/connector/{{cookiecutter.package_name}}/README.md"
    assert "next to the simulator" in " ".join(readme.read_text().split())
