"""reposix connector for Jira Cloud (REST v3): full read and write, with a wire fake.

The package import stays light (only the plugin declaration); the connector, its HTTP
stack and the wire fake load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reposix import ConnectorPlugin, UrlForm

if TYPE_CHECKING:
    from reposix import Credentials, Runtime
    from reposix_jira.connector import JiraConnector

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_VARS",
    "JiraConnector",
    "base_url_for",
    "build",
    "from_env",
    "plugin",
]

DEFAULT_BASE_URL = "https://{instance}.atlassian.net"
"""Filled from ``REPOSIX_JIRA_INSTANCE`` when no explicit base URL is given."""
ENV_VARS = ("JIRA_EMAIL", "JIRA_API_TOKEN", "REPOSIX_JIRA_INSTANCE")
_CREDENTIALS = ("JIRA_EMAIL", "JIRA_API_TOKEN")


def base_url_for(instance: str) -> str:
    """``https://{instance}.atlassian.net`` for a validated site name (else ``ConfigError``)."""
    from reposix import AtlassianSite

    return AtlassianSite.for_site_name(instance, "jira", variable="REPOSIX_JIRA_INSTANCE").root


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> JiraConnector:
    """Build the connector for ``base_url`` (or, if it is the template, the site in
    ``REPOSIX_JIRA_INSTANCE``)."""
    from reposix import AtlassianSite
    from reposix_jira.connector import JiraConnector

    site = AtlassianSite.from_settings(
        base_url, credentials, "jira", site_var="REPOSIX_JIRA_INSTANCE", required=_CREDENTIALS
    )
    email, token = credentials.text("JIRA_EMAIL"), credentials["JIRA_API_TOKEN"]
    return JiraConnector(email, token, base_url=site.root, runtime=runtime)


plugin = ConnectorPlugin(
    name="jira",
    build=build,
    default_base_url=DEFAULT_BASE_URL,
    env_vars=ENV_VARS,
    url_forms=(
        UrlForm(
            "https://{tenant}.atlassian.net/jira/projects/{key}",
            env={"tenant": "REPOSIX_JIRA_INSTANCE"},
            note="the /jira/ marker is required: Confluence shares the origin",
        ),
    ),
    fake="reposix_jira.fake:JiraFake",
    sample_project="DEMO",
    docs="connectors/jira.md",
)
"""The entry point ``reposix.connectors: jira``."""

from_env = plugin.from_env
"""``from_env(base_url=None, runtime=None, *, environ=None)``: build from ``JIRA_EMAIL``,
``JIRA_API_TOKEN`` and ``REPOSIX_JIRA_INSTANCE`` (the site is not needed with an explicit
``base_url``); ``MissingCredentials`` lists every gap."""


def __getattr__(name: str) -> Any:
    if name == "JiraConnector":
        from reposix_jira.connector import JiraConnector

        return JiraConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
