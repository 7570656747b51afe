"""httpx's command-line client, loaded only if something calls it.

``import httpx`` imports its CLI module, ``httpx._main``, whenever click, rich and
pygments are installed, as they are wherever reposix's own CLI is: about 40 ms of a
process's start (a third of importing httpx), spent on a CLI reposix never runs.
Upstream knows (https://github.com/encode/httpx/discussions/3523,
https://github.com/encode/httpx/pull/3547, still open); the pydantic fork made the
import lazy (https://github.com/pydantic/httpx2/pull/947).

Until httpx does the same, [`defer`][] puts a stand-in for ``httpx._main`` in
``sys.modules`` before httpx is first imported (Python's module cache:
https://docs.python.org/3/reference/import.html#the-module-cache). Its ``main`` loads
the real module on the first call and runs it, and any other name loads it on first
access, so ``httpx.main`` behaves as before. The ``httpx`` command is a process of its
own that never imports reposix, so it is untouched. Nothing happens when httpx is
already imported (then its CLI is loaded too and there is nothing to save), nor when
click, rich or pygments is missing (httpx then skips its CLI itself and ``httpx.main``
prints its own install hint). The stand-in answers ``find_spec`` (it has a spec) and
``hasattr``/``pickle`` probes (a name the real module lacks, or a CLI that cannot load,
is an ``AttributeError``). It has no loader or file: ``importlib.reload`` of it, or
``inspect.getsource`` on it, fails until something has loaded the real module.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["defer"]

_NAME = "httpx._main"
_CLI_EXTRAS = ("click", "rich", "pygments")
"""What ``httpx._main`` imports at its top (httpx 0.28)."""


def _real() -> types.ModuleType:
    """The real ``httpx._main``, imported now if the stand-in still holds its place."""
    import importlib

    if getattr(sys.modules.get(_NAME), "_reposix_stand_in", False):
        sys.modules.pop(_NAME, None)
    return importlib.import_module(_NAME)


def _main(*args: Any, **kwargs: Any) -> Any:
    """``httpx.main``: the real CLI entry point, loaded on this first call."""
    return _real().main(*args, **kwargs)


def _getattr(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_real(), name)
    except ImportError as exc:  # a probe (hasattr, pickle) must see a missing name
        raise AttributeError(name) from exc


def defer() -> None:
    """Let a later ``import httpx`` skip loading its CLI (see the module docstring)."""
    if "httpx" in sys.modules or _NAME in sys.modules:
        return
    from importlib.machinery import ModuleSpec
    from importlib.util import find_spec

    try:
        if any(find_spec(extra) is None for extra in _CLI_EXTRAS):
            return  # httpx will not load its CLI anyway
    except (ImportError, ValueError):  # a broken install or finder: leave httpx alone
        return
    stand_in = types.ModuleType(_NAME, "Stand-in for httpx's CLI module (see reposix._httpx_cli).")
    stand_in.__spec__ = ModuleSpec(_NAME, None)
    stand_in.main = _main  # type: ignore[attr-defined]
    stand_in._reposix_stand_in = True  # type: ignore[attr-defined]
    setattr(stand_in, "__getattr__", _getattr)  # noqa: B010 (a module's __getattr__, PEP 562)
    sys.modules[_NAME] = stand_in
