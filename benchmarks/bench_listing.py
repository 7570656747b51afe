"""Measure what connector authors pay for: import time, page validation, listing throughput.

Run: ``python benchmarks/bench_listing.py [--records 5000] [--page-size 100] [--repeat 3]``.
It starts ``reposix sim`` in a subprocess on a free loopback port (so the server does not
share the client's GIL), lists every record with SimBackend over real sockets, and prints
a Markdown table. singer-sdk or airbyte-cdk taps can be pointed at the same server URL
(printed first) to compare side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, TypeAdapter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def import_time() -> float:
    """Median wall time of ``python -c 'import reposix'`` minus a bare interpreter start."""

    def run(code: str) -> float:
        samples = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            samples.append(time.perf_counter() - t)
        return statistics.median(samples)

    return run("import reposix") - run("pass")


class WireRecord(BaseModel):
    """A record as the simulator sends it (unknown fields ignored, like a connector)."""

    model_config = ConfigDict(extra="ignore")
    id: int
    title: str
    status: str
    assignee: str | None
    labels: list[str]
    created_at: datetime
    updated_at: datetime
    version: int
    body: str
    parent_id: int | None


def page_validation(page_size: int, repeat: int) -> tuple[float, float]:
    """µs per page: whole-page ``validate_json`` vs ``json.loads`` + per-item validation."""
    now = datetime.now(UTC).isoformat()
    page = json.dumps(
        [
            {
                "id": i,
                "title": f"record {i}",
                "status": "open",
                "assignee": None,
                "labels": ["a", "b"],
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "body": "text " * 40,
                "parent_id": None,
                "url": "https://example.invalid/x",
            }
            for i in range(1, page_size + 1)
        ]
    ).encode()
    whole = TypeAdapter(list[WireRecord])
    loops = 200 * repeat

    t = time.perf_counter()
    for _ in range(loops):
        whole.validate_json(page)
    whole_us = (time.perf_counter() - t) / loops * 1e6

    t = time.perf_counter()
    for _ in range(loops):
        [WireRecord.model_validate(item) for item in json.loads(page)]
    per_item_us = (time.perf_counter() - t) / loops * 1e6
    return whole_us, per_item_us


async def list_all(url: str, page_size: int) -> int:
    from reposix._audit import MemoryAuditSink
    from reposix._http import Allowlist
    from reposix._runtime import Runtime
    from reposix.sim._backend import SimBackend

    runtime = Runtime(
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(url),
        page_size=page_size,
        max_records=10**9,
    )
    async with SimBackend(url, runtime=runtime) as backend:
        listing = await backend.list_records_complete("bench")
        assert listing.is_complete
        return len(listing.records)


def listing_throughput(records: int, page_size: int, repeat: int) -> tuple[str, list[float]]:
    seed = {
        "projects": [
            {
                "slug": "bench",
                "records": [
                    {
                        "title": f"record {i}",
                        "status": "open",
                        "labels": ["bench"],
                        "body": "line\n" * 10,
                    }
                    for i in range(records)
                ],
            }
        ]
    }
    with tempfile.TemporaryDirectory() as tmp:
        seed_path = Path(tmp) / "seed.json"
        seed_path.write_text(json.dumps(seed))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "REPOSIX_AUDIT_DB": ":memory:"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from reposix._cli import main; main()",
                "sim",
                "--port",
                str(port),
                "--seed",
                str(seed_path),
                "--max-page-size",
                str(page_size),
                "--log-level",
                "error",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the simulator did not start") from None
                    time.sleep(0.05)
            print(f"simulator with {records} records at {url}/projects/bench/records", flush=True)
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                count = asyncio.run(list_all(url, page_size))
                times.append(time.perf_counter() - t)
                assert count == records, count
            return url, times
        finally:
            server.terminate()
            server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    imp = import_time()
    whole_us, per_item_us = page_validation(args.page_size, args.repeat)
    _, times = listing_throughput(args.records, args.page_size, args.repeat)
    best = min(times)
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| `import reposix` (over a bare interpreter) | {imp * 1000:.1f} ms |")
    print(f"| validate a {args.page_size}-record page: whole `validate_json` | {whole_us:.0f} µs |")
    print(
        f"| validate a {args.page_size}-record page: `json.loads` + items | {per_item_us:.0f} µs |"
    )
    print(f"| whole-page saving | {(1 - whole_us / per_item_us) * 100:.0f} % |")
    print(f"| list {args.records} records over loopback (best of {args.repeat}) | {best:.2f} s |")
    print(f"| throughput | {args.records / best:,.0f} records/s |")


if __name__ == "__main__":
    main()
