"""The integration registry: several optional integrations side by side, from a TOML file.

Schema (one table per integration under ``[integrations]``; every key but ``connector``
and ``project`` optional)::

    [integrations.upstream]
    connector = "github"          # an installed connector (see `reposix doctor`)
    project = "octo-org/hello"    # the connector's project string
    enabled = true                # default false: integrations are opt-in
    url = "https://ghe.example/github/projects/octo-org/hello"  # optional remote URL
    [integrations.upstream.options]
    page_size = 50                # records per request
    max_records = 10000           # cap on one listing

Validation (`load_registry`) reports every problem at once, one per line, as a
``ConfigError``: unknown keys, wrong types, unknown connectors, malformed URLs, and an
enabled integration whose credentials are missing from the environment.

`fan_out` runs a coroutine per integration concurrently and returns an
[`Outcome`][reposix_contract.Outcome] for each: the value, or the error that integration raised. One
integration failing (auth, rate limit, outage, egress denied) never cancels or hides
another.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from reposix._errors import ConfigError, MissingCredentials, ReposixError

__all__ = ["Integration", "IntegrationRegistry", "Outcome", "fan_out", "load_registry"]

T = TypeVar("T")


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    page_size: StrictInt | None = Field(default=None, ge=1)
    max_records: StrictInt | None = Field(default=None, ge=1)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    connector: StrictStr
    project: StrictStr = Field(min_length=1)
    enabled: StrictBool = False
    url: StrictStr | None = None
    options: _Options = Field(default_factory=_Options)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    integrations: dict[str, _Entry] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Integration:
    """One configured integration; ``url`` is its canonical remote URL."""

    name: str
    connector: str
    project: str
    enabled: bool
    url: str
    page_size: int | None = None
    max_records: int | None = None


@dataclass(frozen=True, slots=True)
class IntegrationRegistry:
    """Every configured integration by name (enabled or not)."""

    integrations: Mapping[str, Integration]

    def enabled(self) -> list[Integration]:
        """The enabled integrations, by name."""
        return [i for _, i in sorted(self.integrations.items()) if i.enabled]

    def get(self, name: str) -> Integration:
        """One integration (``ConfigError`` naming the configured ones if unknown)."""
        try:
            return self.integrations[name]
        except KeyError:
            known = ", ".join(sorted(self.integrations)) or "none"
            raise ConfigError(
                f"no integration named {name!r}", hint=f"configured: {known}"
            ) from None


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """One integration's result: ``value`` when ``ok``, else ``error``."""

    name: str
    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True when the integration's coroutine returned."""
        return self.error is None


def _where(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def load_registry(
    path: str | Path, *, environ: Mapping[str, str] | None = None
) -> IntegrationRegistry:
    """Read and validate the TOML configuration at ``path`` (see the module docstring)."""
    from reposix._dispatch import resolve

    source = Path(path)
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the integrations file {source}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as exc:
        lines = [f"  {_where(e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(
            f"{source} does not fit the integrations schema:\n" + "\n".join(lines),
            hint="see the schema in the sync how-to (docs/how-to/sync.md)",
        ) from None
    problems: list[str] = []
    found: dict[str, Integration] = {}
    for name, entry in sorted(parsed.integrations.items()):
        target = entry.url or f"{entry.connector}::{entry.project}"
        try:
            remote = resolve(target, environ=environ)
        except ReposixError as exc:
            problems.append(f"  integrations.{name}: {exc.message}")
            continue
        if remote.connector != entry.connector or remote.project != entry.project:
            problems.append(
                f"  integrations.{name}: url names {remote.connector}::{remote.project}, "
                f"not {entry.connector}::{entry.project}"
            )
            continue
        if entry.enabled:
            missing = _missing_credentials(remote, environ)
            if missing:
                problems.append(
                    f"  integrations.{name}: enabled, but {entry.connector} needs "
                    + ", ".join(missing)
                )
                continue
        found[name] = Integration(
            name=name,
            connector=entry.connector,
            project=entry.project,
            enabled=entry.enabled,
            url=remote.url,
            page_size=entry.options.page_size,
            max_records=entry.options.max_records,
        )
    if problems:
        raise ConfigError(
            f"{source} has {len(problems)} invalid integration(s):\n" + "\n".join(problems),
            hint="fix each line, or set enabled = false on an integration you do not use",
        )
    return IntegrationRegistry(found)


def _missing_credentials(remote: object, environ: Mapping[str, str] | None) -> list[str]:
    """The variables the connector's ``build`` reports missing (nothing is sent)."""
    from reposix._audit_event import MemoryAuditSink
    from reposix._dispatch import ParsedRemote, instantiate
    from reposix._runtime import Runtime

    assert isinstance(remote, ParsedRemote)
    try:
        instantiate(remote, runtime=Runtime(audit=MemoryAuditSink()), environ=environ)
    except MissingCredentials as exc:
        return list(exc.missing)
    return []


async def fan_out(
    integrations: Iterable[Integration], run: Callable[[Integration], Awaitable[T]]
) -> list[Outcome[T]]:
    """``run`` for every integration concurrently; an `Outcome` each, in order.

    An integration that raises gets its error in its outcome; the others keep running.
    """

    async def one(integration: Integration) -> Outcome[T]:
        try:
            return Outcome(integration.name, value=await run(integration))
        except Exception as exc:
            return Outcome(integration.name, error=exc)

    return list(await asyncio.gather(*(one(i) for i in integrations)))
