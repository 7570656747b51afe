"""reposix connector for GitLab Issues (REST v4): full read and write, with a wire fake.

The package import stays light (only the plugin declaration); the connector, its HTTP
stack and the wire fake load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reposix import ConnectorPlugin, MissingCredentials, UrlForm

if TYPE_CHECKING:
    from reposix import Credentials, Runtime
    from reposix_gitlab.connector import GitLabConnector

__all__ = ["DEFAULT_BASE_URL", "ENV_VARS", "GitLabConnector", "build", "from_env", "plugin"]

DEFAULT_BASE_URL = "https://gitlab.com/api/v4"
ENV_VARS = ("GITLAB_TOKEN", "GITLAB_OAUTH_TOKEN")
"""``GITLAB_TOKEN`` (a personal, project or group access token, sent as ``PRIVATE-TOKEN``)
or ``GITLAB_OAUTH_TOKEN`` (an OAuth access token, sent as ``Authorization: Bearer``)."""
_DOC_PAGE = "connectors/gitlab.md"


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> GitLabConnector:
    """Build the connector for ``base_url`` (self-managed: ``https://HOST[/PREFIX]/api/v4``).

    ``GITLAB_TOKEN`` wins when both are set; ``MissingCredentials`` when neither is.
    """
    from reposix_gitlab.connector import GitLabConnector

    if "GITLAB_TOKEN" in credentials:
        return GitLabConnector(credentials["GITLAB_TOKEN"], base_url=base_url, runtime=runtime)
    if "GITLAB_OAUTH_TOKEN" in credentials:
        return GitLabConnector(
            credentials["GITLAB_OAUTH_TOKEN"], base_url=base_url, auth="bearer", runtime=runtime
        )
    raise MissingCredentials("gitlab", ["GITLAB_TOKEN"], doc_page=_DOC_PAGE)


plugin = ConnectorPlugin(
    name="gitlab",
    build=build,
    default_base_url=DEFAULT_BASE_URL,
    env_vars=ENV_VARS,
    url_forms=(
        UrlForm(
            "https://gitlab.com/projects/{namespace+}/{project}",
            base_url="{origin}/api/v4",
            note="nested groups: every segment before the last is the namespace",
        ),
        UrlForm(
            "https://{host}/gitlab/projects/{namespace+}/{project}",
            base_url="{origin}/api/v4",
            note="self-managed GitLab (REST under /api/v4)",
        ),
        UrlForm("gitlab://{namespace+}/{project}", note="on gitlab.com"),
    ),
    fake="reposix_gitlab.fake:GitLabFake",
    sample_project="my-group/my-project",
    docs=_DOC_PAGE,
)
"""The entry point ``reposix.connectors: gitlab``."""

from_env = plugin.from_env
"""``from_env(base_url=None, runtime=None, *, environ=None)``: build the connector from
``GITLAB_TOKEN`` or ``GITLAB_OAUTH_TOKEN`` (self-managed: pass
``https://HOST[/PREFIX]/api/v4``); ``MissingCredentials`` if neither is set."""


def __getattr__(name: str) -> Any:
    if name == "GitLabConnector":
        from reposix_gitlab.connector import GitLabConnector

        return GitLabConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
