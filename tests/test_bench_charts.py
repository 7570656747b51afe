"""The benchmarks page's generator draws what the results file holds, peers included.

A small results file is built here through the benchmark's own ``paired`` (with the
client processes replaced by fixed figures), so the test also pins the file's shape that
``bench_github.py --json`` writes and ``docs/_gen/bench_charts.py`` reads.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bench_charts import render

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_github.py"

# Wall time (s), peak RSS (MiB), listing call (s) and CPU time (s) of each client, per round.
FIGURES = {
    "plain": [(1.0, 50.0, 0.6, 0.5), (1.2, 51.0, 0.7, 0.6), (1.1, 50.0, 0.65, 0.55)],
    "reposix": [(1.3, 60.0, 0.8, 0.7), (1.5, 61.0, 0.9, 0.8), (1.2, 60.0, 0.75, 0.65)],
    "reposix-stream": [(1.3, 62.0, 0.8, 0.7)],
    "singer": [(1.6, 48.0, 1.0, 0.9), (1.9, 49.0, 1.2, 1.0), (1.8, 48.0, 1.1, 0.95)],
    "airbyte": [(2.5, 77.0, 1.5, 2.0), (2.9, 78.0, 1.7, 2.2), (2.6, 77.0, 1.6, 2.1)],
}


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_github_under_test", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _results(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, peers: bool) -> Path:
    """A results file as ``drive`` assembles it, from ``paired`` over fixed figures."""
    bench = _bench_module()
    calls: dict[str, int] = {}

    def fake_run(kind: str, url: str, audit_db: str, expect: int) -> tuple[float, ...]:
        calls[kind] = calls.get(kind, 0) + 1
        figures = FIGURES[kind]
        return figures[(calls[kind] - 1) % len(figures)]

    monkeypatch.setattr(bench, "run_client", fake_run)
    extra = ["singer", "airbyte"] if peers else []
    a = bench.paired(["plain", "reposix", *extra], "http://x", "audit.db", 100, 3)
    calls.clear()
    b = bench.paired(["plain", "reposix"], "http://x", "audit.db", 100, 3)
    c: dict[str, Any] = {}
    for n in (100, 1000):
        calls.clear()
        c[str(n)] = bench.paired(["plain", "reposix-stream", *extra], "http://x", "db", n, 1)
    versions = {"python": "3.11.7", "reposix-sdk": "0.1.0"}
    if peers:
        versions |= {"singer-sdk": "0.54.9", "airbyte-cdk": "7.39.1"}
    data = {
        "date": "2026-11-29T17:00:00+00:00",
        "machine": {"cpu": "Test CPU", "cores": 2, "load_average": [1.0, 2.0, 3.0], "system": "L"},
        "versions": versions,
        "peers": extra,
        "a": {"issues": 100, **a},
        "b": {"issues": 100, "latency_ms": 50, **b},
        "c": c,
    }
    path = tmp_path / "bench_github.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_paired_takes_every_client_against_the_plain_loop_of_its_round(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = json.loads(_results(monkeypatch, tmp_path, peers=True).read_text(encoding="utf-8"))
    a = data["a"]
    assert a["ratios"]["singer"] == pytest.approx([1.6, 1.9 / 1.2, 1.8 / 1.1])
    assert a["cpu_ratios"]["airbyte"] == pytest.approx([4.0, 2.2 / 0.6, 2.1 / 0.55])
    assert a["pairs"] == a["ratios"]["reposix"]
    assert a["spread"]["wall"]["airbyte"] == {"min": 2.5, "median": 2.6, "max": 2.9}
    assert set(a["ratios"]) == {"reposix", "singer", "airbyte"}


def test_charts_and_page_include_the_peers_when_the_results_have_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    page = render(_results(monkeypatch, tmp_path, peers=True))
    # Date, machine, versions (the peers' too) and the spread of every client.
    assert "**Date:** 2026-11-29T17:00:00+00:00" in page
    assert "Test CPU, 2 cores" in page
    assert "singer-sdk 0.54.9" in page
    assert "airbyte-cdk 7.39.1" in page
    assert "| singer-sdk | 1.80 s (1.60–1.90) |" in page
    assert "| airbyte-cdk | 2.60 s (2.50–2.90) |" in page
    # Throughput bars, ratio bars against the plain loop, and peak memory per record count.
    assert page.count("<title>singer-sdk: median") == 2
    assert page.count("<title>airbyte-cdk: median") == 2
    assert "<title>singer-sdk / plain: median 1.60, min 1.58, max 1.64</title>" in page
    assert "<title>airbyte-cdk / plain: median" in page
    assert (
        "| records | plain (keeps every dict) | reposix iter_records | singer-sdk | airbyte-cdk |"
        in page
    )
    assert "| 1,000 | 50 MiB | 62 MiB | 48 MiB | 77 MiB |" in page
    assert "no singer-sdk or airbyte-cdk runs" not in page
    # reposix against each client, round by round: wall 1.3/1.6, 1.5/1.9, 1.2/1.8.
    assert "| singer-sdk | 0.79× (0.67–0.81) | 0.78× (0.68–0.80) |" in page


def test_without_peers_the_page_says_so_and_draws_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    page = render(_results(monkeypatch, tmp_path, peers=False))
    assert "no singer-sdk or airbyte-cdk runs" in page
    assert "singer-sdk /" not in page
    assert "airbyte-cdk:" not in page
    assert "<title>reposix / plain: median" in page


def test_peers_without_their_venv_say_how_to_create_it(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--peers", "singer"],
        env={"REPOSIX_PEER_VENVS": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode != 0
    assert "bash benchmarks/peers/setup.sh singer" in out.stderr
    assert str(tmp_path) in out.stderr
