"""reposix connector for Bitbucket Cloud issues (REST 2.0): full read and write, with a wire fake.

The package import stays light (only the plugin declaration); the connector, its HTTP
stack and the wire fake load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reposix import ConnectorPlugin, MissingCredentials, UrlForm

if TYPE_CHECKING:
    from reposix import Credentials, Runtime
    from reposix_bitbucket.connector import BitbucketConnector

__all__ = ["DEFAULT_BASE_URL", "ENV_VARS", "BitbucketConnector", "build", "from_env", "plugin"]

DEFAULT_BASE_URL = "https://api.bitbucket.org/2.0"
ENV_VARS = (
    "BITBUCKET_EMAIL",
    "BITBUCKET_API_TOKEN",
    "BITBUCKET_USERNAME",
    "BITBUCKET_APP_PASSWORD",
    "BITBUCKET_OAUTH_TOKEN",
)
"""One of three credential pairs, tried in this order: ``BITBUCKET_EMAIL`` +
``BITBUCKET_API_TOKEN`` (an Atlassian API token, Basic auth); ``BITBUCKET_USERNAME`` +
``BITBUCKET_APP_PASSWORD`` (legacy app password, Basic auth); ``BITBUCKET_OAUTH_TOKEN`` (an
OAuth or repository/workspace access token, Bearer)."""
_DOC_PAGE = "connectors/bitbucket.md"


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> BitbucketConnector:
    """Build the connector from the first complete credential pair (see ``ENV_VARS``);
    ``MissingCredentials`` names the API-token pair when none is complete."""
    from reposix_bitbucket.connector import BitbucketConnector

    if "BITBUCKET_EMAIL" in credentials and "BITBUCKET_API_TOKEN" in credentials:
        return BitbucketConnector.with_basic(
            credentials.text("BITBUCKET_EMAIL"),
            credentials["BITBUCKET_API_TOKEN"],
            base_url=base_url,
            runtime=runtime,
        )
    if "BITBUCKET_USERNAME" in credentials and "BITBUCKET_APP_PASSWORD" in credentials:
        return BitbucketConnector.with_basic(
            credentials.text("BITBUCKET_USERNAME"),
            credentials["BITBUCKET_APP_PASSWORD"],
            base_url=base_url,
            runtime=runtime,
        )
    if "BITBUCKET_OAUTH_TOKEN" in credentials:
        return BitbucketConnector.with_bearer(
            credentials["BITBUCKET_OAUTH_TOKEN"], base_url=base_url, runtime=runtime
        )
    missing = [n for n in ("BITBUCKET_EMAIL", "BITBUCKET_API_TOKEN") if n not in credentials]
    raise MissingCredentials("bitbucket", missing, doc_page=_DOC_PAGE)


plugin = ConnectorPlugin(
    name="bitbucket",
    build=build,
    default_base_url=DEFAULT_BASE_URL,
    env_vars=ENV_VARS,
    url_forms=(
        UrlForm(
            "https://api.bitbucket.org/projects/{workspace}/{repo_slug}",
            base_url="{origin}/2.0",
        ),
        UrlForm(
            "https://bitbucket.org/{workspace}/{repo_slug}",
            base_url="https://api.bitbucket.org/2.0",
            note="a repository's web URL",
        ),
        UrlForm("bitbucket://{workspace}/{repo_slug}", note="on bitbucket.org"),
    ),
    fake="reposix_bitbucket.fake:BitbucketFake",
    sample_project="acme/widgets",
    docs=_DOC_PAGE,
)
"""The entry point ``reposix.connectors: bitbucket``."""

from_env = plugin.from_env
"""``from_env(base_url=None, runtime=None, *, environ=None)``: build the connector from the
first complete credential pair in ``ENV_VARS``; ``MissingCredentials`` if none is."""


def __getattr__(name: str) -> Any:
    if name == "BitbucketConnector":
        from reposix_bitbucket.connector import BitbucketConnector

        return BitbucketConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
