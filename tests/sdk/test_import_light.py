"""``import reposix`` stays light: heavy parts load on first use."""

from __future__ import annotations

import subprocess
import sys


def test_import_reposix_does_not_load_heavy_modules() -> None:
    code = (
        "import sys, reposix\n"
        "heavy = [m for m in ('httpx', 'pydantic', 'starlette', 'uvicorn', 'yaml', 'rich',"
        " 'reposix.sim', 'reposix_contract', 'respx', 'hypothesis') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
        "assert reposix.Record.__name__ == 'Record'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


ENTRY_MODULES = [
    "reposix._runtime",
    "reposix._http",
    "reposix._backend",
    "reposix._pagination",
    "reposix._ratelimit",
    "reposix.sim",
    "reposix.sim._backend",
    "reposix._connector_base",
    "reposix._plugin",
    "reposix._cli",
    "reposix_contract._plugin",
]


def test_each_module_imports_first_in_a_fresh_interpreter() -> None:
    """No import cycle hides behind another module having been imported first."""
    code = (
        "import importlib, subprocess, sys\n"
        f"mods = {ENTRY_MODULES!r}\n"
        "procs = [subprocess.Popen([sys.executable, '-c', f'import {m}'],"
        " stderr=subprocess.PIPE, text=True) for m in mods]\n"
        "bad = [(m, p.communicate()[1].strip().splitlines()[-1:]) for m, p in zip(mods, procs)"
        " if p.wait() != 0]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
