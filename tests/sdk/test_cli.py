"""The ``reposix`` CLI with click's CliRunner (``list`` talks to a simulator on loopback)."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reposix._cli import LAZY_COMMANDS, LazyGroup, cli
from reposix._version import __version__
from reposix.sim._app import create_app
from reposix.sim._seed import DEMO_SEED
from reposix.sim._server import running


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running(create_app()) as url:
        yield url


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPOSIX_AUDIT_DB", ":memory:")
    monkeypatch.delenv("REPOSIX_SIM_TOKEN", raising=False)
    monkeypatch.delenv("REPOSIX_ALLOWED_ORIGINS", raising=False)


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version() -> None:
    result = run("version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"reposix {__version__}"
    assert run("--version").stdout.strip().endswith(__version__)


def test_help_lists_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name in ("list", "sim", "version"):
        assert f"  {name}" in result.stdout


def test_contract_is_registered_lazily() -> None:
    assert LAZY_COMMANDS["contract"][0] == "reposix_contract._cli:contract"


def test_list_table(sim_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = run("list", "--url", sim_url, "--page-size", "3")
    assert result.exit_code == 0, result.output
    assert "database connection drops" in result.stdout
    assert "agent-alpha" in result.stdout
    assert "8 records" in result.stderr


def test_list_piped_keeps_every_row_whole(sim_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Piped (not a terminal, COLUMNS unset): rich would assume 80 columns and cut
    # "in_progress" to "in_…" and wrap titles; piped rows are whole, one line each.
    monkeypatch.delenv("COLUMNS", raising=False)
    result = run("list", "--url", sim_url, "--page-size", "3")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 8  # the demo seed's records
    assert any("in_progress" in row and "add --no-color flag to the CLI" in row for row in rows)
    assert "…" not in result.stdout
    assert all(line == line.rstrip() for line in result.stdout.splitlines())


def test_list_on_a_narrow_terminal_never_cuts_status_or_date(
    sim_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from rich.cells import cell_len
    from rich.console import Console

    import reposix._cli_ops

    buffer = io.StringIO()
    terminal = Console(file=buffer, width=80, force_terminal=True, color_system=None)
    monkeypatch.setattr(reposix._cli_ops, "output_console", lambda **_: terminal)
    result = run("list", "--url", sim_url, "--page-size", "3")
    assert result.exit_code == 0, result.output
    text = buffer.getvalue()
    assert max(map(cell_len, text.splitlines())) <= 80
    for status in ("in_progress", "in_review", "wont_fix"):
        assert status in text
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)
    assert "…" not in text


def test_list_json(sim_url: str) -> None:
    result = run("list", "--url", sim_url, "--project", "demo", "--json")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == list(range(1, 9))
    assert run("list", "--url", sim_url, "--project", "empty", "--json").stdout == ""


def test_typed_errors_print_without_traceback(sim_url: str) -> None:
    result = run("list", "--url", sim_url, "--project", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("not found: ")
    assert "Traceback" not in result.output
    result = run("list", "--connector", "nosuch")
    assert result.exit_code == 1
    assert "no connector named 'nosuch'" in result.stderr
    result = run("list", "--url", "https://example.com")
    assert result.exit_code == 4  # documented: egress denied
    assert result.stderr.startswith("egress denied: ")


def test_sim_print_seed() -> None:
    result = run("sim", "--print-seed")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == DEMO_SEED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "/nonexistent/seed.json"], "cannot read seed file"),
        (["--seed", "x.json", "--no-seed"], "contradict"),
        (["--fail", "500,explode"], "unknown schedule entries"),
        (["--page-size", "200"], "exceeds --max-page-size"),
    ],
)
def test_sim_config_errors(args: list[str], message: str) -> None:
    result = run("sim", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.startswith("config error: ")


def test_sim_port_in_use() -> None:
    with running(create_app()) as url:
        port = url.rsplit(":", 1)[1]
        result = run("sim", "--port", port)
    assert result.exit_code == 1
    assert "cannot listen on 127.0.0.1:" in result.stderr


# -- the lazy group ------------------------------------------------------------------------------


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "lazy_ok.py").write_text(
        textwrap.dedent(
            """
            import click

            @click.command()
            def hello():
                '''Say hello.'''
                click.echo("hello from a lazy command")
            """
        )
    )
    (tmp_path / "lazy_broken.py").write_text("import not_a_real_module_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazy_ok", "lazy_broken"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return tmp_path


def make_group() -> click.Group:
    @click.group(
        cls=LazyGroup,
        lazy={
            "hello": ("lazy_ok:hello", "Say hello (static help)."),
            "broken": ("lazy_broken:cmd", "Broken on import."),
            "missing": ("no_such_module_xyz.cli:cmd", "Not installed."),
        },
    )
    def group() -> None:
        """A test group."""

    return group


def test_lazy_help_does_not_import(plugin_dir: Path) -> None:
    result = CliRunner().invoke(make_group(), ["--help"])
    assert result.exit_code == 0
    assert "Say hello (static help)." in result.stdout
    assert "missing" not in result.stdout, "an absent module hides its command"
    assert "lazy_ok" not in sys.modules


def test_lazy_command_runs(plugin_dir: Path) -> None:
    result = CliRunner().invoke(make_group(), ["hello"])
    assert result.exit_code == 0
    assert result.stdout == "hello from a lazy command\n"


def test_lazy_broken_and_missing(plugin_dir: Path) -> None:
    broken = CliRunner().invoke(make_group(), ["broken"])
    assert broken.exit_code == 1
    assert "unavailable" in broken.stderr
    assert "not_a_real_module_xyz" in broken.stderr
    missing = CliRunner().invoke(make_group(), ["missing"])
    assert missing.exit_code == 2
    assert "No such command" in missing.stderr
