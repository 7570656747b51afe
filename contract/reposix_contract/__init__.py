"""The reposix conformance kit: ``pytest --reposix-contract``.

What a third-party connector needs to build a wire fake is re-exported here, lazily:
the fault vocabulary it shares with the simulator (``PageFaults``, ``Knobs``,
``MidListing``, the decoy and foreign origins) and the fake building blocks.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reposix._faults import (
        DECOY_ORIGIN,
        FOREIGN_ORIGIN,
        MID_LISTING,
        MidListing,
        PageFaults,
    )
    from reposix_contract._fakes.base import (
        FakeConflict,
        FakeProjects,
        FakeStore,
        Knobs,
        Served,
        WireFake,
    )

_EXPORTS: dict[str, str] = {
    "DECOY_ORIGIN": "reposix._faults",
    "FOREIGN_ORIGIN": "reposix._faults",
    "MID_LISTING": "reposix._faults",
    "MidListing": "reposix._faults",
    "PageFaults": "reposix._faults",
    "FakeConflict": "reposix_contract._fakes.base",
    "FakeProjects": "reposix_contract._fakes.base",
    "FakeStore": "reposix_contract._fakes.base",
    "Knobs": "reposix_contract._fakes.base",
    "Served": "reposix_contract._fakes.base",
    "WireFake": "reposix_contract._fakes.base",
}

__all__ = [
    "DECOY_ORIGIN",
    "FOREIGN_ORIGIN",
    "MID_LISTING",
    "FakeConflict",
    "FakeProjects",
    "FakeStore",
    "Knobs",
    "MidListing",
    "PageFaults",
    "Served",
    "WireFake",
]
assert sorted(__all__) == sorted(_EXPORTS), "__all__ and _EXPORTS disagree"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'reposix_contract' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
