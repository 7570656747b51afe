"""The pytest plugin (``pytest11`` entry point): ``pytest --reposix-contract``.

It loads in every pytest run, so importing it is cheap (pytest and the standard
library only: the kit's heavier dependencies are imported when the suite runs) and,
without the flag, it adds nothing. With the flag but without the kit's extra, or with
a ``--reposix-report`` path that cannot be written, it stops at configure time with
one usage error. With ``--reposix-contract`` it appends one test item per
(target, invariant) — ids like ``invariant[github-R05]`` — for the sim control
and every connector registered under ``reposix.connectors``, prints the
conformance matrix at the end and optionally writes it as JSON / Markdown.

Under pytest-xdist (``-n 2``) the items run in worker processes: each item's verdict
travels to the controller as plain data on its test report, and the controller builds,
prints and writes the one matrix, in suite order, exactly as a serial run does.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from reposix_contract._registry import Invariant
    from reposix_contract._report import Matrix
    from reposix_contract._runner import Outcome
    from reposix_contract._targets import Target

__all__ = ["ContractFailure", "ContractItem", "pytest_addoption", "pytest_configure"]

_KEY = "reposix-contract"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the kit's command-line flags."""
    group = parser.getgroup("reposix-contract", "reposix conformance kit")
    group.addoption(
        "--reposix-contract",
        action="store_true",
        default=False,
        help="run the reposix conformance suite for the sim control and every registered "
        "connector, and print the conformance matrix",
    )
    group.addoption(
        "--reposix-connector",
        action="append",
        default=[],
        metavar="NAME",
        help="only check this connector (repeatable); the sim control always runs beside it",
    )
    group.addoption(
        "--reposix-report",
        action="append",
        default=[],
        metavar="PATH",
        help="write the matrix to PATH: Markdown if it ends in .md, JSON otherwise (repeatable)",
    )
    group.addoption(
        "--reposix-thorough",
        action="store_true",
        default=False,
        help="run many more hypothesis examples per property invariant",
    )


def pytest_configure(config: pytest.Config) -> None:
    """With ``--reposix-contract``, register the session object that adds the suite."""
    config.addinivalue_line("markers", "reposix_contract: an item of the reposix conformance suite")
    if not config.getoption("reposix_contract", default=False):
        return
    from reposix_contract import _settings as settings
    from reposix_contract._preflight import KIT_EXTRA, missing_kit_modules, report_path_problems

    missing = missing_kit_modules()
    if missing:
        raise pytest.UsageError(
            f"--reposix-contract needs the conformance kit's extra ({', '.join(missing)} "
            f"missing): pip install '{KIT_EXTRA}'"
        )
    problems = report_path_problems(config.getoption("reposix_report") or [])
    if problems:
        raise pytest.UsageError("--reposix-report: " + "; ".join(problems))

    settings.set_thorough(bool(config.getoption("reposix_thorough")))
    config.pluginmanager.register(_ContractSession(config), _KEY)


class ContractFailure(Exception):
    """An invariant failed on a target; the message is the kit's verdict."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.detail)
        self.outcome = outcome


class _SuiteCollector(pytest.Collector):
    """The parent node of the kit's items (``reposix-contract`` in node ids)."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return []


