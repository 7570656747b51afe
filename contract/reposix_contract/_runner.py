"""Run one invariant against one target: applicability, the check, a verdict."""

from __future__ import annotations

import asyncio
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Literal

from reposix_contract import _settings as settings
from reposix_contract._harness import RunawayConnector, open_harness
from reposix_contract._registry import Invariant
from reposix_contract._targets import Target, unmet

__all__ = ["CHECK_TIMEOUT", "Outcome", "Status", "arun_invariant", "run_invariant"]

Status = Literal["pass", "FAIL", "n/a"]

CHECK_TIMEOUT = 60.0
"""Wall-clock seconds one check may take (ten times more under the thorough profile)."""


@dataclass(frozen=True)
class Outcome:
    """The verdict of one invariant on one target.

    ``n/a`` means the target declares a requirement away (``declared`` lists them)
    and, if the invariant has a declaration check, that the declaration holds.
    """

    status: Status
    detail: str
    invariant: str = ""
    target: str = ""
    declared: tuple[str, ...] = ()
    seconds: float = 0.0
    error: BaseException | None = field(default=None, compare=False, repr=False)
    """The exception behind a FAIL (re-raised by the pytest item for a full report)."""
    uncarried: tuple[str, ...] = ()
    """Record fields the target declares it cannot carry (compared loosely, and reported)."""

    @property
    def by_assertion(self) -> bool:
        """True if a FAIL came from an assertion of the kit's own checks (the invariant's
        rule) or from the kit's runaway guard, not from a crash, a build error or a timeout."""
        if self.status == "FAIL" and isinstance(self.error, RunawayConnector):
            return True
        if self.status != "FAIL" or not isinstance(self.error, AssertionError):
            return False
        frames = traceback.extract_tb(self.error.__traceback__)
        return bool(frames) and "reposix_contract" in frames[-1].filename

    @property
    def label(self) -> str:
        """``pass``, ``FAIL`` or ``n/a (declared)`` — as the matrix prints it."""
        return "n/a (declared)" if self.status == "n/a" else self.status


def _example(exc: BaseException) -> str:
    """Hypothesis' minimal failing example, from the notes it adds to the exception (other
    notes, such as a fixed example's, are shown as they are)."""
    notes = [str(n) for n in getattr(exc, "__notes__", ()) if str(n).strip()]
    if not notes:
        return ""
    if any(n.startswith("fixed example") for n in notes):  # _props.FIXED_EXAMPLE_NOTE
        return "\n  " + "\n  ".join(notes)
    return "\n  minimal failing example: " + "\n  ".join(notes)


def describe_failure(exc: BaseException) -> str:
    """A failure message: the assertion text, or the exception and where it was raised;
    then the minimal failing example when a property check shrank one."""
    if isinstance(exc, AssertionError) and str(exc):
        return str(exc) + _example(exc)
    head = f"{type(exc).__name__}: {exc}".strip()
    frames = traceback.extract_tb(exc.__traceback__)
    where = [f for f in frames if "reposix_contract" not in f.filename]
    if where:
        last = where[-1]
        head += f"\n  raised at {last.filename}:{last.lineno} in {last.name}"
    return head + _example(exc)


async def arun_invariant(
    target: Target, invariant: Invariant, *, thorough: bool | None = None
) -> Outcome:
    """[`run_invariant`][reposix_contract.run_invariant] for callers already on an event loop."""
    started = time.perf_counter()
    previous = settings.thorough()
    if thorough is not None:
        settings.set_thorough(thorough)
    ids: dict[str, object] = {"invariant": invariant.id, "target": target.name}

    def done(status: Status, detail: str, **kw: object) -> Outcome:
        return Outcome(status, detail, seconds=round(time.perf_counter() - started, 3), **ids, **kw)  # type: ignore[arg-type]

    try:
        if target.error is not None:
            return done("FAIL", target.error, error=RuntimeError(target.error))
        timeout = CHECK_TIMEOUT * (10 if settings.thorough() else 1)
        try:
            async with open_harness(target, canary_seed=invariant.id) as h:
                ids["uncarried"] = tuple(sorted(getattr(h.connector, "uncarried_fields", ())))
                missing = tuple(unmet(h.connector, invariant))
                check = invariant.check if not missing else invariant.declared
                if check is None:
                    return done(
                        "n/a", f"declared unsupported: {', '.join(missing)}", declared=missing
                    )
                await asyncio.wait_for(check(h), timeout)
                if missing:
                    return done(
                        "n/a",
                        f"declared unsupported: {', '.join(missing)} (declaration holds)",
                        declared=missing,
                    )
                return done("pass", "")
        except TimeoutError as exc:
            return done(
                "FAIL", f"the check did not finish within {timeout:.0f}s (a hang?)", error=exc
            )
        except RunawayConnector as exc:
            return done("FAIL", str(exc), error=exc)
        except Exception as exc:
            return done("FAIL", describe_failure(exc), error=exc)
    finally:
        if thorough is not None:
            settings.set_thorough(previous)


def run_invariant(target: Target, invariant: Invariant, *, thorough: bool | None = None) -> Outcome:
    """Check ``invariant`` on ``target`` in a fresh harness; the connector is always closed.

    Applicability comes from ``invariant.requires``, each met if the connector's
    ``capabilities`` declares it. When a
    requirement is declared away, the invariant's declaration check runs instead and
    the verdict is ``n/a`` (or ``FAIL`` if the declaration does not hold).
    """
    coro = arun_invariant(target, invariant, thorough=thorough)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: list[Outcome] = []

    def worker() -> None:
        box.append(asyncio.run(coro))

    thread = threading.Thread(target=worker, name=f"reposix-contract-{invariant.id}")
    thread.start()
    thread.join()
    return box[0]
