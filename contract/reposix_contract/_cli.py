"""``reposix contract``: run the conformance kit and print the matrix."""

from __future__ import annotations

import logging

import click

__all__ = ["contract", "run_matrix"]


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
    """
    from reposix_contract._report import Matrix, write_reports

    matrix = run_matrix(connectors, thorough=thorough, only=only)
    assert isinstance(matrix, Matrix)
    click.echo()
    click.echo(matrix.render_text())
    for path in write_reports(matrix, reports):
        click.echo(f"matrix written to {path}")
    if matrix.failed:
        failures = [o for o in matrix.outcomes.values() if o.status == "FAIL"]
        for outcome in failures:
            click.echo(f"\n[{outcome.target}-{outcome.invariant}]\n{outcome.detail}", err=True)
        raise SystemExit(1)
