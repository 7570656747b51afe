"""Up-front checks before the kit runs: its extra is installed, its report paths are usable.

Cheap on purpose (standard library only): the pytest plugin calls these at configure
time and ``reposix contract`` before anything runs, so a missing extra or a bad
``--report`` path is one usage error, not a traceback after the whole suite.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from reposix._main import missing_modules

__all__ = ["KIT_EXTRA", "KIT_MODULES", "missing_kit_modules", "report_path_problems"]

KIT_EXTRA = "reposix-sdk[contract]"
"""The extra that installs what the kit needs on top of the SDK."""
KIT_MODULES = ("pytest", "respx", "hypothesis", "rich", "starlette", "graphql")
"""The modules the kit's extra brings (checked before the kit runs)."""


def missing_kit_modules() -> list[str]:
    """The ``KIT_MODULES`` that cannot be imported, in order (the ``reposix`` command's
    own check for its extra, looked up, not imported)."""
    return missing_modules(*KIT_MODULES)


def report_path_problems(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Why each report path could not be written, one sentence each (empty if all can).

    A path must name a file: not an existing directory, not under a regular file, and
    its nearest existing ancestor must be a writable directory (missing parents are
    created when the report is written).
    """
    problems = []
    for raw in paths:
        text = os.fspath(raw)
        path = Path(text)
        if not text.strip():
            problems.append("report path is empty")
        elif path.is_dir() or text.endswith(("/", os.sep)):
            example = path / "matrix.md"
            problems.append(f"{text}: is a directory; give a file path such as {example}")
        elif path.exists() and not os.access(path, os.W_OK):
            problems.append(f"{text}: the file is not writable")
        else:
            parent = path.absolute().parent
            while not parent.exists() and parent != parent.parent:
                parent = parent.parent
            if not parent.is_dir():
                problems.append(f"{text}: {parent} is a file, not a directory")
            elif not os.access(parent, os.W_OK | os.X_OK):
                problems.append(f"{text}: cannot create files in {parent}")
    return problems
