"""The conformance matrix: invariants × targets, with each target's coverage level."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from reposix_contract._registry import Invariant
from reposix_contract._runner import Outcome

__all__ = ["Coverage", "Matrix", "write_reports"]

NAME_MIN_WIDTH = 16
"""Narrowest the invariant-name column wraps to on a narrow terminal (characters)."""

_SHORT = {"pass": "pass", "FAIL": "FAIL", "n/a": "n/a"}


@dataclass(frozen=True)
class Coverage:
    """How much of the suite a target is held to.

    ``applicable`` invariants ran their real check; ``declared`` were declared away
    (only the declaration was checked). Declaring everything away earns no passes.
    """

    passed: int
    failed: int
    declared: int
    uncarried: tuple[str, ...] = ()
    """Record fields the target declares it cannot carry."""

    @property
    def applicable(self) -> int:
        """Invariants whose real check ran."""
        return self.passed + self.failed

    @property
    def total(self) -> int:
        """Every invariant with a verdict for this target."""
        return self.applicable + self.declared

    def describe(self) -> str:
        """``coverage 30/36 (6 declared away)``."""
        text = f"coverage {self.applicable}/{self.total}"
        if self.declared:
            text += f" ({self.declared} declared away)"
        if self.uncarried:
            text += f"; does not carry: {', '.join(self.uncarried)}"
        return text


@dataclass
class Matrix:
    """Verdicts collected during a run, renderable as text, Markdown and JSON."""

    invariants: dict[str, Invariant] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    controls: set[str] = field(default_factory=set)

    def add(self, invariant: Invariant, outcome: Outcome, *, control: bool = False) -> None:
        """Record one verdict."""
        self.invariants.setdefault(invariant.id, invariant)
        if outcome.target not in self.targets:
            self.targets.append(outcome.target)
        if control:
            self.controls.add(outcome.target)
        self.outcomes[(outcome.target, invariant.id)] = outcome

    @property
    def failed(self) -> bool:
        """Whether any verdict is FAIL."""
        return any(o.status == "FAIL" for o in self.outcomes.values())

    def ids(self) -> list[str]:
        """Invariant ids in registry order."""
        order = "RWSLED"
        return sorted(self.invariants, key=lambda i: (order.find(i[0]) % 7, i))

    def coverage(self, target: str) -> Coverage:
        """The coverage level of ``target``."""
        mine = [o for (t, _), o in self.outcomes.items() if t == target]
        return Coverage(
            passed=sum(o.status == "pass" for o in mine),
            failed=sum(o.status == "FAIL" for o in mine),
            declared=sum(o.status == "n/a" for o in mine),
            uncarried=tuple(sorted({f for o in mine for f in o.uncarried})),
        )

    def _cell(self, target: str, inv: str) -> str:
        outcome = self.outcomes.get((target, inv))
        return "" if outcome is None else _SHORT[outcome.status]

    def _header(self, target: str) -> str:
        return f"{target} (control)" if target in self.controls else target

    def table(self, targets: Iterable[str] | None = None, *, narrow: bool = False) -> Table:
        """The matrix as a rich table: invariant id and name, one column per target (all of
        them, or ``targets``), FAIL in bold red (colour only shows on a terminal).

        The name column wraps (long words folded) so that a narrow terminal never drops
        it; with ``narrow`` it keeps at least `NAME_MIN_WIDTH` characters. Ids,
        headers and verdicts never wrap.
        """
        chosen = self.targets if targets is None else list(targets)
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        table.add_column("invariant", no_wrap=True)
        table.add_column("name", min_width=NAME_MIN_WIDTH if narrow else None, overflow="fold")
        for target in chosen:
            table.add_column(self._header(target), no_wrap=True)
        styles = {"pass": "green", "FAIL": "bold red", "n/a": "dim"}
        for inv in self.ids():
            cells = [
                Text(self._cell(t, inv), style=styles.get(self._cell(t, inv), "")) for t in chosen
            ]
            table.add_row(inv, self.invariants[inv].name, *cells)
        return table

    def tables(self, width: int) -> list[Table]:
        """The matrix as one table, or, when its target columns do not fit in ``width``
        columns even with the name column wrapped, as several tables of consecutive target
        columns, each repeating the invariant and name columns. No column is dropped and no
        verdict is cut (one target too wide for ``width`` alone still gets its own table)."""
        whole = self.table()
        if self._width(whole).maximum <= width:
            return [whole]
        chunks: list[list[str]] = []
        for target in self.targets:
            if (
                chunks
                and self._width(self.table([*chunks[-1], target], narrow=True)).minimum <= width
            ):
                chunks[-1].append(target)
            else:
                chunks.append([target])
        return [self.table(chunk, narrow=True) for chunk in chunks] or [whole]

    @staticmethod
    def _width(table: Table) -> Measurement:
        console = Console(width=100_000, file=io.StringIO())
        return Measurement.get(console, console.options, table)

    def summary(self) -> list[str]:
        """One verdict line per target, then one line per FAIL."""
        lines = []
        for target in self.targets:
            cov = self.coverage(target)
            verdict = "FAIL" if cov.failed else "ok"
            lines.append(
                f"{self._header(target)}: {verdict} — {cov.passed} pass, {cov.failed} FAIL, "
                f"{cov.declared} n/a (declared); {cov.describe()}"
            )
        failures = [o for o in self.outcomes.values() if o.status == "FAIL"]
        for outcome in failures:
            first_line = (outcome.detail.strip().splitlines() or [""])[0]
            lines.append(f"  FAIL [{outcome.target}-{outcome.invariant}] {first_line[:160]}")
        return lines

    def print(self, console: Console | None = None) -> None:
        """Print the table and the summary (colours only when ``console`` is a terminal)."""
        if console is None:
            console = Console(highlight=False)
            if not console.is_terminal:  # piped: rich would assume 80 columns and cut cells
                console = Console(highlight=False, width=100_000, no_color=True)
        if not self.outcomes:
            console.print("reposix conformance matrix: nothing ran")
            return
        tables = self.tables(console.width)
        for number, table in enumerate(tables, 1):
            if len(tables) > 1:  # a narrow terminal: target columns in chunks, none dropped
                console.print(f"targets {number}/{len(tables)}", style="dim")
            console.print(table)
        # Summary lines are log lines: never broken mid-phrase to the console's width (a
        # pipe reads as 80 columns); a terminal wraps them as it wraps any long line.
        for line in self.summary():
            console.print(Text(line, style="red" if "FAIL [" in line else ""), soft_wrap=True)

    def render_text(self, *, color: bool = False, width: int = 160) -> str:
        """The table and summary as text (ANSI colours only if ``color``)."""
        buffer = io.StringIO()
        console = Console(
            file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False
        )
        self.print(console)
        return buffer.getvalue().rstrip("\n")

    def render_markdown(self) -> str:
        """A Markdown table (for the docs and CI summaries)."""
        heads = [self._header(t) for t in self.targets]
        out = [
            "| Invariant | Rule | " + " | ".join(heads) + " |",
            "|---|---|" + "---|" * len(heads),
        ]
        for inv in self.ids():
            rule = self.invariants[inv].rule.replace("|", "\\|")
            cells = [self._cell(t, inv).replace("n/a", "n/a (declared)") for t in self.targets]
            out.append(f"| {inv} | {rule} | " + " | ".join(cells) + " |")
        out.append(
            "| **coverage** | applicable / total | "
            + " | ".join(
                self.coverage(t).describe().removeprefix("coverage ") for t in self.targets
            )
            + " |"
        )
        return "\n".join(out) + "\n"

    def to_json(self) -> dict[str, Any]:
        """The matrix as a JSON-ready dict."""
        from reposix._version import __version__

        return {
            "reposix_version": __version__,
            "targets": [
                {
                    "name": t,
                    "control": t in self.controls,
                    "coverage": {
                        "passed": self.coverage(t).passed,
                        "failed": self.coverage(t).failed,
                        "declared": self.coverage(t).declared,
                        "applicable": self.coverage(t).applicable,
                        "total": self.coverage(t).total,
                        "uncarried": list(self.coverage(t).uncarried),
                    },
                }
                for t in self.targets
            ],
            "invariants": [
                {
                    "id": i,
                    "family": self.invariants[i].family,
                    "rule": self.invariants[i].rule,
                    "requires": sorted(str(r) for r in self.invariants[i].requires),
                }
                for i in self.ids()
            ],
            "results": {
                t: {
                    i: {
                        "status": o.status,
                        "detail": o.detail,
                        "declared": list(o.declared),
                        "seconds": o.seconds,
                    }
                    for (tt, i), o in sorted(self.outcomes.items())
                    if tt == t
                }
                for t in self.targets
            },
            "failed": self.failed,
        }


def write_reports(matrix: Matrix, paths: Iterable[str | Path]) -> list[Path]:
    """Write the matrix to each path: Markdown for ``.md``, JSON otherwise."""
    written = []
    for raw in paths:
        path = Path(raw)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() in (".md", ".markdown"):
            path.write_text(matrix.render_markdown(), encoding="utf-8")
        else:
            path.write_text(json.dumps(matrix.to_json(), indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
