"""The plugin under pytest-xdist (``.ci/run`` uses ``-n auto``): the items run in workers, yet
the controller prints the same matrix as a serial run, writes the same report, and a FAIL
still fails the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# A connector registered through a real entry point (a dist-info folder on PYTHONPATH) that
# breaks R09: it calls itself "sim" but its plugin is registered as "misnamed".
_BROKEN = """
from reposix import ConnectorPlugin
from reposix.sim import SimBackend


def build(base_url, credentials, runtime):
    return SimBackend(base_url, runtime=runtime)


plugin = ConnectorPlugin(
    name="misnamed",
    build=build,
    default_base_url="http://127.0.0.1:7878",
    fake="reposix_contract._fakes.sim:sim_fake",
    sample_project="demo",
)
"""


def _run(tmp_path: Path, report: str, *args: str) -> tuple[int, str, dict[str, Any]]:
    env = {
        **os.environ,
        "REPOSIX_AUDIT_DB": ":memory:",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
    }
    kit = ["--reposix-contract", "--reposix-connector", "misnamed", "--reposix-report", report]
    pick = ["-k", "R09 or R12 or plain"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args, *kit, *pick],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout
    assert "reposix conformance matrix" in out, out + done.stderr
    lines = out[out.index("reposix conformance matrix") :].splitlines()[1:]
    matrix = "\n".join(
        lines[: next(i for i, line in enumerate(lines) if line.startswith("matrix"))]
    )
    data = json.loads((tmp_path / report).read_text())
    for results in data["results"].values():
        for verdict in results.values():
            verdict.pop("seconds")
    return done.returncode, matrix, data


@pytest.mark.slow
def test_under_xdist_the_matrix_and_report_match_the_serial_run(tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    (tmp_path / "misnamed_plugin.py").write_text(_BROKEN)
    info = tmp_path / "misnamed_plugin-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: misnamed-plugin\nVersion: 0\n")
    (info / "entry_points.txt").write_text(
        "[reposix.connectors]\nmisnamed = misnamed_plugin:plugin\n"
    )

    serial_rc, serial_matrix, serial_json = _run(tmp_path, "serial.json")
    xdist_rc, xdist_matrix, xdist_json = _run(tmp_path, "xdist.json", "-n", "2")

    assert serial_rc == 1, serial_matrix
    assert "FAIL [misnamed-R09]" in serial_matrix
    assert "sim (control): ok" in serial_matrix
    assert xdist_rc == 1, xdist_matrix  # a FAIL in a worker still fails the run
    assert xdist_matrix == serial_matrix
    assert xdist_json == serial_json
    assert xdist_json["failed"] is True
