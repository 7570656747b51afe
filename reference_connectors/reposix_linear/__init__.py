"""reposix connector for Linear (GraphQL): full read and write, with a GraphQL wire fake.

The package import stays light (only the plugin declaration); the connector, its
HTTP stack and the wire fake (which needs ``graphql-core``) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reposix import ConfigError, ConnectorPlugin, MissingCredentials, UrlForm

if TYPE_CHECKING:
    from reposix import Credentials, Runtime
    from reposix_linear.connector import LinearConnector

__all__ = ["DEFAULT_BASE_URL", "ENV_VARS", "LinearConnector", "build", "from_env", "plugin"]

DEFAULT_BASE_URL = "https://api.linear.app"
ENV_VARS = ("LINEAR_API_KEY", "LINEAR_OAUTH_TOKEN")
"""A personal API key (sent raw in ``Authorization``) or an OAuth access token (sent as
``Bearer``): set exactly one."""
_DOC_PAGE = "connectors/linear.md"


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> LinearConnector:
    """Build the connector for ``base_url`` from whichever of `ENV_VARS` is set."""
    from reposix_linear.connector import LinearConnector

    present = [name for name in ENV_VARS if name in credentials]
    if not present:
        raise MissingCredentials("linear", ["LINEAR_API_KEY"], doc_page=_DOC_PAGE)
    if len(present) > 1:
        raise ConfigError(
            "both LINEAR_API_KEY and LINEAR_OAUTH_TOKEN are set",
            hint="set one: a personal API key or an OAuth access token",
        )
    oauth = present[0] == "LINEAR_OAUTH_TOKEN"
    return LinearConnector(credentials[present[0]], oauth=oauth, base_url=base_url, runtime=runtime)


plugin = ConnectorPlugin(
    name="linear",
    build=build,
    default_base_url=DEFAULT_BASE_URL,
    env_vars=ENV_VARS,
    url_forms=(
        UrlForm("https://api.linear.app/projects/{team}", note="a team key, e.g. ENG"),
        UrlForm("linear://{team}"),
    ),
    fake="reposix_linear.fake:LinearFake",
    sample_project="ENG",
    docs=_DOC_PAGE,
)
"""The entry point ``reposix.connectors: linear``."""

from_env = plugin.from_env
"""``from_env(base_url=None, runtime=None, *, environ=None)``: build the connector from
``LINEAR_API_KEY`` or ``LINEAR_OAUTH_TOKEN``; ``MissingCredentials`` if neither is set."""


def __getattr__(name: str) -> Any:
    if name == "LinearConnector":
        from reposix_linear.connector import LinearConnector

        return LinearConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
