"""Connector plugins: how a connector package registers itself with reposix."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from reposix._errors import ConfigError

if TYPE_CHECKING:
    from reposix._backend import BackendConnector
    from reposix._credentials import Credentials
    from reposix._runtime import Runtime

__all__ = [
    "ENTRY_POINT_GROUP",
    "BuildFn",
    "ConnectorPlugin",
    "UrlForm",
    "load_object",
    "load_plugins",
]

ENTRY_POINT_GROUP = "reposix.connectors"

BuildFn = Callable[["str", "Credentials", "Runtime"], "BackendConnector"]
"""``build(base_url, credentials, runtime) -> connector``."""

ConnectorT_co = TypeVar("ConnectorT_co", bound="BackendConnector", covariant=True)
"""The connector class a plugin builds (``ConnectorPlugin[GitHubConnector]``)."""


@dataclass(frozen=True, eq=False)
class UrlForm:
    """One declared remote-URL form.

    ``base_url`` is the API root the connector is built with, a template over
    ``{origin}`` (``scheme://host[:port]``) and the host placeholders (default: the
    origin itself). ``defaults`` and ``env`` fill the host placeholders when a friendly
    spec (``jira::KEY``) is turned into this URL: ``env`` maps a placeholder to the
    environment variable that names it (it wins over ``defaults``).
    """

    template: str
    base_url: str = "{origin}"
    defaults: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    """One line for the generated reference page."""


@dataclass(frozen=True)
class ConnectorPlugin(Generic[ConnectorT_co]):
    """What a connector package declares about itself.

    ``fake`` is a lazy ``"module:attr"`` reference to the wire-fake factory the
    conformance kit mounts, so production imports never load test machinery.
    Generic in the connector class ``build`` returns, so ``plugin.build`` and
    ``plugin.from_env`` are typed precisely; ``ConnectorPlugin[BackendConnector]``
    stands for any plugin.
    """

    name: str
    build: Callable[[str, Credentials, Runtime], ConnectorT_co]
    """``build(base_url, credentials, runtime) -> connector`` (a `BuildFn`)."""
    default_base_url: str
    env_vars: tuple[str, ...] = ()
    """Every env var credentials come from (required first)."""
    url_forms: tuple[str | UrlForm, ...] = ()
    """Remote-URL forms this connector answers (``https://api.github.com/projects/{owner}/{repo}``),
    templates or [`UrlForm`][reposix.UrlForm]; the first is canonical. The dispatcher
    (``reposix.parse_remote_url``) reads only these; see the "Remote URL forms" page."""
    fake: str | None = None
    sample_project: str = "demo"
    """A project identifier in this backend's form, for docs and the kit."""
    docs: str = ""
    """This connector's page, as a path under the reposix docs (``connectors/x.md``)."""
    options: dict[str, Any] = field(default_factory=dict)

    def from_env(
        self,
        base_url: str | None = None,
        runtime: Runtime | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> ConnectorT_co:
        """Build the connector from the environment (``os.environ`` unless ``environ``).

        Every declared ``env_vars`` entry that is set (and not blank) becomes a
        [`Credentials`][reposix.Credentials] entry; ``build`` decides which it needs
        for ``base_url`` (``default_base_url`` if None) and raises ``MissingCredentials``
        listing every one that is missing.
        """
        from reposix._credentials import from_env as credentials_from_env
        from reposix._runtime import Runtime

        credentials = credentials_from_env(self.name, (), self.env_vars, environ=environ)
        return self.build(base_url or self.default_base_url, credentials, runtime or Runtime())

    def load_fake(self) -> Any:
        """The wire-fake factory named by ``fake``."""
        if self.fake is None:
            raise ConfigError(f"connector {self.name!r} ships no wire fake")
        return load_object(self.fake)


def load_object(ref: str) -> Any:
    """Import ``"package.module:attr"``."""
    module_name, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def load_plugins() -> dict[str, ConnectorPlugin[BackendConnector]]:
    """Every installed connector plugin, by name.

    ``ConfigError`` if a plugin's ``url_forms`` are malformed or two plugins claim the
    same remote-URL form (dispatch would be ambiguous).
    """
    from importlib.metadata import entry_points  # on first use: it costs ~10 ms to import

    from reposix._urlforms import check_conflicts, compile_forms

    found: dict[str, ConnectorPlugin[BackendConnector]] = {}

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        plugin = ep.load()
        if not isinstance(plugin, ConnectorPlugin):
            raise ConfigError(f"entry point {ep.name!r} is not a reposix.ConnectorPlugin")
        found[plugin.name] = plugin
    check_conflicts(
        f
        for name in sorted(found)
        for f in compile_forms(name, found[name].url_forms, found[name].default_base_url)
    )
    return found
