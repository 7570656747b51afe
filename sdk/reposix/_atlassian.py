"""Atlassian Cloud site handling shared by the Jira and Confluence connectors.

One home for what both products do the same way:

* **Site names** (``acme`` in ``https://acme.atlassian.net``): validated once,
  `for_site_name`; a plugin's templated default base URL is filled
  from the site-name variable, every missing credential named at once,
  `from_settings`.
* **Base URLs**: the site root ``https://{site}.atlassian.net``, the same with
  Confluence's ``/wiki`` context path, and the API gateway
  ``https://api.atlassian.com/ex/{jira|confluence}/{cloudId}`` that scoped API tokens
  and OAuth 2.0 (3LO) apps must use
  (https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/,
  https://developer.atlassian.com/cloud/confluence/oauth-2-3lo-apps/,
  https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/).
  [`parse`][reposix.parse] reduces each to the root every API path hangs off
  (``{root}/wiki/api/v2/…``, ``{root}/rest/api/3/…``); connectors send paths
  *relative* to `client_base` so a gateway prefix survives.
* **Next links** (Confluence ``_links.next``): v2 writes them relative to the site
  (``/wiki/api/v2/pages?cursor=…``), v1 relative to ``_links.base``, the ``/wiki``
  context (``/rest/api/content/search?cursor=…``)
  (https://developer.atlassian.com/cloud/confluence/rest/v2/intro/#pagination,
  https://developer.atlassian.com/cloud/confluence/change-notice-moderize-search-rest-apis/).
  Behind the gateway they still omit ``/ex/confluence/{cloudId}``, and with a
  ``…/wiki`` base a naive join doubles the context (``/wiki/wiki/api/v2``): both
  reported in https://github.com/atlassian-api/atlassian-python-api/issues/1655.
  `next_url` resolves all of them under the configured root and
  refuses one that would leave it. ``_links.base`` itself is never followed.
* **The user's profile time zone** and **minute-precision dates** for JQL and CQL:
  both read ``"yyyy-MM-dd HH:mm"`` in the calling user's zone, inclusively
  (https://support.atlassian.com/jira-software-cloud/docs/jql-fields/#Updated,
  https://developer.atlassian.com/cloud/confluence/cql-fields/#lastmodified).
  `atlassian_minute` floors ``since`` to that minute, an hour earlier where
  the local minute is ambiguous or missing (a daylight-saving fold or gap), and 14
  hours earlier (further than any UTC offset) when the zone is unknown here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final, Literal
from zoneinfo import ZoneInfo

import httpx

from reposix._errors import ConfigError, MissingCredentials
from reposix._secret import Secret
from reposix._wire import parse_zone

__all__ = [
    "ATLASSIAN_QUERY_FORMAT",
    "AtlassianSite",
    "Product",
    "atlassian_minute",
    "atlassian_zone",
]

Product = Literal["jira", "confluence"]

ATLASSIAN_QUERY_FORMAT: Final = "%Y-%m-%d %H:%M"
"""The JQL/CQL date literal reposix sends (``"yyyy-MM-dd HH:mm"``)."""

GATEWAY_HOST: Final = "api.atlassian.com"
_SITE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_CLOUD_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_CONTEXT: Final[dict[str, str]] = {"jira": "", "confluence": "/wiki"}
_WORLD = timedelta(hours=14)
"""Further than any UTC offset: the widening used when the user's zone is unknown."""
_FOLD = timedelta(hours=1)
"""The widening around a daylight-saving change (no zone shifts by more at once)."""


