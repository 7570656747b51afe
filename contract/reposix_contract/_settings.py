"""The kit's run settings: thorough or fast, and how many hypothesis examples that means.

Set by the pytest plugin (``--reposix-thorough``) and the ``reposix contract`` CLI;
invariants read them through `thorough` and `max_examples`. The env var
``REPOSIX_CONTRACT_THOROUGH=1`` turns the thorough profile on from outside.
"""

from __future__ import annotations

import os

from reposix._env import CI, CONTRACT_MINIMIZE_SECONDS, CONTRACT_RANDOM, CONTRACT_THOROUGH

__all__ = [
    "MINIMIZE_ENV",
    "THOROUGH_ENV",
    "deterministic",
    "max_examples",
    "minimize_seconds",
    "set_thorough",
    "thorough",
]

MINIMIZE_ENV = CONTRACT_MINIMIZE_SECONDS.name

THOROUGH_ENV = CONTRACT_THOROUGH.name
_thorough: bool | None = None


def set_thorough(value: bool) -> None:
    """Switch the thorough profile on or off for this process (and its subprocesses)."""
    global _thorough
    _thorough = value
    os.environ[THOROUGH_ENV] = "1" if value else "0"


def thorough() -> bool:
    """Whether property checks run many examples (``--reposix-thorough``)."""
    if _thorough is not None:
        return _thorough
    return CONTRACT_THOROUGH.flag()


def deterministic() -> bool:
    """Whether hypothesis runs derandomized: always in CI (``$CI`` set), and by default.

    The fast profile is small, so it uses hypothesis' deterministic search to give the
    same verdict on every machine; set ``REPOSIX_CONTRACT_RANDOM=1`` locally to explore.
    """
    if CI.get():
        return True
    return not CONTRACT_RANDOM.flag()


def max_examples(default: int, many: int | None = None) -> int:
    """``default`` examples normally, ``many`` (10x default if None) under the thorough profile."""
    if thorough():
        return many if many is not None else default * 10
    return default


def minimize_seconds() -> float:
    """How long a property check may search for a minimal failing example once one of its
    explicit edge cases failed: 20 s (ten times more under the thorough profile), or
    ``$REPOSIX_CONTRACT_MINIMIZE_SECONDS`` (0 reports the edge case at once; a malformed
    value is a ``ConfigError``)."""
    configured = CONTRACT_MINIMIZE_SECONDS.seconds()
    if configured is not None:
        return configured
    return 200.0 if thorough() else 20.0
