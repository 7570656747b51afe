"""The conformance matrix of every shipped connector, from a real run of the kit.

A checkout tool, not part of the wheel. ``python docs/_gen/matrix.py`` runs
``reposix contract --report`` over the sim control and every registered connector and
commits the result (without timings) as ``docs/_gen/matrix.json``; the docs hook renders
it on the reference page and on each connector's own page. ``tests/contract/
test_docs_site.py`` fails when the file no longer matches the registry (a connector or an
invariant added, a capability changed) — then run this again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["MATRIX", "load", "main", "render_column", "render_matrix"]

ROOT = Path(__file__).resolve().parents[2]
MATRIX = ROOT / "docs" / "_gen" / "matrix.json"


def load(path: Path = MATRIX) -> dict[str, Any]:
    """The committed matrix."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _cell(result: dict[str, Any]) -> str:
    status = str(result["status"])
    return {"FAIL": "**FAIL**"}.get(status, status)


def render_matrix(data: dict[str, Any], link: str = "../contract/invariants.md") -> str:
    """Every invariant × every target, as a Markdown table."""
    names = [t["name"] for t in data["targets"]]
    heads = [f"{t['name']} (control)" if t["control"] else t["name"] for t in data["targets"]]
    lines = ["| invariant | " + " | ".join(heads) + " |", "|---|" + "---|" * len(names)]
    for inv in data["invariants"]:
        cells = " | ".join(_cell(data["results"][n][inv["id"]]) for n in names)
        lines.append(f"| [`{inv['id']}`]({link}#{inv['id'].lower()}) | {cells} |")
    return "\n".join(lines)


def render_column(data: dict[str, Any], name: str, link: str) -> str:
    """One target's results: its coverage line, then what it declares away."""
    target = next(t for t in data["targets"] if t["name"] == name)
    cov = target["coverage"]
    results = data["results"][name]
    declared = [i for i, r in results.items() if r["status"] == "n/a"]
    failed = [i for i, r in results.items() if r["status"] == "FAIL"]
    text = (
        f"From the last committed run of the kit (reposix {data['reposix_version']}): "
        f"**{cov['passed']} pass, {cov['failed']} FAIL, {cov['declared']} n/a (declared)** "
        f"of {cov['total']} invariants."
    )
    if declared:
        text += " Declared away: " + ", ".join(f"[`{i}`]({link}#{i.lower()})" for i in declared)
        text += " (the kit checks that each raises `NotSupported` and sends nothing)."
    if failed:
        text += " FAIL: " + ", ".join(f"[`{i}`]({link}#{i.lower()})" for i in failed) + "."
    if cov["uncarried"]:
        text += " Fields it does not carry: " + ", ".join(f"`{f}`" for f in cov["uncarried"])
        text += "."
    return text


def main(root: Path = ROOT) -> None:
    """Run the kit over everything registered and rewrite ``matrix.json``."""
    exe = shutil.which("reposix", path=str(Path(sys.executable).parent)) or "reposix"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "matrix.json"
        env = {**os.environ, "REPOSIX_AUDIT_DB": ":memory:", "HYPOTHESIS_PROFILE": "ci"}
        subprocess.run([exe, "contract", "--report", str(out)], cwd=root, env=env, check=False)
        data = json.loads(out.read_text(encoding="utf-8"))
    for per_target in data["results"].values():
        for result in per_target.values():
            result.pop("seconds", None)
    (root / "docs" / "_gen" / "matrix.json").write_text(
        json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
