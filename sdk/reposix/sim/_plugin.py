"""The simulator's connector plugin (entry point ``sim`` in ``reposix.connectors``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reposix._env import SIM_TOKEN
from reposix._plugin import ConnectorPlugin, UrlForm

if TYPE_CHECKING:
    from reposix._credentials import Credentials
    from reposix._runtime import Runtime
    from reposix.sim._backend import SimBackend

__all__ = ["plugin"]


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> SimBackend:
    """A [`SimBackend`][reposix.sim.SimBackend]; ``REPOSIX_SIM_TOKEN`` is optional."""
    from reposix.sim._backend import TOKEN_ENV, SimBackend

    token = credentials.get(TOKEN_ENV)
    return SimBackend(base_url, token=token, runtime=runtime)


plugin = ConnectorPlugin(
    name="sim",
    build=build,
    default_base_url="http://127.0.0.1:7878",
    env_vars=(SIM_TOKEN.name,),
    url_forms=(
        UrlForm(
            "http://{loopback}:{port}/projects/{project}",
            defaults={"loopback": "127.0.0.1", "port": "7878"},
            note="any loopback host: 127.0.0.0/8, localhost, [::1]",
        ),
    ),
    fake="reposix_contract._fakes.sim:sim_fake",
    sample_project="demo",
    docs="simulator.md",
)
"""The simulator plugin: no credentials required; ``REPOSIX_SIM_TOKEN`` if it has a token."""


def __getattr__(name: str) -> object:
    if name == "SimBackend":  # resolves ``build``'s return annotation lazily (reposix doctor)
        from reposix.sim._backend import SimBackend

        return SimBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
