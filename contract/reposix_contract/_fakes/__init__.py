"""Building blocks for wire fakes: stateful in-process emulations of a backend's HTTP API."""

from reposix_contract._fakes.base import (
    DECOY_ORIGIN,
    FakeConflict,
    FakeProjects,
    FakeStore,
    Knobs,
    WireFake,
)

__all__ = ["DECOY_ORIGIN", "FakeConflict", "FakeProjects", "FakeStore", "Knobs", "WireFake"]
