"""reposix connector for {{ cookiecutter.connector_title }}, with its wire fake.

The package import stays light (only the plugin declaration); the connector,
its HTTP stack and the wire fake load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reposix import ConnectorPlugin, MissingCredentials

if TYPE_CHECKING:
    from reposix import Credentials, Runtime

    from {{ cookiecutter.package_name }}.connector import (
        {{ cookiecutter.__class_prefix }}Connector,
    )

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_VAR",
    "ENV_VARS",
    "NAME",
    "{{ cookiecutter.__class_prefix }}Connector",
    "build",
    "from_env",
    "plugin",
]

NAME = "{{ cookiecutter.connector_name }}"
"""The connector's stable tag: entry-point name, audit rows, test ids."""
DEFAULT_BASE_URL = "{{ cookiecutter.base_url }}"
"""Where the API lives. Add its origin to REPOSIX_ALLOWED_ORIGINS to reach it."""
ENV_VAR = "{{ cookiecutter.credential_env_var }}"
"""The environment variable holding the API token."""
# TODO(connector author): list every credential env var here (required ones first).
ENV_VARS = (ENV_VAR,)


def build(
    base_url: str,
    credentials: Credentials,
    runtime: Runtime,
) -> {{ cookiecutter.__class_prefix }}Connector:
    """Build the connector for ``base_url`` (the plugin's build function)."""
    from {{ cookiecutter.package_name }}.connector import (
        {{ cookiecutter.__class_prefix }}Connector,
    )

    missing = [name for name in ENV_VARS if name not in credentials]
    if missing:
        raise MissingCredentials(NAME, missing)
    return {{ cookiecutter.__class_prefix }}Connector(
        credentials[ENV_VAR],
        base_url=base_url,
        runtime=runtime,
    )


plugin = ConnectorPlugin(
    name=NAME,
    build=build,
    default_base_url=DEFAULT_BASE_URL,
    env_vars=ENV_VARS,
    # TODO(connector author): the remote-URL forms users paste for a project.
    url_forms=(DEFAULT_BASE_URL + "/projects/{project}",),
    fake="{{ cookiecutter.package_name }}.fake:{{ cookiecutter.__class_prefix }}Fake",
    sample_project="demo",
)
"""The entry point ``reposix.connectors: {{ cookiecutter.connector_name }}`` (see pyproject.toml)."""

from_env = plugin.from_env
"""``from_env(base_url=None, runtime=None, *, environ=None)``: build the connector from the
environment. ``plugin.from_env`` reads every ``ENV_VARS`` entry that is set and calls
``build``, whose ``MissingCredentials`` lists what is unset."""


def __getattr__(name: str) -> Any:
    if name == "{{ cookiecutter.__class_prefix }}Connector":
        from {{ cookiecutter.package_name }}.connector import (
            {{ cookiecutter.__class_prefix }}Connector,
        )

        return {{ cookiecutter.__class_prefix }}Connector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
