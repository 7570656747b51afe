"""What a connector costs to import: ``import reposix_github.connector`` as a whole process.

Run: ``python benchmarks/bench_import.py [--runs 30] [--module reposix_github.connector]``.

Each run starts a fresh interpreter. The target (``import reposix_github.connector``,
everything a listing needs) is paired with three floors, all four alternating within one
run so machine noise hits each alike:

* ``import httpx, pydantic``: the floor the issue names. pydantic 2 loads lazily, so this
  does not load its model machinery;
* ``import httpx`` plus the pydantic names every shipped connector's wire module imports
  (``BaseModel``, ``TypeAdapter``, ``AwareDatetime``, ``JsonValue``): what any connector
  with a wire model pays before reposix does anything;
* ``import reposix, httpx, pydantic``: the first floor with httpx imported as reposix
  imports it, without its CLI module (``reposix._httpx_cli``; ``import reposix`` alone
  loads nothing else). Where click, rich and pygments are installed (the dev
  environment), the first two floors pay about 40 ms for httpx's CLI that reposix does
  not, so this is the like-for-like floor; in an install without them, it equals the first.

It prints the median wall time of each and the project's own share over each floor (the
median of the paired differences). Children run with bytecode caching on (the first,
warm-up run writes ``__pycache__``), as an installed package has its ``.pyc`` files.
``python -X importtime -c 'import reposix_github.connector'`` shows where the share goes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

FLOOR = "import httpx, pydantic"
MODEL_FLOOR = "import httpx; from pydantic import AwareDatetime, BaseModel, JsonValue, TypeAdapter"
LEAN_FLOOR = "import reposix, httpx, pydantic"
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def run_ms(code: str) -> tuple[float, float]:
    """(wall, CPU) time of ``python -c code`` in a fresh interpreter, in milliseconds."""
    cpu, start = _cpu_ms(), time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=_ENV)
    return (time.perf_counter() - start) * 1000, _cpu_ms() - cpu


def measure(codes: list[str], runs: int) -> dict[str, list[tuple[float, float]]]:
    """``runs`` (wall, CPU) samples of each of ``codes``, rotating which goes first."""
    for code in codes:  # warm the OS file cache and write the bytecode caches
        run_ms(code)
    samples: dict[str, list[tuple[float, float]]] = {code: [] for code in codes}
    for i in range(runs):
        shift = i % len(codes)
        for code in codes[shift:] + codes[:shift]:
            samples[code].append(run_ms(code))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="paired runs (default 30)")
    parser.add_argument("--module", default="reposix_github.connector", help="what to import")
    args = parser.parse_args()
    target = f"import {args.module}"
    samples = measure([target, FLOOR, MODEL_FLOOR, LEAN_FLOOR], args.runs)

    def median(code: str, i: int) -> float:
        return statistics.median(s[i] for s in samples[code])

    def share(floor: str, i: int) -> float:
        pairs = zip(samples[target], samples[floor], strict=True)
        return statistics.median(t[i] - f[i] for t, f in pairs)

    print(f"| measure ({args.runs} paired runs, medians) | wall ms | CPU ms |")
    print("|---|---|---|")
    for code in (target, FLOOR, MODEL_FLOOR, LEAN_FLOOR):
        print(f"| `{code}` | {median(code, 0):.1f} | {median(code, 1):.1f} |")
    floors = (
        ("`" + FLOOR + "`", FLOOR),
        ("the pydantic-model floor", MODEL_FLOOR),
        ("`" + LEAN_FLOOR + "` (like for like)", LEAN_FLOOR),
    )
    for label, floor in floors:
        wall, cpu = share(floor, 0), share(floor, 1)
        print(f"| reposix's own share over {label} | {wall:.1f} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
