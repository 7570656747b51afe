"""Credentials from environment variables, as [`Secret`][reposix.Secret] values."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence

from reposix._errors import MissingCredentials
from reposix._secret import Secret

__all__ = ["Credentials", "from_env"]


class Credentials(Mapping[str, Secret]):
    """Env var name → secret value. Its repr shows names only."""

    def __init__(self, values: Mapping[str, Secret] | None = None) -> None:
        self._values = dict(values or {})

    def __getitem__(self, key: str) -> Secret:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Credentials({sorted(self._values)})"

    def text(self, key: str) -> str:
        """A non-secret setting (an email, a site name) stored alongside the secrets."""
        return self._values[key].reveal()


def from_env(
    connector: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    environ: Mapping[str, str] | None = None,
    doc_page: str | None = None,
) -> Credentials:
    """Read ``required`` (and ``optional``) env vars; ``MissingCredentials`` lists every gap."""
    env = os.environ if environ is None else environ
    missing = [name for name in required if not env.get(name, "").strip()]
    if missing:
        raise MissingCredentials(connector, missing, doc_page=doc_page)
    names = list(required) + [n for n in optional if env.get(n, "").strip()]
    return Credentials({name: Secret(env[name].strip()) for name in names})
