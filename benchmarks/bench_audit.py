"""Measure audit-log write throughput: rows per second into the SQLite sink.

Run: ``python benchmarks/bench_audit.py [--rows 20000] [--repeat 3]``. It appends
``--rows`` events to a fresh [`SqliteAuditSink`][reposix.SqliteAuditSink] on a temporary
file and in memory, closes it (so every buffered row is on disk when the clock stops),
checks the row count, and prints a Markdown table. This times the sink alone, the cost
the HTTP client pays once per request attempt.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from reposix._audit import AuditEvent, SqliteAuditSink


def _event(i: int) -> AuditEvent:
    return AuditEvent(
        ts=datetime.now(UTC),
        connector="github",
        op="list_records",
        method="GET",
        url=f"https://api.github.com/repos/o/r/issues?per_page=100&page={i}",
        status=200,
        duration_ms=12.5,
        outcome="ok",
    )


def rows_per_second(path: str, rows: int) -> float:
    """Append ``rows`` events to a new sink at ``path``, close it; rows per second."""
    events = [_event(i) for i in range(rows)]
    started = time.perf_counter()
    sink = SqliteAuditSink(path)
    for e in events:
        sink.append(e)
    flush = getattr(sink, "flush", None)
    if callable(flush):
        flush()
    count = len(sink.events()) if path == ":memory:" else None
    sink.close()
    elapsed = time.perf_counter() - started
    if count is not None and count != rows:
        raise SystemExit(f"lost rows: wrote {rows}, found {count}")
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"file": [], "memory": []}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            db = str(Path(tmp) / "audit.db")
            results["file"].append(rows_per_second(db, args.rows))
            SqliteAuditSink(db).close()  # reopening checks the chain head
        results["memory"].append(rows_per_second(":memory:", args.rows))
    print(f"| audit sink, {args.rows} rows | median rows/s | best rows/s |")
    print("|---|---:|---:|")
    for name, samples in results.items():
        print(f"| {name} | {statistics.median(samples):,.0f} | {max(samples):,.0f} |")


if __name__ == "__main__":
    main()