class ContractItem(pytest.Item):
    """One invariant on one target, as a real pytest item."""

    def __init__(
        self,
        *,
        target: Target,
        invariant: Invariant | None,
        session_state: _ContractSession,
        load_error: str | None = None,
        order: tuple[int, int] = (0, 0),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.invariant = invariant
        self.state = session_state
        self.load_error = load_error
        self.order = order
        """(target, invariant) position in the suite: the matrix's row and column order."""
        self.verdict: dict[str, Any] | None = None
        """The outcome as plain data, attached to the call's report for the matrix."""
        self.add_marker(pytest.mark.reposix_contract)

    def runtest(self) -> None:
        """Run the invariant; FAIL raises, n/a skips, pass returns."""
        from reposix_contract._runner import Outcome, run_invariant

        if self.invariant is None:
            outcome = Outcome(
                "FAIL", self.load_error or "the suite could not be loaded", target=self.target.name
            )
            raise ContractFailure(outcome)
        outcome = run_invariant(self.target, self.invariant)
        self.verdict = _verdict(self.target, self.invariant, outcome, order=self.order)
        if outcome.status == "FAIL":
            raise ContractFailure(outcome)
        if outcome.status == "n/a":
            pytest.skip(f"n/a (declared): {outcome.detail}")

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        """The rule, then the kit's verdict (and a short traceback for unexpected errors)."""
        if not isinstance(excinfo.value, ContractFailure):
            return str(super().repr_failure(excinfo, style=style))
        outcome = excinfo.value.outcome
        head = f"[{self.target.name}-{self.invariant.id if self.invariant else 'load'}]"
        if self.invariant is not None:
            head += f" {self.invariant.rule}"
        text = f"{head}\n\n{outcome.detail}"
        error = outcome.error
        if error is not None and not isinstance(error, AssertionError):
            import traceback

            frames = traceback.format_exception(type(error), error, error.__traceback__)
            text += "\n\n" + "".join(frames[-12:]).rstrip()
        return text

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the invariant is defined, for ``-v`` output."""
        path = self.path
        line: int | None = None
        if self.invariant is not None:
            import inspect

            try:
                path = Path(inspect.getfile(self.invariant.check))
                line = inspect.getsourcelines(self.invariant.check)[1] - 1
            except (OSError, TypeError):
                pass
        return path, line, self.name


class _ContractSession:
    """Per-run state: builds the items, collects verdicts, prints and writes the matrix."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.verdicts: list[dict[str, Any]] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Attach the item's verdict to its call report: plain data, so it survives the
        trip from an xdist worker to the controller."""
        report = yield
        if call.when == "call" and isinstance(item, ContractItem) and item.verdict is not None:
            report.reposix_verdict = item.verdict  # type: ignore[attr-defined]
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect verdicts where the reports arrive (the controller, under xdist)."""
        verdict = getattr(report, "reposix_verdict", None)
        if verdict is not None:
            self.verdicts.append(verdict)

    def matrix(self) -> Matrix | None:
        """The verdicts so far as a matrix, in suite order (None if none ran)."""
        if not self.verdicts:
            return None
        from reposix_contract._registry import invariants
        from reposix_contract._report import Matrix
        from reposix_contract._runner import Outcome

        by_id = {inv.id: inv for inv in invariants()}
        matrix = Matrix()
        for v in sorted(self.verdicts, key=lambda v: tuple(v["order"])):
            outcome = Outcome(
                v["status"],
                v["detail"],
                invariant=v["invariant"],
                target=v["target"],
                declared=tuple(v["declared"]),
                seconds=v["seconds"],
                uncarried=tuple(v["uncarried"]),
            )
            matrix.add(by_id[v["invariant"]], outcome, control=v["control"])
        return matrix

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Append the suite's items (before ``-k``/``-m`` deselection sees them)."""
        items.extend(self._items(session))

    def _items(self, session: pytest.Session) -> list[pytest.Item]:
        from reposix_contract._registry import invariants
        from reposix_contract._targets import Target, load_targets

        parent = _SuiteCollector.from_parent(session, name="reposix-contract")
        names = list(self.config.getoption("reposix_connector") or [])
        try:
            targets = load_targets(names or None)
        except Exception as exc:  # the entry-point machinery itself failed
            broken = Target(name="plugins", build=_unbuildable, fake=None)
            return [self._error_item(parent, broken, f"loading connector plugins failed: {exc!r}")]
        try:
            suite = invariants()
        except Exception as exc:
            import traceback

            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            return [
                self._error_item(parent, t, f"the invariant suite failed to import:\n{detail}")
                for t in targets
            ]
        out: list[pytest.Item] = []
        for t, target in enumerate(targets):
            for i, inv in enumerate(suite):
                out.append(
                    ContractItem.from_parent(
                        parent,
                        name=f"invariant[{target.name}-{inv.id}]",
                        target=target,
                        invariant=inv,
                        session_state=self,
                        order=(t, i),
                    )
                )
        return out

    def _error_item(self, parent: pytest.Collector, target: Target, detail: str) -> pytest.Item:
        item: pytest.Item = ContractItem.from_parent(
            parent,
            name=f"invariant[{target.name}-load]",
            target=target,
            invariant=None,
            session_state=self,
            load_error=detail,
        )
        return item

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the matrix; write ``--reposix-report`` files (the controller only, under
        xdist: a worker saw only its share of the items)."""
        from reposix_contract._report import write_reports

        if hasattr(self.config, "workerinput"):
            return
        matrix = self.matrix()
        terminalreporter.section("reposix conformance matrix")
        if matrix is None:
            terminalreporter.write_line("no invariant ran (deselected, or collection failed)")
            return
        for line in matrix.render_text().splitlines():
            terminalreporter.write_line(line)
        paths = list(self.config.getoption("reposix_report") or [])
        for path in write_reports(matrix, paths):
            terminalreporter.write_line(f"matrix written to {path}")


def _verdict(
    target: Target, invariant: Invariant, outcome: Outcome, *, order: tuple[int, int]
) -> dict[str, Any]:
    """What the matrix needs of an outcome, as data xdist can send between processes (the
    exception behind a FAIL stays in the worker: the report's failure text carries it)."""
    return {
        "status": outcome.status,
        "detail": outcome.detail,
        "invariant": invariant.id,
        "target": target.name,
        "declared": list(outcome.declared),
        "seconds": outcome.seconds,
        "uncarried": list(outcome.uncarried),
        "control": target.control,
        "order": list(order),
    }


def _unbuildable(base_url: str, credentials: Any, runtime: Any) -> Any:
    raise RuntimeError("no connector")
