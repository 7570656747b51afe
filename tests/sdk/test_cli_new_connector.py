"""``reposix new-connector`` scaffolds from the packaged template and reports bad answers."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reposix._cli import cli, template_dir


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


def test_bad_answers_fail_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new-connector", "Bad Name", "--output-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "could not scaffold" in result.output
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())
    bad_set = CliRunner().invoke(cli, ["new-connector", "ok", "--set", "novalue"])
    assert bad_set.exit_code == 2
    assert "KEY=VALUE" in bad_set.output
