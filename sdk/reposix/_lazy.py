"""The one lazy re-export mechanism behind ``reposix``, ``reposix.sim`` and ``reposix_contract``.

Each public package keeps one export table (defining module -> the names it exports) and
derives ``__all__``, ``__getattr__`` and ``__dir__`` from it here, so importing a package
costs nothing until a name is used.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, tuple[str, ...]], *, eager: tuple[str, ...] = ()
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` for ``package`` from its export table.

    A name is imported from its defining module on first access and then cached in the
    package's namespace; a name that is a submodule of its defining module (``adf`` of
    ``reposix._formats``) is imported as that module. ``eager`` names are already set
    in the package (``__version__``) and only join ``__all__``.

    A class defined in one of the package's private modules is shown as the package's
    own (``__module__`` set to ``package``, as httpx does), so its repr, help and
    pickles name the public path (``reposix.Record``), not ``reposix._records``.
    """
    module_of = {name: module for module, names in exports.items() for name in names}
    public = sorted([*module_of, *eager])
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        owner = _import(module)
        try:
            value = getattr(owner, name)
        except AttributeError:
            value = _import(f"{module}.{name}")
        _claim(value, package)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return public

    return public, __getattr__, __dir__


def _import(module: str) -> Any:
    """``importlib.import_module(module)`` through the ``import`` statement's own path, so
    ``python -X importtime`` lists the module (and its time) instead of adding it to the
    self time of whichever module first touched the name."""
    __import__(module)
    return sys.modules[module]


def _claim(value: Any, package: str) -> None:
    """Set ``value.__module__`` to ``package`` if a private module of it defines ``value``."""
    if not isinstance(value, type):
        # Functions keep their module: code resolves their string annotations through it.
        return
    module = getattr(value, "__module__", "") or ""
    if module.startswith(f"{package}._"):
        value.__module__ = package
