"""Every environment variable the SDK, the simulator and the conformance kit read, declared once.

Code reads a variable only through its declaration here (``AUDIT_DB.get()``), so this
table is the whole list: the docs' "Environment variables" page is generated from
`ENVIRONMENT` at build time, and a test (``tests/sdk/test_env_registry.py``) scans the
code and fails on a ``REPOSIX_*`` name read without a declaration, or a declaration no
code reads.

Connector credentials (``GITHUB_TOKEN``, ``REPOSIX_JIRA_INSTANCE``, ...) are not here:
each connector plugin declares its own in ``ConnectorPlugin.env_vars``, and the page
lists them from the installed plugins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from reposix._errors import ConfigError

__all__ = [
    "ALLOWED_ORIGINS",
    "AUDIT_DB",
    "CI",
    "CONTRACT_MINIMIZE_SECONDS",
    "CONTRACT_RANDOM",
    "CONTRACT_THOROUGH",
    "ENVIRONMENT",
    "SIM_ADMIN_TOKEN",
    "SIM_TOKEN",
    "SYNC_STATE",
    "XDG_STATE_HOME",
    "EnvVar",
]


@dataclass(frozen=True, slots=True)
class EnvVar:
    """One environment variable: its name, the shape of its value, its default and its use.

    ``shape``, ``default``, ``meaning`` and ``read_by`` are Markdown for the docs page;
    ``unit`` names the unit of a numeric value ("" when it has none).
    """

    name: str
    shape: str
    default: str
    meaning: str
    read_by: str
    unit: str = ""
    secret: bool = False
    """A token: its value never appears in output (the CLI hides it in ``--help``)."""

    def get(self, environ: Mapping[str, str] | None = None) -> str:
        """The value with surrounding blanks stripped; ``""`` when unset or blank."""
        env = os.environ if environ is None else environ
        return env.get(self.name, "").strip()

    def flag(self, environ: Mapping[str, str] | None = None) -> bool:
        """A switch: on unless unset, blank or ``0``."""
        return self.get(environ) not in ("", "0")

    def seconds(self, environ: Mapping[str, str] | None = None) -> float | None:
        """A non-negative number of seconds, or None when unset.

        ``ConfigError`` naming the variable when the value is not a number or negative.
        """
        raw = self.get(environ)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not value >= 0:  # also rejects nan
            raise ConfigError(
                f"{self.name}={raw!r} is not a number of seconds",
                hint=f"set {self.name} to a number >= 0 (e.g. 20), or unset it",
            )
        return value


ALLOWED_ORIGINS = EnvVar(
    "REPOSIX_ALLOWED_ORIGINS",
    shape="comma-separated `scheme://host[:port]` origins; port `*` = any",
    default="loopback only: `http://127.0.0.1:*`, `http://localhost:*`, `http://[::1]:*`",
    meaning="The origins the SDK's HTTP client may contact; every other request is refused "
    "with `EgressDenied` before it is sent. See [the allowlist](http.md#allowlist).",
    read_by="`reposix.client()` (when built without `Runtime(allowlist=...)`), `reposix doctor`",
)
AUDIT_DB = EnvVar(
    "REPOSIX_AUDIT_DB",
    shape="a file path, or `:memory:`",
    default="`$XDG_STATE_HOME/reposix/audit.db`",
    meaning="The SQLite [audit log](audit.md) every request and write is recorded in; "
    "`:memory:` keeps it in memory (gone when the process exits).",
    read_by="the default audit sink (`Runtime(audit=None)`), `reposix audit verify`",
)
XDG_STATE_HOME = EnvVar(
    "XDG_STATE_HOME",
    shape="a directory path",
    default="`~/.local/state`",
    meaning="Base directory of the default audit database and sync state "
    "(the XDG Base Directory convention).",
    read_by="the default audit sink, `reposix sync`",
)
SYNC_STATE = EnvVar(
    "REPOSIX_SYNC_STATE",
    shape="a file path",
    default="`sync.db` beside the default audit database",
    meaning="The SQLite state file of [`reposix sync`](how-to/sync.md): which target record "
    "mirrors which source record.",
    read_by="`reposix sync` (without `--state`)",
)
SIM_TOKEN = EnvVar(
    "REPOSIX_SIM_TOKEN",
    shape="a bearer token",
    default="unset: the simulator requires no token",
    meaning="The bearer token `reposix sim` requires on every request but `/healthz`; "
    "the `sim` connector sends it (also declared by the `sim` plugin, below).",
    read_by="`reposix sim --token`, the `sim` connector",
    secret=True,
)
SIM_ADMIN_TOKEN = EnvVar(
    "REPOSIX_SIM_ADMIN_TOKEN",
    shape="a bearer token",
    default="unset: a random token is generated and printed",
    meaning="The token of the simulator's `/_admin/*` routes "
    "([fault injection](how-to/sim-faults.md), reset).",
    read_by="`reposix sim --admin-token`",
    secret=True,
)
CONTRACT_THOROUGH = EnvVar(
    "REPOSIX_CONTRACT_THOROUGH",
    shape="`1` or `0`",
    default="`0`: the fast profile",
    meaning="`1` runs the kit's property checks with the thorough profile "
    "(ten times the examples), like `--reposix-thorough`.",
    read_by="the conformance kit",
)
CONTRACT_RANDOM = EnvVar(
    "REPOSIX_CONTRACT_RANDOM",
    shape="`1` or `0`",
    default="`0`: derandomized",
    meaning="`1` lets property checks explore new examples instead of replaying the same "
    "ones; ignored when `CI` is set (CI verdicts stay reproducible).",
    read_by="the conformance kit",
)
CONTRACT_MINIMIZE_SECONDS = EnvVar(
    "REPOSIX_CONTRACT_MINIMIZE_SECONDS",
    shape="a number >= 0",
    unit="seconds",
    default="`20` (`200` under the thorough profile)",
    meaning="How long a property check searches for a minimal failing example after one "
    "of its explicit edge cases failed; `0` reports the edge case at once.",
    read_by="the conformance kit",
)
CI = EnvVar(
    "CI",
    shape="any non-empty value",
    default="unset",
    meaning="Set by CI services: property checks always run derandomized.",
    read_by="the conformance kit",
)

ENVIRONMENT: tuple[EnvVar, ...] = (
    ALLOWED_ORIGINS,
    AUDIT_DB,
    XDG_STATE_HOME,
    SYNC_STATE,
    SIM_TOKEN,
    SIM_ADMIN_TOKEN,
    CONTRACT_THOROUGH,
    CONTRACT_RANDOM,
    CONTRACT_MINIMIZE_SECONDS,
    CI,
)
"""Every declared variable, in the docs page's order."""
