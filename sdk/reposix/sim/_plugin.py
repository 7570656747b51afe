"""The simulator's connector plugin (entry point ``sim`` in ``reposix.connectors``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reposix._plugin import ConnectorPlugin

if TYPE_CHECKING:
    from reposix._backend import BackendConnector
    from reposix._credentials import Credentials
    from reposix._runtime import Runtime

__all__ = ["plugin"]


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> BackendConnector:
    """A [`SimBackend`][reposix.sim.SimBackend]; ``REPOSIX_SIM_TOKEN`` is optional."""
    from reposix.sim._backend import TOKEN_ENV, SimBackend

    token = credentials.get(TOKEN_ENV)
    return SimBackend(base_url, token=token, runtime=runtime)


plugin = ConnectorPlugin(
    name="sim",
    build=build,
    default_base_url="http://127.0.0.1:7878",
    env_vars=("REPOSIX_SIM_TOKEN",),
    url_forms=(
        "http://127.0.0.1:{port}/projects/{project}",
        "http://localhost:{port}/projects/{project}",
    ),
    fake="reposix_contract._fakes.sim:sim_fake",
    sample_project="demo",
    docs="simulator.md",
)
"""The simulator plugin: no credentials required; ``REPOSIX_SIM_TOKEN`` if it has a token."""
