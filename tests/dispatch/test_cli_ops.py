"""``reposix doctor``, ``list``/``get`` by URL or spec, ``sync``; exit codes; ``--debug``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reposix._cli import EXIT_CODES, cli
from reposix.sim._app import SimApp, create_app
from reposix.sim._faults import Faults
from reposix.sim._server import running


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REPOSIX_AUDIT_DB", str(tmp_path / "audit.db"))
    monkeypatch.setenv("REPOSIX_SYNC_STATE", str(tmp_path / "sync.db"))
    for var in (
        "REPOSIX_SIM_TOKEN",
        "REPOSIX_ALLOWED_ORIGINS",
        "GITHUB_TOKEN",
        "JIRA_EMAIL",
        "JIRA_API_TOKEN",
        "REPOSIX_JIRA_INSTANCE",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def app() -> SimApp:
    sim = create_app()
    for project in ("mirror-a", "mirror-b"):
        sim.store.add_project(project)
    return sim


@pytest.fixture
def url(app: SimApp) -> Iterator[str]:
    with running(app) as base:
        yield base


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    "command",
    [
        "doctor",
        "get",
        "list",
        "sync",
        "sim",
        "version",
        "new-connector",
        "audit",
        "audit verify",
        "contract",
    ],
)
def test_every_command_has_help_with_examples(command: str) -> None:
    result = run(*command.split(), "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert (
        "Exit status: 0 ok, 1 failure, 2 usage error, 3 missing credentials, 4 egress"
        in run("--help").stdout
    )


def test_exit_codes_are_the_documented_ones() -> None:
    assert EXIT_CODES == {
        0: "ok",
        1: "failure",
        2: "usage error",
        3: "missing credentials",
        4: "egress denied",
    }
    assert run("sync").exit_code == 2  # no --from: usage
    assert run("get", "sim::demo", "zero").exit_code == 2


def test_missing_credentials_exit_3_with_one_line_per_variable() -> None:
    result = run("list", "github::octo/hello")
    assert result.exit_code == 3
    assert "\n    GITHUB_TOKEN" in result.stderr
    assert "Traceback" not in result.output


def test_egress_denied_exits_4(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_x")
    result = run("get", "github::octo/hello", "1")
    assert result.exit_code == 4, result.output
    assert "egress denied" in result.stderr
    assert "Traceback" not in result.output


def test_bad_url_is_one_paragraph_and_debug_adds_the_traceback() -> None:
    result = run("list", "https://u:pw@tracker.evil.example/projects/a")
    assert result.exit_code == 1
    assert result.stderr.startswith("bad remote url:")
    assert "pw" not in result.stderr.replace("https://", "")
    assert "\n\n" not in result.stderr.strip()
    assert "Traceback" not in result.stderr
    debug = run("--debug", "list", "https://tracker.evil.example/projects/a")
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr


def test_doctor_lists_connectors_forms_credentials_allowlist_and_audit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret_value")
    result = run("doctor")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in (
        "https://api.github.com/projects/{owner}/{repo}",
        "http://{loopback}:{port}/projects/{project}",
        "GITHUB_TOKEN: set",
        "JIRA_API_TOKEN: not set",
        "delete=close",
        "allowlist (default: loopback only)",
        "audit log:",
    ):
        assert text in out, text
    assert "ghp_secret_value" not in out
    assert all(line == line.rstrip() for line in out.splitlines()), "no trailing blanks"


def test_piped_tables_keep_each_row_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    out = run("doctor").stdout
    github = next(line for line in out.splitlines() if line.strip().startswith("github"))
    assert "https://api.github.com/projects/{owner}/{repo}" in github, "never wrapped mid-word"


def test_list_and_get_by_url_and_spec(url: str, app: SimApp) -> None:
    first = app.store.list("demo")[0]
    listed = run("list", f"reposix::{url}/projects/demo", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout.splitlines()[0])["id"] == first.id
    got = run("get", f"{url}/projects/demo", str(first.id))
    assert got.exit_code == 0, got.output
    assert got.stdout.startswith("---\n")
    assert f"title: {first.title}" in got.stdout
    as_json = run("get", f"{url}/projects/demo", str(first.id), "--json")
    assert json.loads(as_json.stdout)["title"] == first.title


def test_sync_cli_dry_run_then_real_then_idempotent(url: str, app: SimApp, tmp_path: Path) -> None:
    state = str(tmp_path / "s.db")
    args = [
        "sync",
        "--from",
        f"{url}/projects/demo",
        "--to",
        f"{url}/projects/mirror-a",
        "--to",
        f"{url}/projects/mirror-b",
        "--state",
        state,
    ]
    n = len(app.store.list("demo"))
    plan = run(*args, "--dry-run")
    assert plan.exit_code == 0, plan.output
    planned = [line.split() for line in plan.stdout.splitlines()]
    assert "plan (dry run)" in plan.stdout
    assert sum(1 for words in planned if words[1:2] == ["create"]) == 2 * n
    assert "not carried" not in plan.stdout, "a parent created in the same run is carried"
    assert app.store.list("mirror-a") == []
    done = run(*args)
    assert done.exit_code == 0, done.output
    assert done.stdout.count(f"create {n}") == 2
    again = run(*args)
    assert again.stdout.count(f"unchanged {n}") == 2
    assert "create" not in again.stdout
    assert len(app.store.list("mirror-b")) == n


def test_sync_dry_run_to_a_missing_project_fails_without_an_empty_plan(url: str) -> None:
    result = run(
        "sync",
        "--from",
        f"{url}/projects/demo",
        "--to",
        f"{url}/projects/no-such-mirror",
        "--dry-run",
    )
    assert result.exit_code == 1
    assert "plan (dry run)" not in result.stdout  # nothing would be done: no empty table
    assert "failed" in result.stdout
    assert "project 'no-such-mirror'" in result.stderr


def test_sync_one_target_failing_exits_1_and_reports_each(
    url: str, app: SimApp, tmp_path: Path
) -> None:
    result = run(
        "sync",
        "--from",
        f"{url}/projects/demo",
        "--to",
        f"{url}/projects/mirror-a",
        "--to",
        f"{url}/projects/no-such-project",
        "--state",
        str(tmp_path / "s.db"),
    )
    assert result.exit_code == 1
    assert "ok" in result.stdout
    assert "failed" in result.stdout
    assert len(app.store.list("mirror-a")) == len(app.store.list("demo"))


def test_sync_killed_process_resumes_without_duplicates(tmp_path: Path) -> None:
    """A real SIGKILL of ``reposix sync`` mid-run; the second run adds no duplicate."""
    sim = create_app(faults=Faults(latency=0.15))
    sim.store.add_project("mirror")
    state = str(tmp_path / "s.db")
    with running(sim) as base:
        args = [
            sys.executable,
            "-m",
            "reposix._cli",
            "sync",
            "--from",
            f"{base}/projects/demo",
            "--to",
            f"{base}/projects/mirror",
            "--state",
            state,
        ]
        env = {**os.environ, "REPOSIX_AUDIT_DB": ":memory:"}
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(sim.store.list("mirror")) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.kill()
        proc.wait(10)
        partial = len(sim.store.list("mirror"))
        total = len(sim.store.list("demo"))
        assert 3 <= partial < total, "killed mid-way"
        sim.faults.latency = 0.0
        resumed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        titles = sorted(r.title for r in sim.store.list("mirror"))
        assert titles == sorted(r.title for r in sim.store.list("demo")), "no duplicates"


def test_sync_config_adds_every_enabled_integration(url: str, app: SimApp, tmp_path: Path) -> None:
    port = url.rsplit(":", 1)[1]
    config = tmp_path / "integrations.toml"
    config.write_text(
        f"""
[integrations.a]
connector = "sim"
project = "mirror-a"
enabled = true
url = "http://127.0.0.1:{port}/projects/mirror-a"

[integrations.b]
connector = "sim"
project = "mirror-b"
url = "http://127.0.0.1:{port}/projects/mirror-b"
""",
        encoding="utf-8",
    )
    result = run("sync", "--from", f"{url}/projects/demo", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert len(app.store.list("mirror-a")) == len(app.store.list("demo"))
    assert app.store.list("mirror-b") == [], "a disabled integration is not a target"