@dataclass(frozen=True, slots=True)
class AtlassianSite:
    """Where one Atlassian Cloud product's REST API lives.

    ``root``: the URL every API path hangs off, without a trailing slash: the site
    (``https://acme.atlassian.net``, any ``/wiki`` removed) or the gateway prefix
    (``https://api.atlassian.com/ex/confluence/{cloudId}``). ``context``: the
    product's context path under it (``/wiki`` for Confluence, empty for Jira).
    """

    product: Product
    root: str
    context: str

    @classmethod
    def for_site_name(cls, name: str, product: Product, *, variable: str) -> AtlassianSite:
        """The site root ``https://{name}.atlassian.net`` for a validated site name.

        ``variable`` names the setting the name came from (for the error). Raises
        ``ConfigError`` unless ``name`` is 1-63 lowercase letters, digits and inner
        hyphens (a DNS label).
        """
        if not isinstance(name, str) or not _SITE_NAME.match(name):
            label = "Jira" if product == "jira" else "Confluence"
            raise ConfigError(
                f"{variable} {name!r} is not a {label} Cloud site name",
                hint="use the part before .atlassian.net: 1-63 lowercase letters, digits "
                f"and inner hyphens (e.g. acme for https://acme.atlassian.net"
                f"{_CONTEXT[product]})",
            )
        return cls(product, f"https://{name}.atlassian.net", _CONTEXT[product])

    @classmethod
    def from_settings(
        cls,
        base_url: str,
        credentials: Mapping[str, Secret],
        product: Product,
        *,
        site_var: str,
        required: Sequence[str],
        doc_page: str | None = None,
    ) -> AtlassianSite:
        """The site for a plugin's ``build``: ``base_url``, or when it is empty or still a
        template (``https://{instance}.atlassian.net``) the site named by ``site_var``.

        Raises ``MissingCredentials`` listing every variable of ``required`` (and
        ``site_var`` when needed) that ``credentials`` lacks, pointing at ``doc_page``
        (default ``connectors/{product}/``); ``ConfigError`` for a bad site name or base URL.
        """
        templated = not base_url or "{" in base_url
        wanted = [*required, site_var] if templated else list(required)
        missing = [name for name in wanted if name not in credentials]
        if missing:
            page = doc_page or f"connectors/{product}.md"
            raise MissingCredentials(product, missing, doc_page=page)
        if templated:
            name = credentials[site_var].reveal()
            return cls.for_site_name(name, product, variable=site_var)
        return cls.parse(base_url, product)

    @classmethod
    def parse(cls, base_url: str, product: Product) -> AtlassianSite:
        """Read a configured base URL (site root, ``…/wiki``, or the gateway form).

        Raises ``ConfigError`` for a URL that is not http(s), carries a query or
        fragment, or is a gateway URL for the other product or without a cloud id.
        Other hosts (a proxy, a test server) keep their path as the root's prefix.
        """
        try:
            url = httpx.URL(base_url.strip())
        except (httpx.InvalidURL, TypeError) as exc:
            raise ConfigError(f"{product} base URL is not a URL: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(
                f"{product} base URL {base_url!r} is not an http(s) URL",
                hint=f"use e.g. https://acme.atlassian.net or "
                f"https://{GATEWAY_HOST}/ex/{product}/<cloudId>",
            )
        if url.query or url.fragment:
            raise ConfigError(f"{product} base URL {base_url!r} must not carry a query")
        path = url.path.rstrip("/")
        context = _CONTEXT[product]
        if context and path.endswith(context):
            path = path[: -len(context)]
        if url.host == GATEWAY_HOST:
            parts = path.strip("/").split("/")
            if len(parts) != 3 or parts[0] != "ex" or not _CLOUD_ID.match(parts[2]):
                raise ConfigError(
                    f"{product} base URL {base_url!r} is not an Atlassian gateway URL",
                    hint=f"use https://{GATEWAY_HOST}/ex/{product}/<cloudId> "
                    "(the cloud id is at https://<site>.atlassian.net/_edge/tenant_info)",
                )
            if parts[1] != product:
                raise ConfigError(
                    f"{product} base URL {base_url!r} is the gateway of {parts[1]!r}",
                    hint=f"use https://{GATEWAY_HOST}/ex/{product}/{parts[2]}",
                )
        # userinfo is dropped (the HTTP client never sends it either): no secret in a root
        bare = url.copy_with(userinfo=b"", path=path or "/", query=None, fragment=None)
        root = str(bare).rstrip("/")
        return cls(product, root, context)

    @property
    def is_gateway(self) -> bool:
        """Whether requests go through ``api.atlassian.com/ex/…`` (scoped tokens, OAuth)."""
        return httpx.URL(self.root).host == GATEWAY_HOST

    @property
    def client_base(self) -> str:
        """The root with one trailing slash: the HTTP client's base for relative paths."""
        return self.root + "/"

    @property
    def prefix(self) -> str:
        """The root's path (``/ex/confluence/{cloudId}``; empty for a site root)."""
        return httpx.URL(self.root).path.rstrip("/")

    def next_url(self, link: str | None) -> str | None:
        """A ``_links.next`` resolved under `root`, or None for no link.

        A path starting with the context (``/wiki/…``) is site-relative; any other
        absolute path is relative to the context (v1's ``/rest/api/…``); one that
        already carries the gateway prefix is kept. Links on another origin are
        returned as they are (the paginator's pinning refuses them). Raises
        ``ValueError`` (a ``ProtocolError`` in the paginator) for a link that would
        resolve outside the configured root.
        """
        if not link:
            return None
        root = httpx.URL(self.root)
        target = httpx.URL(link)
        if target.is_absolute_url:
            if (target.scheme, target.host, target.port) != (root.scheme, root.host, root.port):
                return link  # pinning refuses it, with the origins named
            path = target.raw_path.decode("ascii")
        else:
            if not link.startswith("/") or link.startswith("//"):
                raise ValueError(f"next link {link[:100]!r} is neither absolute nor rooted")
            path = link
        prefix = self.prefix
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            path = path[len(prefix) :]
        ctx = self.context
        if ctx and not (path == ctx or path.startswith((ctx + "/", ctx + "?"))):
            path = ctx + path
        resolved = root.join(prefix + path)
        under = prefix + ctx + "/"
        if not resolved.path.startswith(under) or resolved.host != root.host:
            raise ValueError(f"next link {link[:100]!r} leaves {self.root}{ctx}")
        return str(resolved)


