"""reposix connector for Confluence Cloud pages (REST v2): full read and write, with a wire fake.

The package import stays light (only the plugin declaration); the connector, its HTTP
stack and the wire fake load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reposix import ConnectorPlugin, UrlForm

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


def base_url_for(tenant: str) -> str:
    """``https://{tenant}.atlassian.net`` for a validated site name (else ``ConfigError``)."""
    from reposix import AtlassianSite

    site = AtlassianSite.for_site_name(tenant, "confluence", variable="REPOSIX_CONFLUENCE_TENANT")
    return site.root


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> ConfluenceConnector:
    """Build the connector for ``base_url`` (or, if it is the template, the site named by
    ``REPOSIX_CONFLUENCE_TENANT``); ``MissingCredentials`` lists every missing variable."""
    from reposix import AtlassianSite
    from reposix_confluence.connector import ConfluenceConnector

    site = AtlassianSite.from_settings(
        base_url,
        credentials,
        "confluence",
        site_var="REPOSIX_CONFLUENCE_TENANT",
        required=_CREDENTIALS,
    )
    email, key = credentials.text("ATLASSIAN_EMAIL"), credentials["ATLASSIAN_API_KEY"]
    return ConfluenceConnector(email, key, base_url=site.root, runtime=runtime)


plugin = ConnectorPlugin(
    name="confluence",
    build=build,
    default_base_url=DEFAULT_BASE_URL,
    env_vars=ENV_VARS,
    url_forms=(
        UrlForm(
            "https://{tenant}.atlassian.net/confluence/projects/{space}",
            env={"tenant": "REPOSIX_CONFLUENCE_TENANT"},
            note="the /confluence/ marker is required: Jira shares the origin",
        ),
        UrlForm(
            "https://{tenant}.atlassian.net/wiki/spaces/{space}",
            env={"tenant": "REPOSIX_CONFLUENCE_TENANT"},
            note="a space's web URL",
        ),
    ),
    fake="reposix_confluence.fake:ConfluenceFake",
    sample_project="DEMO",
    docs="connectors/confluence.md",
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
