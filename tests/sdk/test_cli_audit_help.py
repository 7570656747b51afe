"""``reposix audit verify`` hints match how the path was given; help texts read as plain text."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reposix._cli import cli


def _verify(*args: str, env: dict[str, str | None]) -> str:
    result = CliRunner().invoke(cli, ["audit", "verify", *args], env=env)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_missing_db_given_with_the_option_says_check_the_option(tmp_path: Path) -> None:
    out = _verify("--db", str(tmp_path / "nonexistent.db"), env={"REPOSIX_AUDIT_DB": None})
    assert "no audit database at" in out
    assert "check the --db path" in out
    assert "pass the path in REPOSIX_AUDIT_DB" not in out


def test_a_missing_db_from_the_env_var_names_the_env_var(tmp_path: Path) -> None:
    out = _verify(env={"REPOSIX_AUDIT_DB": str(tmp_path / "gone.db")})
    assert "REPOSIX_AUDIT_DB names this path" in out
    assert "check the --db path" not in out


def test_a_missing_default_db_suggests_both_ways_to_name_one(tmp_path: Path) -> None:
    out = _verify(env={"REPOSIX_AUDIT_DB": None, "XDG_STATE_HOME": str(tmp_path)})
    assert "pass --db or set REPOSIX_AUDIT_DB" in out


# `list` is left to its own help text (reworked on another branch).
OWN_COMMANDS = ["audit", "contract", "new-connector", "sim", "version"]


def test_top_level_help_shows_each_command_whole() -> None:
    out = CliRunner().invoke(cli, ["--help"], terminal_width=80).output
    rows = {
        line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and line.split()
    }
    for name in OWN_COMMANDS:
        assert name in rows, out
        assert "..." not in rows[name], rows[name]
        assert "…" not in rows[name], rows[name]
        assert rows[name].rstrip().endswith("."), rows[name]


@pytest.mark.parametrize(
    "args", [["contract", "--help"], ["new-connector", "--help"], ["audit", "verify", "--help"]]
)
def test_command_help_has_no_rst_markup(args: list[str]) -> None:
    out = CliRunner().invoke(cli, args).output
    assert "Usage:" in out
    assert "``" not in out
