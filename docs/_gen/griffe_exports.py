"""Griffe extension for the API reference: the public names are each package's ``__all__``.

``reposix``, ``reposix.sim`` and ``reposix_contract`` derive ``__all__`` from their one
export table at run time, which griffe's static reading cannot evaluate; this reads it
from the imported package so the API reference documents exactly the public surface.
"""

from __future__ import annotations

import importlib
from typing import Any

import griffe

PUBLIC_PACKAGES = ("reposix", "reposix.sim", "reposix_contract")


class RuntimeExports(griffe.Extension):
    """Set each public package's exports from its runtime ``__all__``."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for path in PUBLIC_PACKAGES:
            top, _, rest = path.partition(".")
            if top != pkg.path:
                continue
            module = pkg if not rest else pkg[rest]
            module.exports = list(importlib.import_module(path).__all__)
