"""The connector template renders a project that installs, lints, type-checks and passes
the whole conformance suite out of the box (authors start green, then adapt both sides)."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from reposix._plugin import ENTRY_POINT_GROUP, ConnectorPlugin, load_object
from reposix_contract._registry import invariants
from reposix_contract._report import Matrix
from reposix_contract._runner import run_invariant
from reposix_contract._targets import from_plugin

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "connector"

# Not the defaults on purpose: a multi-word name, a base URL with a path prefix and a
# credential variable whose name the kit cannot guess is secret (the fake declares it).
CONTEXT = {
    "connector_name": "widgets_hub",
    "connector_title": "Widgets Hub",
    "base_url": "https://tracker.widgets.example/v2",
    "credential_env_var": "WIDGETS_HUB_CREDENTIAL",
    "author": "Ada Example",
}
PACKAGE = "reposix_widgets_hub"
CLASS = "WidgetsHub"

EXPECTED_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    f"src/{PACKAGE}/__init__.py",
    f"src/{PACKAGE}/connector.py",
    f"src/{PACKAGE}/fake.py",
    f"src/{PACKAGE}/py.typed",
    f"src/{PACKAGE}/wire.py",
    "tests/conftest.py",
    "tests/test_connector.py",
    "tests/test_live.py",
}

DECLARED_AWAY: frozenset[str] = frozenset({"R20"})
"""Invariants the template's connector honestly declares away: only R20, search, an
optional capability it does not implement (R20's declaration check still proves
``search_records`` raises NotSupported without I/O). It supports every other capability the
kit knows: create, update, DeleteModel.DELETE, STRONG versioning, hierarchy, incremental."""


def render(output_dir: Path, **context: str) -> Path:
    """Render the template non-interactively; the generated project's directory."""
    return Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context=context, output_dir=str(output_dir)
        )
    )


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a tool of this interpreter's environment in ``cwd``; fail with its output."""
    merged = {**os.environ, **env}
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=merged, check=False
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template rendered once for this module."""
    return render(tmp_path_factory.mktemp("connector-template"), **CONTEXT)


@pytest.fixture(scope="module")
def package(project: Path) -> Iterator[ModuleType]:
    """The generated package, imported from its ``src`` directory (removed afterwards)."""
    src = str(project / "src")
    sys.path.insert(0, src)
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(src)
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_renders_a_complete_project(project: Path) -> None:
    files = {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}
    assert files == EXPECTED_FILES
    for name in files:
        text = (project / name).read_text(encoding="utf-8")
        leftover = re.findall(r"\{\{|\{%|cookiecutter\.", text)
        assert not leftover, f"{name} still holds template syntax: {leftover}"
    connector = (project / "src" / PACKAGE / "connector.py").read_text(encoding="utf-8")
    assert f"class {CLASS}Connector(HttpConnector):" in connector
    assert "TODO(connector author):" in connector
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "pip install -e '.[dev]'" in readme
    assert "pytest --reposix-contract --reposix-connector widgets_hub" in readme


def test_pyproject_registers_the_plugin(project: Path, package: ModuleType) -> None:
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["build-system"]["build-backend"] == "hatchling.build"
    assert meta["project"]["name"] == "reposix-widgets-hub"
    assert any(d.startswith("reposix-sdk") for d in meta["project"]["dependencies"])
    assert {"contract", "dev"} <= set(meta["project"]["optional-dependencies"])
    entry = meta["project"]["entry-points"][ENTRY_POINT_GROUP]
    assert entry == {"widgets_hub": f"{PACKAGE}:plugin"}
    banned = meta["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-api"]
    assert {"httpx.Client", "httpx.AsyncClient", "requests"} <= set(banned)
    assert meta["tool"]["mypy"]["strict"] is True

    plugin = load_object(entry["widgets_hub"])
    assert isinstance(plugin, ConnectorPlugin)
    assert plugin is package.plugin
    assert plugin.name == "widgets_hub"
    assert plugin.env_vars == ("WIDGETS_HUB_CREDENTIAL",)
    assert plugin.default_base_url == "https://tracker.widgets.example/v2"
    assert plugin.load_fake().__name__ == f"{CLASS}Fake"


def test_wheel_is_installable(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # hatchling is the generated project's build backend; pip installs it only in an
    # isolated build env, so a dev venv may lack it.
    hatchling = pytest.importorskip("hatchling.build", reason="hatchling is not installed")
    build_wheel: Any = hatchling.build_wheel
    monkeypatch.chdir(project)
    wheel = tmp_path / build_wheel(str(tmp_path))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(entry_points).decode()
    for module in ("__init__.py", "connector.py", "wire.py", "fake.py", "py.typed"):
        assert f"{PACKAGE}/{module}" in names
    assert f"[{ENTRY_POINT_GROUP}]\nwidgets_hub = {PACKAGE}:plugin" in text


def test_defaults_render_and_lint(tmp_path: Path) -> None:
    generated = render(tmp_path)
    assert generated.name == "reposix_acme"
    init = (generated / "src" / "reposix_acme" / "__init__.py").read_text(encoding="utf-8")
    assert 'ENV_VAR = "ACME_TOKEN"' in init
    assert 'DEFAULT_BASE_URL = "https://tracker.acme.example"' in init
    assert "AcmeConnector" in init
    run(["-m", "ruff", "check", "--no-cache", "."], generated)
    run(["-m", "ruff", "format", "--check", "--no-cache", "."], generated)


def test_longest_answers_still_lint(tmp_path: Path) -> None:
    """Names and titles at their allowed maximum keep every line within the line length."""
    generated = render(
        tmp_path,
        connector_name="a" * 10 + "_" + "b" * 10 + "_" + "c" * 10,
        connector_title="T" * 40,
        base_url="http://127.0.0.1:8080/api/v2",
    )
    run(["-m", "ruff", "check", "--no-cache", "."], generated)
    run(["-m", "ruff", "format", "--check", "--no-cache", "."], generated)


@pytest.mark.parametrize(
    ("answers", "complaint"),
    [
        ({"connector_name": "Acme Tracker"}, "connector_name"),
        ({"connector_name": "sim"}, "taken"),
        ({"connector_title": 'The "Best" Tracker'}, "connector_title"),
        ({"base_url": "ftp://tracker.example"}, "base_url"),
        ({"credential_env_var": "acme-token"}, "credential_env_var"),
        ({"package_name": "reposix-acme"}, "package_name"),
    ],
)
def test_bad_answers_are_refused(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], answers: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(FailedHookException):
        render(tmp_path, **answers)
    assert complaint in capfd.readouterr().err
    assert not any(tmp_path.iterdir()), "a refused answer must not leave a project behind"


def test_ruff_clean(project: Path) -> None:
    run(["-m", "ruff", "check", "--no-cache", "."], project)
    run(["-m", "ruff", "format", "--check", "--no-cache", "."], project)


@pytest.mark.slow
def test_mypy_strict(project: Path, tmp_path: Path) -> None:
    run(
        ["-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "mypy"), "src", "tests"],
        project,
    )


def test_generated_unit_tests_pass(project: Path) -> None:
    run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider"],
        project,
        PYTHONPATH=str(project / "src"),
    )


def test_passes_the_whole_conformance_suite(package: ModuleType) -> None:
    target = from_plugin(package.plugin)
    matrix = Matrix()
    suite = invariants()
    for invariant in suite:
        matrix.add(invariant, run_invariant(target, invariant))
    failures = [
        f"{o.invariant}: {o.detail}" for o in matrix.outcomes.values() if o.status == "FAIL"
    ]
    assert not failures, "the generated connector fails the kit:\n" + "\n".join(failures)
    declared = {o.invariant for o in matrix.outcomes.values() if o.status == "n/a"}
    assert declared == DECLARED_AWAY, f"declared away: {sorted(declared)}"
    coverage = matrix.coverage(target.name)
    expected = (len(suite) - len(DECLARED_AWAY), len(suite))
    assert (coverage.passed, coverage.total) == expected, coverage.describe()
