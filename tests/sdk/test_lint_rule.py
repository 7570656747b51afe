"""ruff's banned-api rule (TID251) keeps raw httpx clients out of everything but _transport.py."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRANSPORT = "sdk/reposix/_http/_transport.py"

OFFENDER = """\
import httpx


async def leak() -> None:
    async with httpx.AsyncClient() as raw:
        await raw.get("https://evil.example/")
    httpx.get("https://evil.example/")
    httpx.Client()
    httpx.post("https://evil.example/", json={})
"""


def _ruff(source: str, as_path: str) -> list[dict[str, object]]:
    """Lint ``source`` as if it lived at ``as_path`` in the repo, without writing it there."""
    ruff = Path(sys.executable).parent / "ruff"
    command = [str(ruff)] if ruff.exists() else [sys.executable, "-m", "ruff"]
    result = subprocess.run(
        [
            *command,
            "check",
            "--no-cache",
            "--config",
            str(ROOT / "pyproject.toml"),
            "--select",
            "TID251",
            "--output-format",
            "json",
            "--stdin-filename",
            as_path,
            "-",
        ],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    found: list[dict[str, object]] = json.loads(result.stdout or "[]")
    return found


@pytest.mark.parametrize(
    "as_path",
    [
        "sdk/reposix/_http/client.py",
        "sdk/reposix/_http/probe.py",
        "sdk/reposix/_pagination/probe.py",
        "reference_connectors/reposix_github/probe.py",
        "contract/reposix_contract/probe.py",
        "tests/sdk/probe.py",
    ],
)
def test_banned_api_fires(as_path: str) -> None:
    found = _ruff(OFFENDER, as_path)
    assert {f["code"] for f in found} == {"TID251"}
    lines = sorted(int(f["location"]["row"]) for f in found)  # type: ignore[index]
    assert lines == [5, 7, 8, 9]
    assert all("reposix.client()" in str(f["message"]) for f in found)


def test_transport_module_is_exempt() -> None:
    assert _ruff(OFFENDER, TRANSPORT) == []


def test_transport_is_the_only_exempt_file_in_shipped_code() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ignores = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    exempt = {pattern for pattern, codes in ignores.items() if "TID251" in codes or "TID" in codes}
    shipped = {p for p in exempt if not p.startswith("tests/")}
    assert shipped == {TRANSPORT}
    assert "TID251" not in config["tool"]["ruff"]["lint"].get("ignore", [])


def test_shipped_code_has_no_violation() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    command = [str(ruff)] if ruff.exists() else [sys.executable, "-m", "ruff"]
    result = subprocess.run(
        [*command, "check", "--no-cache", "--select", "TID251", "sdk", "contract"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
