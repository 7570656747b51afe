"""``reposix new-connector`` scaffolds from the packaged template and reports bad answers."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement

from reposix._cli import NEW_CONNECTOR_EXTRA_HINT, TEMPLATE_KEYS, cli, template_dir


def test_template_is_found() -> None:
    assert (template_dir() / "cookiecutter.json").is_file()


def test_scaffolds_a_project(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["new-connector", "widgets", "--output-dir", str(tmp_path), "--set", "author=Ada"]
    )
    assert result.exit_code == 0, result.output
    project = tmp_path / "reposix_widgets"
    assert (project / "pyproject.toml").is_file()
    assert "reposix_widgets" in (project / "pyproject.toml").read_text()
    assert "--reposix-connector widgets" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["github"], "connector_name 'github' is taken"),
        (["Acme"], "connector_name 'Acme': use a short lowercase tag"),
        (["Bad Name"], "connector_name 'Bad Name'"),
        (["theta", "--set", "credential_env_var=lower"], "e.g. THETA_TOKEN"),
        (["theta", "--set", "base_url=ftp://x"], "base_url 'ftp://x'"),
    ],
)
def test_a_bad_answer_is_one_usage_error_before_anything_is_written(
    tmp_path: Path, args: list[str], says: str
) -> None:
    result = CliRunner().invoke(cli, ["new-connector", *args, "--output-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert result.output.count("Error") == 1
    assert "Hook script failed" not in result.output
    assert "could not scaffold" not in result.output
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_an_existing_project_directory_is_a_usage_error_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "reposix_theta").mkdir()
    result = CliRunner().invoke(cli, ["new-connector", "theta", "--output-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.output.count("Error") == 1
    assert "reposix_theta already exists" in result.output
    assert "--output-dir" in result.output


def test_set_refuses_unknown_keys_and_lists_the_known_ones(tmp_path: Path) -> None:
    for bad in ("bogus=1", "credential_env=ACME_KEY"):
        result = CliRunner().invoke(
            cli, ["new-connector", "ok", "--set", bad, "--output-dir", str(tmp_path)]
        )
        assert result.exit_code == 2, result.output
        assert f"unknown key {bad.partition('=')[0]!r}" in result.output
        for key in TEMPLATE_KEYS:
            assert key in result.output
    assert not any(tmp_path.iterdir())
    bad_set = CliRunner().invoke(cli, ["new-connector", "ok", "--set", "novalue"])
    assert bad_set.exit_code == 2
    assert "KEY=VALUE" in bad_set.output


def test_the_connector_name_is_the_argument_not_a_set_key(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["new-connector", "iota", "--set", "connector_name=kappa", "--output-dir", str(tmp_path)],
    )
    assert result.exit_code == 2, result.output
    assert "reposix new-connector kappa" in result.output
    assert not any(tmp_path.iterdir())


def test_help_lists_the_set_keys_and_they_match_the_template() -> None:
    answers = json.loads((template_dir() / "cookiecutter.json").read_text())
    public = {k for k in answers if not k.startswith("_")} - {"connector_name"}
    assert set(TEMPLATE_KEYS) == public
    text = " ".join(CliRunner().invoke(cli, ["new-connector", "--help"]).output.split())
    for key in TEMPLATE_KEYS:
        assert key in text
    assert "``" not in text


def test_the_next_line_names_the_registered_connector(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "new-connector",
            "kappa",
            "--set",
            "package_name=acme_kappa",
            "--output-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    pyproject = (tmp_path / "acme_kappa" / "pyproject.toml").read_text()
    assert 'kappa = "acme_kappa:plugin"' in pyproject
    assert f"next: cd {tmp_path / 'acme_kappa'} " in result.output
    assert result.output.rstrip().endswith("--reposix-connector kappa")


def test_without_cookiecutter_it_names_the_extra_and_exits_2() -> None:
    code = (
        "import sys\nsys.modules['cookiecutter'] = None\nfrom reposix._cli import main\n"
        "main(['new-connector', 'acme'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [NEW_CONNECTOR_EXTRA_HINT]
    assert "pip install 'reposix-sdk[contract]'" in NEW_CONNECTOR_EXTRA_HINT
    requirements = [Requirement(r) for r in distribution("reposix-sdk").requires or []]
    assert any(
        r.name == "cookiecutter"
        and r.marker is not None
        and r.marker.evaluate({"extra": "contract"})
        for r in requirements
    )
