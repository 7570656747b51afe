"""Building blocks for wire fakes: stateful in-process emulations of a backend's HTTP API."""

from reposix._faults import DECOY_ORIGIN, FOREIGN_ORIGIN
from reposix_contract._fakes.base import (
    FakeConflict,
    FakeProjects,
    FakeStore,
    Knobs,
    WireFake,
)

__all__ = [
    "DECOY_ORIGIN",
    "FOREIGN_ORIGIN",
    "FakeConflict",
    "FakeProjects",
    "FakeStore",
    "Knobs",
    "WireFake",
]
