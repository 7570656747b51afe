"""The benchmark script keeps working (a tiny run), so its numbers stay reproducible."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_listing.py"


@pytest.mark.slow
def test_benchmark_runs_end_to_end() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--records", "120", "--page-size", "50", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "| list 120 records over loopback" in out.stdout
    assert "records/s |" in out.stdout