def atlassian_zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone of the user's profile ``timeZone``; None when absent or unknown here.

    Read by [`parse_zone`][reposix.parse_zone]: a name that is not a zone name at all (over
    64 characters, outside the IANA alphabet) is a ``ProtocolError``, not an ``OSError``.
    """
    return parse_zone(name, what="the user's profile time zone")


def atlassian_minute(since: datetime, zone: tzinfo | None) -> str:
    """The ``yyyy-MM-dd HH:mm`` JQL/CQL date at or before ``since``, as read in ``zone``.

    The date is a lower bound whatever the server makes of it: around a daylight-saving
    change a local minute can be ambiguous (the fold) or missing (the gap), so the
    bound moves an hour earlier there; with no known zone it moves 14 hours earlier
    (in UTC). Callers filter the results to ``updated > since`` on exact timestamps.
    Raises ``ConfigError`` for a naive ``since``.
    """
    if since.tzinfo is None:
        raise ConfigError(
            "list_changed_since needs a timezone-aware datetime",
            hint="pass e.g. datetime(..., tzinfo=UTC)",
        )
    if zone is None:
        return (since.astimezone(UTC) - _WORLD).strftime(ATLASSIAN_QUERY_FORMAT)
    local = since.astimezone(zone)
    naive = local.replace(tzinfo=None, second=0, microsecond=0)
    early = naive.replace(tzinfo=zone, fold=0)
    late = naive.replace(tzinfo=zone, fold=1)
    round_trips = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive
    if early.utcoffset() != late.utcoffset() or not round_trips:
        local = (since - _FOLD).astimezone(zone)
    return local.strftime(ATLASSIAN_QUERY_FORMAT)
