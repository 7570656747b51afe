"""The simulator: a stateful issue tracker served over HTTP, and its connector.

It is the control every connector is compared against. Pieces:

- [`SimStore`][reposix.sim.SimStore]: projects and records in SQLite (in memory or a file);
- [`Faults`][reposix.sim.Faults]: switchable fault injection;
- [`create_app`][reposix.sim.create_app]: the ASGI app (mount it in-process or serve it);
- [`SimBackend`][reposix.sim.SimBackend]: the connector, built on the gated client.

Nothing here is imported by ``import reposix``; names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reposix._lazy import lazy_exports

if TYPE_CHECKING:
    from reposix.sim._app import SimApp as SimApp
    from reposix.sim._app import create_app as create_app
    from reposix.sim._backend import SimBackend as SimBackend
    from reposix.sim._faults import Faults as Faults
    from reposix.sim._seed import DEMO_SEED as DEMO_SEED
    from reposix.sim._seed import load_seed_file as load_seed_file
    from reposix.sim._store import Conflict as Conflict
    from reposix.sim._store import SimStore as SimStore
    from reposix.sim._store import UnknownProject as UnknownProject
    from reposix.sim._store import UnknownRecord as UnknownRecord

_EXPORTS: dict[str, tuple[str, ...]] = {
    "reposix.sim._app": ("SimApp", "create_app"),
    "reposix.sim._backend": ("SimBackend",),
    "reposix.sim._faults": ("Faults",),
    "reposix.sim._seed": ("DEMO_SEED", "load_seed_file"),
    "reposix.sim._store": ("Conflict", "SimStore", "UnknownProject", "UnknownRecord"),
}
"""The public surface: defining module -> the names it exports (the one table)."""

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
