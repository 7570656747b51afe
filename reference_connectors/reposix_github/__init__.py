"""reposix connector for GitHub Issues (REST v3): full read and write, with a wire fake.

The package import stays light (only the plugin declaration); the connector,
its HTTP stack and the wire fake load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reposix import ConnectorPlugin, MissingCredentials, UrlForm

if TYPE_CHECKING:
    from reposix import Credentials, Runtime
    from reposix_github.connector import GitHubConnector

__all__ = ["DEFAULT_BASE_URL", "ENV_VARS", "GitHubConnector", "build", "from_env", "plugin"]

DEFAULT_BASE_URL = "https://api.github.com"
ENV_VARS = ("GITHUB_TOKEN",)
_DOC_PAGE = "connectors/github.md"


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> GitHubConnector:
    """Build the connector for ``base_url`` (GitHub Enterprise: ``https://HOST/api/v3``)."""
    from reposix_github.connector import GitHubConnector

    missing = [name for name in ENV_VARS if name not in credentials]
    if missing:
        raise MissingCredentials("github", missing, doc_page=_DOC_PAGE)
    return GitHubConnector(credentials["GITHUB_TOKEN"], base_url=base_url, runtime=runtime)


plugin = ConnectorPlugin(
    name="github",
    build=build,
    default_base_url=DEFAULT_BASE_URL,
    env_vars=ENV_VARS,
    url_forms=(
        UrlForm("https://api.github.com/projects/{owner}/{repo}", note="ADR-008 canonical form"),
        UrlForm(
            "https://github.com/{owner}/{repo}",
            base_url="https://api.github.com",
            note="a repository's web URL",
        ),
        UrlForm(
            "https://{host}/github/projects/{owner}/{repo}",
            base_url="{origin}/api/v3",
            note="GitHub Enterprise Server (REST under /api/v3)",
        ),
    ),
    fake="reposix_github.fake:GitHubFake",
    sample_project="octo-org/hello-world",
    docs=_DOC_PAGE,
)
"""The entry point ``reposix.connectors: github``."""

from_env = plugin.from_env
"""``from_env(base_url=None, runtime=None, *, environ=None)``: build the connector from
``GITHUB_TOKEN`` (GitHub Enterprise: pass ``https://HOST/api/v3``); ``MissingCredentials``
if it is unset."""


def __getattr__(name: str) -> Any:
    if name == "GitHubConnector":
        from reposix_github.connector import GitHubConnector

        return GitHubConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
