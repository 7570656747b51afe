"""Remote-URL forms: the small template language plugins declare their URLs in.

A connector plugin lists the remote URLs it answers in ``ConnectorPlugin.url_forms``,
each a template string or a [`UrlForm`][reposix.UrlForm] (a template plus how to reach the API).
The dispatcher (`reposix._dispatch`) reads nothing else: a third-party connector
takes part exactly like the shipped ones, and two plugins declaring the same form is a
``ConfigError`` when plugins load (`check_conflicts`).

Template grammar (``scheme://HOST[:{port}]/MARKER.../{slot}...``):

- ``HOST`` is a literal host (``api.github.com``), ``{loopback}`` (127.0.0.0/8,
  ``localhost``, ``[::1]``), ``{name}.suffix`` (one DNS label, e.g. an Atlassian
  tenant), or ``{host}`` alone (any host name, with an optional port: self-managed
  servers; such a form must carry at least one marker segment so it cannot claim
  every URL).
- ``:{port}`` allows a port (1..65535); without it a port is refused, except on ``{host}``.
- ``MARKER`` segments are literal (``jira``, ``projects``) and come first.
- ``{slot}`` segments name the project's parts; ``{slot+}`` takes one or more segments
  (GitLab's nested groups). The project is the slots' segments joined with ``/``.

A *scheme form* (``rhythm://{org}/{project}``, a scheme other than http/https followed by
slots only) names a project on the connector's default server (``default_base_url``, or
what its environment variables say): the URL carries no origin.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from reposix._errors import ConfigError
from reposix._plugin import UrlForm

__all__ = ["CompiledForm", "UrlForm", "check_conflicts", "compile_form", "is_loopback"]

HostKind = Literal["literal", "loopback", "label", "any", "scheme"]

# The grammar's patterns, as text: ``re`` compiles (and caches) each on first use, so a
# plugin declaration (a `UrlForm`) costs no regex compilation at import; only loading
# the plugins for dispatch does.
_SCHEME_FORM = r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<slots>\{[a-z_]+\+?\}(?:/\{[a-z_]+\+?\})*)$"
_TEMPLATE = (
    r"(?i)^(?P<scheme>[a-z][a-z0-9+.-]*)://"
    r"(?P<host>\{[a-z_]+\}|\{[a-z_]+\}\.[a-z0-9.-]+|[a-z0-9.-]+)"
    r"(?P<port>:\{port\}|:\d{1,5})?(?P<path>(?:/[^/]+)+)$"
)
_SLOT = r"^\{(?P<name>[a-z_]+)(?P<plus>\+)?\}$"
_LITERAL_SEGMENT = r"^[A-Za-z0-9._~-]+$"
_LABEL = r"(?i)^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
_HOSTNAME = (
    r"(?i)^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


@dataclass(frozen=True, eq=False)
class CompiledForm:
    """A parsed [`UrlForm`][reposix.UrlForm], bound to the connector that declared it."""

    connector: str
    form: UrlForm
    scheme: str
    host_kind: HostKind
    host: str
    """The literal host, or the suffix after ``{name}`` for a label host."""
    host_var: str | None
    port: bool
    """``:{port}`` declared: any port (1..65535) is accepted."""
    fixed_port: int | None
    """A literal port in the template (``http://localhost:8080/...``): only that one."""
    markers: tuple[str, ...]
    slots: tuple[tuple[str, bool], ...]
    canonical: bool
    default_base_url: str = ""
    """The plugin's default API root: the origin of a scheme form."""

    @property
    def template(self) -> str:
        """The declared template string."""
        return self.form.template

    @property
    def key(self) -> tuple[object, ...]:
        """Two forms with equal keys claim the same URLs (a conflict across plugins)."""
        return (self.scheme, self.host_kind, self.host.lower(), self.fixed_port, self.markers)

    def accepts_port(self, port: int | None) -> bool:
        """Whether a URL with ``port`` (None: no port) fits this form's authority."""
        if self.fixed_port is not None:
            return port == self.fixed_port
        return port is None or self.port or self.host_kind == "any"

    @property
    def specificity(self) -> tuple[int, int]:
        """Higher wins when several of one connector's forms match."""
        rank = {"literal": 3, "loopback": 3, "scheme": 3, "label": 2, "any": 0}[self.host_kind]
        return (rank, len(self.markers))

    def match_host(self, host: str) -> str | None:
        """The host placeholder's value if ``host`` fits (``""`` if no placeholder)."""
        host = host.lower()
        if self.host_kind == "scheme":
            return None  # a scheme form has no host: the dispatcher matches it separately
        if self.host_kind == "literal":
            return "" if host == self.host.lower() else None
        if self.host_kind == "loopback":
            return host if is_loopback(host) else None
        if self.host_kind == "label":
            suffix = self.host.lower()
            if not host.endswith(suffix):
                return None
            label = host[: -len(suffix)]
            return label if re.match(_LABEL, label) else None
        return host if re.match(_HOSTNAME, host) or is_loopback(host) else None

    def match_path(self, segments: Sequence[str]) -> dict[str, str] | None:
        """Slot values for the path ``segments``, or None if the shape differs."""
        n = len(self.markers)
        if tuple(segments[:n]) != self.markers:
            return None
        rest = list(segments[n:])
        fixed = sum(1 for _, plus in self.slots if not plus)
        has_plus = any(plus for _, plus in self.slots)
        if len(rest) < len(self.slots) or (not has_plus and len(rest) != fixed):
            return None
        values: dict[str, str] = {}
        take_plus = len(rest) - fixed
        i = 0
        for name, plus in self.slots:
            width = take_plus if plus else 1
            values[name] = "/".join(rest[i : i + width])
            i += width
        return values

    def render(self, host_values: Mapping[str, str], project: str) -> str:
        """This form's URL for ``project`` (``ConfigError`` if its segments do not fit)."""
        parts = project.split("/")
        fixed = sum(1 for _, plus in self.slots if not plus)
        has_plus = any(plus for _, plus in self.slots)
        if len(parts) < len(self.slots) or (not has_plus and len(parts) != fixed):
            shape = "/".join(f"<{n}{'...' if p else ''}>" for n, p in self.slots)
            raise ConfigError(
                f"{self.connector} projects look like {shape}, not {project!r}",
                hint=f"write it as {self.connector}::{shape}",
            )
        if self.host_kind == "scheme":
            return f"{self.scheme}://{project}"
        host = self.host
        if self.host_kind == "label":
            host = host_values[self.host_var or ""] + self.host
        elif self.host_kind in ("loopback", "any"):
            host = host_values[self.host_var or ""]
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        port = f":{host_values['port']}" if self.port and host_values.get("port") else ""
        if self.fixed_port is not None:
            port = f":{self.fixed_port}"
        path = "/".join((*self.markers, project))
        return f"{self.scheme}://{host}{port}/{path}"

    def base_url(self, origin: str, host_value: str) -> str:
        """The API root for a URL of this form whose origin is ``origin``."""
        if self.host_kind == "scheme":
            origin = self.default_base_url
        values = {"origin": origin}
        if self.host_var:
            values[self.host_var] = host_value
        try:
            return self.form.base_url.format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"connector {self.connector!r}: base_url {self.form.base_url!r} of url form "
                f"{self.template!r} uses an unknown placeholder ({exc})"
            ) from None


