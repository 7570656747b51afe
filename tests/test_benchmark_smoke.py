"""The benchmark script keeps working (a tiny run), so its numbers stay reproducible."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_listing.py"
GITHUB = SCRIPT.parent / "bench_github.py"


def _run(script: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python script args`` in a child; fails the test with its stderr if it fails."""
    out = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out


@pytest.mark.slow
def test_benchmark_runs_end_to_end() -> None:
    out = _run(SCRIPT, "--records", "120", "--page-size", "50", "--repeat", "1", timeout=120)
    assert "| list 120 records over loopback" in out.stdout
    assert "records/s |" in out.stdout


@pytest.mark.slow
def test_paired_github_benchmark_runs_end_to_end() -> None:
    """A tiny run of every part: both clients, the latency server, streaming RSS."""
    args = ["--issues", "150", "--slow-issues", "150", "--latency-ms", "1"]
    args += ["--rss-issues", "100", "200", "--repeat", "1"]
    out = _run(GITHUB, *args, timeout=300)
    assert "| (a) ratio reposix / plain" in out.stdout
    assert "| (b) reposix listing call alone (in process), 2 pages |" in out.stdout
    assert "| (c) ratio of peak RSS, 200 / 100 issues streamed |" in out.stdout


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("REPOSIX_BENCH_PEERS") != "1",
    reason="the peers' venvs are outside CI: bash benchmarks/peers/setup.sh, then "
    "REPOSIX_BENCH_PEERS=1",
)
def test_paired_github_benchmark_runs_with_the_peers(tmp_path: Path) -> None:
    """A tiny run with the singer-sdk and airbyte-cdk clients: each lists every issue."""
    results = tmp_path / "results.json"
    args = ["--issues", "150", "--slow-issues", "150", "--latency-ms", "1"]
    args += ["--rss-issues", "100", "--repeat", "1", "--peers", "--json", str(results)]
    out = _run(GITHUB, *args, timeout=300)
    assert "| (a) ratio singer / plain (median of pairs, min–max) |" in out.stdout
    assert "| (c) peak RSS, airbyte-cdk source, 100 issues |" in out.stdout
    data = json.loads(results.read_text(encoding="utf-8"))
    assert set(data["a"]["ratios"]) == {"reposix", "singer", "airbyte"}
    assert {"singer-sdk", "airbyte-cdk"} <= set(data["versions"])
