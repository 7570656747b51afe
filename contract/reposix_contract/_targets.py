"""Targets: what the kit checks — a connector's build function paired with its wire fake.

A `Target` comes from a registered `ConnectorPlugin`
(`from_plugin`, `load_targets`), from the simulator (`sim_control`,
the control every connector is compared against), or is made directly — the
kit's gallery of broken connectors derives targets from the sim control with
`derive`.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from reposix._backend import BackendConnector
from reposix._clock import VirtualClock
from reposix._plugin import ENTRY_POINT_GROUP, BuildFn, ConnectorPlugin
from reposix_contract._fakes.base import FakeProjects, FakeStore, Knobs
from reposix_contract._registry import requirement_met

if TYPE_CHECKING:
    from reposix_contract._harness import ServerState
    from reposix_contract._registry import Invariant

__all__ = [
    "SECRET_MARKERS",
    "KitFake",
    "Target",
    "from_plugin",
    "load_targets",
    "make_fake",
    "registered_names",
    "secret_vars",
    "sim_control",
]

SECRET_MARKERS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "PASS")
"""Credential env var names containing one of these carry a secret (the kit's canary)."""


class KitFake(Protocol):
    """What the kit needs of a fake: the [`WireFake`][reposix_contract.WireFake] protocol,
    with ``store`` read as the kit's ``ServerState`` (a ``FakeStore`` or the sim's store)."""

    name: str
    base_url: str
    knobs: Knobs
    projects: FakeProjects
    credentials: Mapping[str, str]

    @property
    def store(self) -> ServerState: ...

    async def handle(self, request: httpx.Request) -> httpx.Response: ...


FakeFactory = Callable[..., Any]
"""Builds a fake. Called with ``clock=`` or ``store=`` when it takes them, else no arguments."""


@dataclass(frozen=True)
class Target:
    """One column of the conformance matrix: a way to build a connector and its fake."""

    name: str
    build: BuildFn
    """``build(base_url, credentials, runtime) -> connector``, as in ``ConnectorPlugin``."""
    fake: FakeFactory | str | None
    """The wire-fake factory, or a lazy ``"module:attr"`` reference to it."""
    plugin: ConnectorPlugin[BackendConnector] | None = None
    control: bool = False
    """True for the simulator: the reference every other target is compared with."""
    error: str | None = None
    """Why the target could not be loaded (its items fail with this message)."""
    description: str = ""
    connector_class: type[BackendConnector] | None = field(default=None, compare=False)
    """Set by `derive`: the built connector is switched to this subclass."""

    def fake_factory(self) -> FakeFactory:
        """The factory itself (imports a lazy reference on first use)."""
        from reposix._errors import ConfigError
        from reposix._plugin import load_object

        if self.fake is None:
            raise ConfigError(
                f"connector {self.name!r} ships no wire fake",
                hint="set ConnectorPlugin.fake to 'package.module:factory' (see "
                "docs/contract/plugging-in.md)",
            )
        if isinstance(self.fake, str):
            factory: FakeFactory = load_object(self.fake)
            return factory
        return self.fake

    def make_connector(self, base_url: str, credentials: Any, runtime: Any) -> BackendConnector:
        """Build the connector (as the derived class, for gallery targets)."""
        connector = self.build(base_url, credentials, runtime)
        if self.connector_class is not None and not isinstance(connector, self.connector_class):
            connector.__class__ = self.connector_class
        return connector

    def derive(
        self,
        name: str,
        connector_class: type[BackendConnector] | None = None,
        *,
        build: BuildFn | None = None,
        description: str = "",
    ) -> Target:
        """A target on this target's fake with another connector.

        ``connector_class`` must subclass the class this target builds and add no
        constructor state: the kit builds the base connector, then switches its class
        (so a one-method override is a whole broken connector). Or pass ``build``.
        """
        return replace(
            self,
            name=name,
            build=build or self.build,
            connector_class=connector_class if build is None else None,
            control=False,
            description=description or self.description,
        )


def make_fake(target: Target, clock: VirtualClock) -> KitFake:
    """A fresh fake for ``target`` on ``clock`` (its store uses that clock)."""
    factory = target.fake_factory()
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    if "clock" in params:
        fake: KitFake = factory(clock=clock)
    elif "store" in params:
        fake = factory(store=FakeStore(clock))
    else:
        fake = factory()
    return fake


def secret_vars(fake: KitFake) -> tuple[str, ...]:
    """The fake's secret-bearing credential env vars: ``fake.secret_vars`` if it declares
    them, else every name containing one of `SECRET_MARKERS`."""
    declared = getattr(fake, "secret_vars", None)
    if declared is not None:
        return tuple(declared)
    return tuple(n for n in fake.credentials if any(m in n.upper() for m in SECRET_MARKERS))


def unmet(connector: BackendConnector, inv: Invariant) -> list[str]:
    """The requirements of ``inv`` that ``connector`` declares away."""
    return sorted(r for r in inv.requires if not requirement_met(connector.capabilities, r))


def from_plugin(plugin: ConnectorPlugin[BackendConnector]) -> Target:
    """The target for a registered connector plugin (its fake loads lazily)."""
    return Target(
        name=plugin.name,
        build=plugin.build,
        fake=plugin.fake,
        plugin=plugin,
        description=plugin.docs,
    )


def _sim_build(base_url: str, credentials: Any, runtime: Any) -> BackendConnector:
    from reposix.sim._plugin import plugin

    return plugin.build(base_url, credentials, runtime)


def sim_control() -> Target:
    """The simulator target: ``SimBackend`` on the simulator app, mounted in-process."""
    return Target(
        name="sim",
        build=_sim_build,
        fake="reposix_contract._fakes.sim:SimWireFake",
        control=True,
        description="the simulator (control)",
    )


def _failed(name: str, exc: BaseException) -> Target:
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()

    def build(base_url: str, credentials: Any, runtime: Any) -> BackendConnector:
        raise RuntimeError(detail)

    return Target(
        name=name,
        build=build,
        fake=None,
        error=f"the plugin for connector {name!r} could not be loaded: {detail}",
    )


def registered_names() -> list[str]:
    """``sim`` and the name of every plugin registered under ``reposix.connectors``, sorted,
    without importing any of them (what ``reposix contract --connector`` accepts)."""
    from importlib.metadata import entry_points

    return sorted({"sim", *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})


def load_targets(names: Sequence[str] | None = None) -> list[Target]:
    """The sim control and every connector registered under ``reposix.connectors``.

    The plugin named ``sim`` is the control, not a connector. A plugin whose entry
    point fails to import becomes a target with ``error`` set (its items fail), so
    one broken package cannot hide the others. ``names`` narrows the connectors; the
    sim control always stays first, so each connector's column sits beside the control.
    """
    from importlib.metadata import entry_points

    targets = [sim_control()]
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name == "sim":
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            targets.append(_failed(ep.name, exc))
            continue
        if not isinstance(plugin, ConnectorPlugin):
            targets.append(
                _failed(ep.name, TypeError(f"{ep.value} is not a reposix.ConnectorPlugin"))
            )
            continue
        targets.append(from_plugin(plugin))
    if names:
        wanted = list(dict.fromkeys(["sim", *names]))
        known = {t.name: t for t in targets}
        out = []
        for name in wanted:
            if name in known:
                out.append(known[name])
            else:
                out.append(
                    _failed(
                        name,
                        LookupError(
                            f"no connector named {name!r} is registered under "
                            f"{ENTRY_POINT_GROUP!r} (known: {', '.join(sorted(known))})"
                        ),
                    )
                )
        return out
    return targets