def is_loopback(host: str) -> bool:
    """``localhost``, or an IP address in a loopback range (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def compile_form(
    connector: str, declared: str | UrlForm, *, canonical: bool, default_base_url: str = ""
) -> CompiledForm:
    """Parse one declared form (``ConfigError`` naming the connector if it is malformed)."""
    form = declared if isinstance(declared, UrlForm) else UrlForm(declared)
    scheme_form = re.match(_SCHEME_FORM, form.template)
    if scheme_form is not None and scheme_form["scheme"] not in ("http", "https"):
        scheme_slots = tuple(
            (s.strip("{}+"), s.endswith("+}")) for s in scheme_form["slots"].split("/")
        )
        distinct = {n for n, _ in scheme_slots}
        if sum(plus for _, plus in scheme_slots) > 1 or len(distinct) != len(scheme_slots):
            raise ConfigError(
                f"connector {connector!r} declares a malformed url form {form.template!r}: "
                "placeholders must be distinct, with at most one {slot+}"
            )
        return CompiledForm(
            connector=connector,
            form=form,
            scheme=scheme_form["scheme"],
            host_kind="scheme",
            host="",
            host_var=None,
            port=False,
            fixed_port=None,
            markers=(),
            slots=scheme_slots,
            canonical=canonical,
            default_base_url=default_base_url,
        )

    def bad(why: str) -> ConfigError:
        return ConfigError(
            f"connector {connector!r} declares a malformed url form {form.template!r}: {why}",
            hint="see the url-form grammar in the reference page 'Remote URL forms'",
        )

    m = re.match(_TEMPLATE, form.template)
    if m is None:
        raise bad("expected scheme://HOST[:{port}]/MARKER.../{slot}")
    host_text = m["host"]
    host_var: str | None = None
    host_kind: HostKind
    if host_text == "{loopback}":
        host_kind, host, host_var = "loopback", "", "loopback"
    elif host_text.startswith("{") and host_text.endswith("}"):
        host_kind, host, host_var = "any", "", host_text[1:-1]
    elif host_text.startswith("{"):
        var, _, rest = host_text.partition("}")
        host_kind, host, host_var = "label", rest, var[1:]
    else:
        host_kind, host = "literal", host_text
    markers: list[str] = []
    slots: list[tuple[str, bool]] = []
    for segment in m["path"].split("/")[1:]:
        slot = re.match(_SLOT, segment)
        if slot is None:
            if slots:
                raise bad(f"literal segment {segment!r} after a {{slot}}")
            if not re.match(_LITERAL_SEGMENT, segment):
                raise bad(f"marker segment {segment!r} is not a plain path segment")
            markers.append(segment)
        else:
            slots.append((slot["name"], slot["plus"] is not None))
    if not slots:
        raise bad("no {slot} names the project")
    if m["port"] and m["port"] != ":{port}" and not 0 < int(m["port"][1:]) < 65536:
        raise bad(f"port {m['port'][1:]} is not from 1 to 65535")
    if sum(plus for _, plus in slots) > 1:
        raise bad("at most one {slot+} may take several segments")
    if host_kind == "any" and not markers:
        raise bad("a {host} form needs a marker segment, or it would claim every URL")
    names = [n for n, _ in slots] + ([host_var] if host_var else [])
    if len(set(names)) != len(names):
        raise bad("a placeholder name is used twice")
    return CompiledForm(
        connector=connector,
        form=form,
        scheme=m["scheme"],
        host_kind=host_kind,
        host=host,
        host_var=host_var,
        port=m["port"] == ":{port}",
        fixed_port=int(m["port"][1:]) if m["port"] and m["port"] != ":{port}" else None,
        markers=tuple(markers),
        slots=tuple(slots),
        canonical=canonical,
        default_base_url=default_base_url,
    )


def compile_forms(
    connector: str, declared: Iterable[str | UrlForm], default_base_url: str = ""
) -> list[CompiledForm]:
    """Every declared form of one connector; the first is its canonical form."""
    return [
        compile_form(connector, d, canonical=i == 0, default_base_url=default_base_url)
        for i, d in enumerate(declared)
    ]


def check_conflicts(forms: Iterable[CompiledForm]) -> None:
    """``ConfigError`` if two connectors claim the same form (same scheme, host and markers)."""
    seen: dict[tuple[object, ...], CompiledForm] = {}
    for form in forms:
        other = seen.setdefault(form.key, form)
        if other is not form and other.connector != form.connector:
            raise ConfigError(
                f"connectors {other.connector!r} and {form.connector!r} both claim the remote-URL "
                f"form {form.template!r} (declared by {other.connector!r} as {other.template!r})",
                hint="uninstall one of them, or give one a distinct marker segment in url_forms",
            )
