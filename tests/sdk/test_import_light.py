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
