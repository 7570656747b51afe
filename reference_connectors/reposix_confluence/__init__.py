"""reposix connector for Confluence Cloud pages (REST v2): full read and write, with a wire fake.

The package import stays light (only the plugin declaration); the connector, its HTTP
stack and the wire fake load on first use.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reposix import ConfigError, ConnectorPlugin, MissingCredentials

if TYPE_CHECKING:
    from reposix import Credentials, Runtime
    from reposix_confluence.connector import ConfluenceConnector

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_VARS",
    "ConfluenceConnector",
    "base_url_for",
    "build",
    "from_env",
    "plugin",
]

DEFAULT_BASE_URL = "https://{tenant}.atlassian.net"
"""Filled from ``REPOSIX_CONFLUENCE_TENANT`` when no explicit base URL is given."""
ENV_VARS = ("ATLASSIAN_EMAIL", "ATLASSIAN_API_KEY", "REPOSIX_CONFLUENCE_TENANT")
_CREDENTIALS = ("ATLASSIAN_EMAIL", "ATLASSIAN_API_KEY")
_TENANT = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DOC_PAGE = "connectors/confluence/"


def base_url_for(tenant: str) -> str:
    """``https://{tenant}.atlassian.net`` for a validated site name."""
    if not _TENANT.match(tenant):
        raise ConfigError(
            f"REPOSIX_CONFLUENCE_TENANT {tenant!r} is not a Confluence Cloud site name",
            hint="use the part before .atlassian.net: 1-63 lowercase letters, digits and "
            "inner hyphens (e.g. acme for https://acme.atlassian.net/wiki)",
        )
    return DEFAULT_BASE_URL.format(tenant=tenant)


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> ConfluenceConnector:
    """Build the connector for ``base_url`` (or, if it is the template, the site named by
    ``REPOSIX_CONFLUENCE_TENANT``); ``MissingCredentials`` lists every missing variable."""
    from reposix_confluence.connector import ConfluenceConnector

    needs_tenant = not base_url or "{tenant}" in base_url
    required = _CREDENTIALS + (("REPOSIX_CONFLUENCE_TENANT",) if needs_tenant else ())
    missing = [name for name in required if name not in credentials]
    if missing:
        raise MissingCredentials("confluence", missing, doc_page=_DOC_PAGE)
    if needs_tenant:
        base_url = base_url_for(credentials.text("REPOSIX_CONFLUENCE_TENANT"))
    return ConfluenceConnector(
        credentials.text("ATLASSIAN_EMAIL"),
        credentials["ATLASSIAN_API_KEY"],
        base_url=base_url,
        runtime=runtime,
    )


plugin = ConnectorPlugin(
    name="confluence",
    build=build,
    default_base_url=DEFAULT_BASE_URL,
    env_vars=ENV_VARS,
    url_forms=(
        "https://{tenant}.atlassian.net/wiki/spaces/{space}",
        "confluence://{tenant}/{space}",
    ),
    fake="reposix_confluence.fake:ConfluenceFake",
    sample_project="DEMO",
    docs="connectors/confluence/",
)
"""The entry point ``reposix.connectors: confluence``."""

from_env = plugin.from_env
"""``from_env(base_url=None, runtime=None, *, environ=None)``: build from ``ATLASSIAN_EMAIL``,
``ATLASSIAN_API_KEY`` and ``REPOSIX_CONFLUENCE_TENANT`` (the tenant is not needed with an
explicit ``base_url``); ``MissingCredentials`` lists every gap."""


def __getattr__(name: str) -> Any:
    if name == "ConfluenceConnector":
        from reposix_confluence.connector import ConfluenceConnector

        return ConfluenceConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
