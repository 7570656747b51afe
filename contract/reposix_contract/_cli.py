"""``reposix contract``: run the conformance kit and print the matrix."""

from __future__ import annotations

import difflib
import importlib.util
import logging

import click

__all__ = ["KIT_EXTRA", "KIT_MODULES", "check_selection", "contract", "run_matrix"]

KIT_EXTRA = "reposix-sdk[contract]"
"""The extra that installs what the kit needs on top of the SDK."""
KIT_MODULES = ("pytest", "respx", "hypothesis", "rich", "starlette")
"""The modules the kit's extra brings (what ``reposix contract`` checks for first)."""


def _require_kit_extra() -> None:
    missing = [m for m in KIT_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        click.echo(
            f"reposix contract needs the conformance kit's extra ({', '.join(missing)} "
            f"missing): pip install '{KIT_EXTRA}'",
            err=True,
        )
        raise SystemExit(2)


def _unknown(kind: str, given: list[str], known: list[str]) -> click.UsageError:
    hints = []
    for name in given:
        folded = [k for k in known if k.lower() == name.lower()]
        close = folded or difflib.get_close_matches(name, known, n=1)
        if close:
            hints.append(f"{name!r} → did you mean {close[0]!r}?")
    text = f"unknown {kind} {', '.join(repr(n) for n in given)}; known: {', '.join(known)}"
    if hints:
        text += " (" + "; ".join(hints) + ")"
    return click.UsageError(text)


def check_selection(connectors: tuple[str, ...], only: tuple[str, ...]) -> None:
    """Refuse unknown (or miscased) connector names and unknown invariant ids up front, as
    one usage error listing what is known (exit 2), before anything runs."""
    from reposix_contract._registry import invariants
    from reposix_contract._targets import registered_names

    known = registered_names()
    bad = [n for n in dict.fromkeys(connectors) if n not in known]
    if bad:
        raise _unknown("connector" if len(bad) == 1 else "connectors", bad, known)
    ids = [i.id for i in invariants()]
    bad = [i for i in dict.fromkeys(only) if i not in ids]
    if bad:
        raise _unknown("invariant" if len(bad) == 1 else "invariants", bad, ids)


def run_matrix(
    connectors: tuple[str, ...] = (),
    *,
    thorough: bool = False,
    only: tuple[str, ...] = (),
    echo: bool = True,
) -> object:
    """Run every invariant on the sim control and the registered connectors; the Matrix."""
    from reposix_contract._registry import invariants
    from reposix_contract._report import Matrix
    from reposix_contract._runner import run_invariant
    from reposix_contract._targets import load_targets

    # The kit provokes truncations, rate limits and errors on purpose; their log warnings
    # would interleave with the progress line. Records still reach any configured handler.
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    matrix = Matrix()
    suite = [i for i in invariants() if not only or i.id in only]
    for target in load_targets(list(connectors) or None):
        if echo:
            click.echo(f"{target.name:>14} ", nl=False)
        for inv in suite:
            outcome = run_invariant(target, inv, thorough=thorough)
            matrix.add(inv, outcome, control=target.control)
            if echo:
                mark = {"pass": ".", "FAIL": "F", "n/a": "-"}[outcome.status]
                click.echo(click.style(mark, fg="red") if mark == "F" else mark, nl=False)
        if echo:
            click.echo()
    return matrix


@click.command("contract")
@click.option(
    "--connector",
    "connectors",
    multiple=True,
    metavar="NAME",
    help="Only check this connector (repeatable; 'sim' is the control).",
)
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="PATH",
    help="Write the matrix to PATH: Markdown for .md, JSON otherwise (repeatable).",
)
@click.option("--thorough", is_flag=True, help="Run many more hypothesis examples.")
@click.option(
    "--invariant", "only", multiple=True, metavar="ID", help="Only run this invariant (repeatable)."
)
def contract(
    connectors: tuple[str, ...], reports: tuple[str, ...], thorough: bool, only: tuple[str, ...]
) -> None:
    """Run the conformance kit on the sim control and every registered connector.

    Prints the conformance matrix (pass / FAIL / n/a (declared) per invariant and
    target, with each target's coverage) and exits 1 if anything FAILs. The same
    suite runs under pytest with ``pytest --reposix-contract``.

    \b
    Examples:
      reposix contract
      reposix contract --connector github --report matrix.json
    """
    _require_kit_extra()
    from reposix_contract._report import Matrix, write_reports

    check_selection(connectors, only)
    matrix = run_matrix(connectors, thorough=thorough, only=only)
    assert isinstance(matrix, Matrix)
    click.echo()
    matrix.print()
    for path in write_reports(matrix, reports):
        click.echo(f"matrix written to {path}")
    if matrix.failed:
        failures = [o for o in matrix.outcomes.values() if o.status == "FAIL"]
        for outcome in failures:
            rule = matrix.invariants[outcome.invariant].rule
            click.echo(
                f"\n[{outcome.target}-{outcome.invariant}] rule: {rule}\n{outcome.detail}",
                err=True,
            )
        raise SystemExit(1)
