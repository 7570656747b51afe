"""Lean installs: the CLI and the simulator's server are extras, and say so when missing."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import distribution

from packaging.requirements import Requirement

EXTRA_ONLY = {"click", "rich", "starlette", "uvicorn", "pytest", "respx", "hypothesis"}


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_the_command_without_the_cli_extra_names_the_extra_and_exits_2() -> None:
    # sys.modules[name] = None makes the module unimportable, as if it were not installed.
    out = _run("import sys\nsys.modules['click'] = None\nfrom reposix._main import main\nmain()\n")
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.splitlines() == [
        "reposix: the command line needs the [cli] extra: pip install 'reposix-sdk[cli]'"
    ]


def test_reposix_sim_without_the_sim_extra_names_the_extra_and_exits_2() -> None:
    out = _run(
        "import sys\nsys.modules['uvicorn'] = None\nfrom reposix._cli import main\nmain(['sim'])\n"
    )
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "reposix sim: the simulator needs the [sim] extra: pip install 'reposix-sdk[sim]'"
    ]


def test_the_entry_module_imports_nothing_heavy() -> None:
    out = _run(
        "import sys, reposix._main\n"
        "print(sorted(m for m in ('click', 'rich', 'httpx', 'pydantic') if m in sys.modules))\n"
    )
    assert out.stdout.strip() == "[]", out.stderr


def test_the_console_script_points_at_the_light_entry_module() -> None:
    scripts = {
        ep.name: ep.value
        for ep in distribution("reposix-sdk").entry_points
        if ep.group == "console_scripts"
    }
    assert scripts["reposix"] == "reposix._main:main"


def test_a_bare_install_requires_no_cli_server_or_kit_packages() -> None:
    requirements = [Requirement(r) for r in distribution("reposix-sdk").requires or []]
    base = {r.name for r in requirements if r.marker is None}
    assert base, "no base requirements read: the check below would be vacuous"
    assert not base & EXTRA_ONLY, f"bare install pulls in {sorted(base & EXTRA_ONLY)}"
    by_extra = {
        r.name
        for r in requirements
        if r.marker is not None and r.marker.evaluate({"extra": "contract"})
    }
    assert {"pytest", "respx", "hypothesis"} <= by_extra
