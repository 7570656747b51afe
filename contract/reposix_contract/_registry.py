"""The invariant registry: every rule the kit checks, with a stable id, a rule and a why."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from reposix._backend import Capabilities, DeleteModel, VersioningModel

if TYPE_CHECKING:
    from reposix_contract._harness import Harness

__all__ = [
    "REGISTRY",
    "Check",
    "Invariant",
    "Requirement",
    "invariant",
    "invariants",
    "requirement_met",
]

Requirement = Literal[
    "create", "update", "delete_or_close", "strong_versioning", "hierarchy", "search"
]
"""A capability an invariant needs, named after the ``Capabilities`` field it reads."""


def requirement_met(caps: Capabilities, requirement: Requirement) -> bool:
    """Whether ``caps`` declares ``requirement``."""
    return {
        "create": caps.create,
        "update": caps.update,
        "delete_or_close": caps.delete is not DeleteModel.NONE,
        "strong_versioning": caps.versioning is VersioningModel.STRONG,
        "hierarchy": caps.hierarchy,
        "search": caps.search,
    }[requirement]


Check = Callable[["Harness"], Awaitable[None]]


@dataclass(frozen=True)
class Invariant:
    """One rule of the conformance suite."""

    id: str
    """Stable id: R01, W03, S02, L01, E01, D01 …"""
    rule: str
    """The rule in one line."""
    why: str
    """Why it matters (the check's docstring)."""
    check: Check
    requires: frozenset[Requirement] = field(default_factory=frozenset)
    declared: Check | None = None
    """Run instead of ``check`` when a requirement is declared unsupported: proves the
    declaration holds (the method raises ``NotSupported`` and sends nothing)."""

    @property
    def name(self) -> str:
        """A short name from the check function (``r13_listing_under_change`` →
        ``listing under change``), shown next to the id in the matrix."""
        raw = getattr(self.check, "__name__", "") or self.id
        return re.sub(r"^[a-z]\d+_", "", raw).replace("_", " ")

    @property
    def family(self) -> str:
        """Read, Write, Security, Limits, Errors or Differential."""
        return {
            "R": "read",
            "W": "write",
            "S": "security",
            "L": "limits",
            "E": "errors",
            "D": "differential",
        }.get(self.id[0], "other")


REGISTRY: dict[str, Invariant] = {}


def invariant(
    id: str, rule: str, *, requires: Iterable[Requirement] = ()
) -> Callable[[Check], Check]:
    """Register ``check`` as invariant ``id``; its docstring is the why."""

    def register(check: Check) -> Check:
        if id in REGISTRY:
            raise ValueError(f"invariant {id} registered twice")
        REGISTRY[id] = Invariant(
            id=id,
            rule=rule,
            why=(check.__doc__ or "").strip(),
            check=check,
            requires=frozenset(requires),
        )
        return check

    return register


def declared(id: str) -> Callable[[Check], Check]:
    """Attach the declaration check used when invariant ``id`` is not applicable."""

    def attach(check: Check) -> Check:
        inv = REGISTRY[id]
        REGISTRY[id] = Invariant(inv.id, inv.rule, inv.why, inv.check, inv.requires, check)
        return check

    return attach


def invariants() -> list[Invariant]:
    """Every registered invariant, in id order (imports the suite on first use)."""
    import reposix_contract._invariants  # noqa: F401  (registers on import)

    return [REGISTRY[k] for k in sorted(REGISTRY, key=lambda i: ("RWSLED".find(i[0]), i))]
