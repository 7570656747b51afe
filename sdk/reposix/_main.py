"""The ``reposix`` console script: check the ``[cli]`` extra is installed, then run the CLI.

A bare ``pip install reposix-sdk`` has no click or rich (connectors do not need them).
This module imports nothing heavy, so without the extra the command says which extra to
install, in one line, and exits with status 2 instead of a traceback.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["CLI_EXTRA_HINT", "main", "missing_modules"]

CLI_EXTRA_HINT = "reposix: the command line needs the [cli] extra: pip install 'reposix-sdk[cli]'"


def missing_modules(*names: str) -> list[str]:
    """Which of ``names`` cannot be imported here (looked up, not imported)."""
    missing = []
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def main() -> None:
    """Entry point of the ``reposix`` command."""
    if missing_modules("click", "rich"):
        print(CLI_EXTRA_HINT, file=sys.stderr)
        raise SystemExit(2)
    from reposix._cli import main as cli_main

    cli_main()
