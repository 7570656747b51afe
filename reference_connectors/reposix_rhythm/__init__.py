"""reposix connector for the Rhythm tracker (``/api/v1``): JWT access tokens refreshed and
rotated through the SDK's ``RefreshingAuth``, cursor pagination, full-text search.

The package import stays light (only the plugin declaration); the connector,
its HTTP stack and the wire fake load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reposix import ConnectorPlugin, MissingCredentials, UrlForm

if TYPE_CHECKING:
    from reposix import Credentials, Runtime
    from reposix_rhythm.connector import RhythmConnector

__all__ = ["DEFAULT_BASE_URL", "ENV_VARS", "RhythmConnector", "build", "from_env", "plugin"]

DEFAULT_BASE_URL = "http://localhost:8080"
"""Rhythm is self-hosted: ``RHYTHM_URL`` names the server when no base URL is passed."""
ENV_VARS = (
    "RHYTHM_URL",
    "RHYTHM_EMAIL",
    "RHYTHM_PASSWORD",
    "RHYTHM_REFRESH_TOKEN",
    "RHYTHM_TOKEN_FILE",
)
_DOC_PAGE = "connectors/rhythm.md"


def build(base_url: str, credentials: Credentials, runtime: Runtime) -> RhythmConnector:
    """Build the connector: ``RHYTHM_EMAIL`` + ``RHYTHM_PASSWORD``, or ``RHYTHM_REFRESH_TOKEN``.

    ``RHYTHM_URL`` replaces ``base_url`` when the caller passed the default.
    ``RHYTHM_TOKEN_FILE`` (optional) keeps the rotated refresh token in that file (mode
    0600) between runs; a token stored there is used before ``RHYTHM_REFRESH_TOKEN``.
    """
    from reposix import FileTokenStore
    from reposix_rhythm.connector import RhythmConnector

    store = (
        FileTokenStore(credentials.text("RHYTHM_TOKEN_FILE"))
        if "RHYTHM_TOKEN_FILE" in credentials
        else None
    )

    has_login = "RHYTHM_EMAIL" in credentials and "RHYTHM_PASSWORD" in credentials
    stored = store.load() if store is not None else None
    if not has_login and "RHYTHM_REFRESH_TOKEN" not in credentials and stored is None:
        missing = [n for n in ("RHYTHM_EMAIL", "RHYTHM_PASSWORD") if n not in credentials]
        raise MissingCredentials(
            "rhythm",
            [*missing, "RHYTHM_REFRESH_TOKEN (instead of the two above)"],
            doc_page=_DOC_PAGE,
        )
    if base_url == DEFAULT_BASE_URL and "RHYTHM_URL" in credentials:
        base_url = credentials.text("RHYTHM_URL")
    return RhythmConnector(
        base_url=base_url,
        email=credentials.text("RHYTHM_EMAIL") if "RHYTHM_EMAIL" in credentials else None,
        password=credentials["RHYTHM_PASSWORD"] if has_login else None,
        refresh_token=stored or credentials.get("RHYTHM_REFRESH_TOKEN"),
        token_store=store,
        runtime=runtime,
    )


plugin = ConnectorPlugin(
    name="rhythm",
    build=build,
    default_base_url=DEFAULT_BASE_URL,
    env_vars=ENV_VARS,
    url_forms=(
        UrlForm(
            "rhythm://{org}/{project}",
            note="on the server RHYTHM_URL names (default http://localhost:8080)",
        ),
        UrlForm("https://{host}/rhythm/projects/{org}/{project}", note="a self-hosted server"),
        UrlForm(
            "http://{host}/rhythm/projects/{org}/{project}",
            note="a self-hosted server over plain http (loopback or a trusted network)",
        ),
    ),
    fake="reposix_rhythm.fake:RhythmFake",
    sample_project="acme/tracker",
    docs=_DOC_PAGE,
)
"""The entry point ``reposix.connectors: rhythm``."""

from_env = plugin.from_env
"""``from_env(base_url=None, runtime=None, *, environ=None)``: build the connector from
``RHYTHM_URL`` and ``RHYTHM_EMAIL``/``RHYTHM_PASSWORD`` or ``RHYTHM_REFRESH_TOKEN``;
``MissingCredentials`` if neither is set."""


def __getattr__(name: str) -> Any:
    if name == "RhythmConnector":
        from reposix_rhythm.connector import RhythmConnector

        return RhythmConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
