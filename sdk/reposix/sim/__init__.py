"""The simulator: a stateful issue tracker served over HTTP, and its connector.

It is the control every connector is compared against. Pieces:

- :class:`~reposix.sim._store.SimStore`: projects and records in SQLite (in memory or a file);
- :class:`~reposix.sim._faults.Faults`: switchable fault injection;
- :func:`~reposix.sim._app.create_app`: the ASGI app (mount it in-process or serve it);
- :class:`~reposix.sim._backend.SimBackend`: the connector, built on the gated client.

Nothing here is imported by ``import reposix``; names load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reposix.sim._app import SimApp, create_app
    from reposix.sim._backend import SimBackend
    from reposix.sim._faults import Faults
    from reposix.sim._seed import DEMO_SEED, load_seed_file
    from reposix.sim._store import Conflict, SimStore, UnknownProject, UnknownRecord

_EXPORTS: dict[str, str] = {
    "SimApp": "reposix.sim._app",
    "create_app": "reposix.sim._app",
    "SimBackend": "reposix.sim._backend",
    "Faults": "reposix.sim._faults",
    "DEMO_SEED": "reposix.sim._seed",
    "load_seed_file": "reposix.sim._seed",
    "Conflict": "reposix.sim._store",
    "SimStore": "reposix.sim._store",
    "UnknownProject": "reposix.sim._store",
    "UnknownRecord": "reposix.sim._store",
}

__all__ = [
    "DEMO_SEED",
    "Conflict",
    "Faults",
    "SimApp",
    "SimBackend",
    "SimStore",
    "UnknownProject",
    "UnknownRecord",
    "create_app",
    "load_seed_file",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'reposix.sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
