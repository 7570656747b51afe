"""Remote-URL dispatch: pick the connector from a URL or a friendly spec (ADR-008).

``parse_remote_url("reposix::https://api.github.com/projects/octo/hello")`` names the
connector, the origin and the project; ``instantiate`` builds that connector from the
environment's credentials and appends an audit event. The forms come from the installed
plugins' ``url_forms`` declarations only (see `reposix._urlforms` for the grammar),
so a third-party connector takes part the same way as the shipped ones.

Friendly specs (``sim::demo``, ``github::owner/repo``, ``jira::KEY``) translate to a
connector's canonical form (its first declared form) and back. Credentials in a URL
(``user:pass@``) are never used: such a URL is refused, and every message shows it with
the userinfo redacted.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, NoReturn

from reposix._errors import ConfigError
from reposix._urlforms import _LABEL, CompiledForm, check_conflicts, compile_forms

if TYPE_CHECKING:
    from reposix._audit_event import AuditSink
    from reposix._backend import BackendConnector
    from reposix._plugin import ConnectorPlugin
    from reposix._runtime import Runtime

__all__ = [
    "ParsedRemote",
    "RemoteUrlError",
    "connector_class",
    "installed_forms",
    "instantiate",
    "parse_remote_url",
    "parse_spec",
    "resolve",
    "sanitize_project_for_cache",
    "spec_to_url",
    "url_to_spec",
]

PREFIX = "reposix::"
DISPATCH_OP = "dispatch"
"""The audit ``op`` of the event [`instantiate`][reposix.instantiate] appends."""
_SPEC = re.compile(r"^(?P<connector>[a-z][a-z0-9_-]*)::(?P<project>.+)$")


class RemoteUrlError(ConfigError):
    """A remote URL or spec that names no connector, or names one malformed.

    ``reason`` is a stable tag for programs: ``userinfo``, ``scheme``, ``port``,
    ``query``, ``encoded-slash``, ``dot-segment``, ``character``, ``empty-project``,
    ``unknown-host``, ``marker``, ``shape``, ``ambiguous``, ``not-a-url``,
    ``unknown-connector``.
    """

    prefix: ClassVar[str] = "bad remote url"
    doc_page: ClassVar[str] = "reference/url-forms.md#refused-urls"

    def __init__(self, reason: str, message: str, *, hint: str | None = None) -> None:
        self.reason = reason
        super().__init__(message, hint=hint)


@dataclass(frozen=True, slots=True)
class ParsedRemote:
    """What a remote URL names.

    ``project`` is the raw project string connectors get (``owner/repo``); use
    `sanitize_project_for_cache` for file names. ``base_url`` is the API root the
    connector is built with; ``url`` the canonical URL (userinfo never kept).
    """

    connector: str
    origin: str
    project: str
    base_url: str
    url: str

    @property
    def spec(self) -> str:
        """The friendly spec ``connector::project`` (the origin is not part of it)."""
        return f"{self.connector}::{self.project}"

    @property
    def cache_project(self) -> str:
        """The file-safe project (see `sanitize_project_for_cache`)."""
        return sanitize_project_for_cache(self.project)


def sanitize_project_for_cache(project: str) -> str:
    """``project`` safe as one file-name component: ``/``, ``\\`` and ``:`` become ``-``.

    Idempotent. Connectors always get the raw project; only cache and state file names
    use this form (``octo/hello`` → ``octo-hello``).
    """
    return project.replace("/", "-").replace("\\", "-").replace(":", "-")


def connector_class(plugin: ConnectorPlugin[BackendConnector]) -> type[BackendConnector] | None:
    """The connector class ``plugin.build`` declares it returns, without building one.

    Read from ``build``'s return annotation (resolved through its module, so a lazily
    exported class loads on demand); None when it names no concrete connector class.
    """
    import sys

    from reposix._backend import BackendConnector

    hint = getattr(plugin.build, "__annotations__", {}).get("return")
    cls: object = hint
    if isinstance(hint, str):
        module = sys.modules.get(getattr(plugin.build, "__module__", ""))
        try:
            cls = getattr(module, hint.rpartition(".")[2], None)
        except Exception:
            cls = None
    if isinstance(cls, type) and issubclass(cls, BackendConnector) and cls is not BackendConnector:
        return cls
    return None


def _plugins() -> dict[str, ConnectorPlugin[BackendConnector]]:
    from reposix._plugin import load_plugins

    return load_plugins()


def installed_forms(
    plugins: Mapping[str, ConnectorPlugin[BackendConnector]] | None = None,
) -> list[CompiledForm]:
    """Every installed plugin's declared forms, checked for conflicts (``ConfigError``)."""
    found = _plugins() if plugins is None else plugins
    forms = [
        f
        for name in sorted(found)
        for f in compile_forms(name, found[name].url_forms, found[name].default_base_url)
    ]
    check_conflicts(forms)
    return forms


def redact_remote(url: str) -> str:
    """``url`` with any userinfo replaced by ``***`` (for messages)."""
    if "://" in url:
        return re.sub(r"(://)[^/@?#]*@", r"\1***@", url)
    return re.sub(r"^[^/@]*@", "***@", url)


def _strip_prefix(url: str) -> str:
    text = url.strip()
    for _ in range(2):  # git strips one; a harness may pass it verbatim, or twice
        if text.startswith(PREFIX):
            text = text[len(PREFIX) :]
    return text


def _shapes(forms: list[CompiledForm]) -> str:
    return "; ".join(f"{f.template} ({f.connector})" for f in forms)


def _forms_by_connector(forms: list[CompiledForm]) -> str:
    """Every known form, one per line under its connector's name (an error's ``fix:`` text:
    the first line follows ``fix:``, the rest are indented under it)."""
    lines = ["use a URL of one of the installed connectors' forms:"]
    for connector in sorted({f.connector for f in forms}):
        lines.append(f"    {connector}:")
        lines.extend(f"      {f.template}" for f in forms if f.connector == connector)
    return "\n".join(lines)


def parse_remote_url(
    url: str, *, plugins: Mapping[str, ConnectorPlugin[BackendConnector]] | None = None
) -> ParsedRemote:
    """Name the connector, origin and project of a remote URL (``reposix::`` optional).

    Raises `RemoteUrlError` (a ``ConfigError``) with a ``reason`` tag for each
    malformed shape: userinfo present, wrong scheme, bad port, query or fragment,
    percent-encoded ``/`` or ``\\``, ``.``/``..`` segments, empty project, unknown host,
    an Atlassian URL without its ``/jira/`` or ``/confluence/`` marker, or a path of the
    wrong shape.
    """
    forms = installed_forms(plugins)
    text = _strip_prefix(url)
    shown = redact_remote(text)
    if "://" not in text:
        raise RemoteUrlError(
            "not-a-url",
            f"{shown!r} is not a remote URL",
            hint="write scheme://host/... or a spec like github::owner/repo",
        )
    if re.search(r"[\s\x00-\x1f\x7f]", text):
        raise RemoteUrlError(
            "character", f"{shown!r}: a remote URL has no spaces or control characters"
        )
    try:
        parts = urllib.parse.urlsplit(text)
        parts.hostname  # noqa: B018 - validates a bracketed IPv6 host
    except ValueError as exc:
        raise RemoteUrlError("shape", f"{shown!r}: not a URL ({exc})") from None
    if "@" in parts.netloc:
        raise RemoteUrlError(
            "userinfo",
            f"{shown} carries credentials in the URL; they are never used",
            hint="remove the user:password@ part and export the connector's variables instead",
        )
    schemes = sorted({f.scheme for f in forms})
    if parts.scheme not in schemes:
        raise RemoteUrlError(
            "scheme",
            f"{shown}: scheme {parts.scheme!r} is not one of {', '.join(schemes)}",
            hint="remote URLs are http(s) URLs, e.g. https://api.github.com/projects/owner/repo",
        )
    try:
        port = parts.port
    except ValueError:
        raise RemoteUrlError("port", f"{shown}: the port is not a number from 1 to 65535") from None
    if port == 0:
        raise RemoteUrlError("port", f"{shown}: the port is not a number from 1 to 65535")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise RemoteUrlError(
            "query", f"{shown}: a remote URL has no query string or fragment", hint="drop ?... #..."
        )
    if re.search(r"%(2f|5c)", parts.path, re.IGNORECASE):
        raise RemoteUrlError(
            "encoded-slash",
            f"{shown}: percent-encoded slashes are refused (they would hide a path segment)",
            hint="write the project's segments with plain /",
        )
    host = (parts.hostname or "").lower()
    raw_segments = parts.path.split("/")[1:]
    if raw_segments and raw_segments[-1] == "":
        raw_segments = raw_segments[:-1]  # one trailing slash is tolerated
    segments = [urllib.parse.unquote(s) for s in raw_segments]
    if any(s in (".", "..") for s in segments):
        raise RemoteUrlError("dot-segment", f"{shown}: '.' and '..' segments are refused")
    scheme_forms = [f for f in forms if f.scheme == parts.scheme and f.host_kind == "scheme"]
    if scheme_forms:
        return _parse_scheme_form(scheme_forms, parts, segments, port, shown)
    same_scheme = [f for f in forms if f.scheme == parts.scheme]
    by_host = [(f, v) for f in same_scheme if (v := f.match_host(host)) is not None]
    if not by_host:
        other = [f for f in forms if f.match_host(host) is not None]
        if other:
            raise RemoteUrlError(
                "scheme",
                f"{shown}: {host} is served over {other[0].scheme}, not {parts.scheme}",
                hint=f"expected {_shapes(other)}",
            )
        raise RemoteUrlError(
            "unknown-host",
            f"{shown}: no installed connector serves {host or 'an empty host'}",
            hint=_forms_by_connector(forms),
        )
    if "" in segments:
        for f, _ in by_host:
            n = len(f.markers)
            if tuple(segments[:n]) == f.markers and all(s == "" for s in segments[n:]):
                raise RemoteUrlError("empty-project", f"{shown}: the project is empty")
        raise RemoteUrlError("shape", f"{shown}: empty path segment")
    matches = [
        (f, v, slots)
        for f, v in by_host
        if f.accepts_port(port) and (slots := f.match_path(segments)) is not None
    ]
    if not matches:
        _diagnose(shown, host, port, segments, by_host, forms)
    best = max(f.specificity for f, _, _ in matches)
    top = [(f, v, s) for f, v, s in matches if f.specificity == best]
    if len({f.connector for f, _, _ in top}) > 1:
        raise RemoteUrlError(
            "ambiguous",
            f"{shown} fits forms of several connectors: {_shapes([f for f, _, _ in top])}",
            hint="uninstall one of the connectors or use a URL with a marker segment",
        )
    form, host_value, slots = top[0]
    project = "/".join(slots[name] for name, _ in form.slots)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if port is not None:
        netloc += f":{port}"
    origin = f"{parts.scheme}://{netloc}"
    return ParsedRemote(
        connector=form.connector,
        origin=origin,
        project=project,
        base_url=form.base_url(origin, host_value),
        url=f"{origin}/{'/'.join(raw_segments)}",
    )


def _diagnose(
    shown: str,
    host: str,
    port: int | None,
    segments: list[str],
    by_host: list[tuple[CompiledForm, str]],
    forms: list[CompiledForm],
) -> NoReturn:
    """Why no form matched: the most specific reason, for a URL whose host is known."""
    specific = [f for f, _ in by_host if f.host_kind != "any"]
    if not specific:  # only self-managed forms took the host, and their markers are absent
        known = [f for f in forms if f.host_kind != "any" and f.match_host(host) is not None]
        if known:
            raise RemoteUrlError(
                "scheme",
                f"{shown}: {host} is served over {known[0].scheme}, not {shown.partition(':')[0]}",
                hint=f"expected {_shapes(known)}",
            )
        raise RemoteUrlError(
            "unknown-host",
            f"{shown}: no installed connector serves {host}, and the path carries no "
            "self-managed marker",
            hint=_forms_by_connector(forms),
        )
    ported = [f for f in specific if f.accepts_port(port)]
    if not ported:
        ports = sorted({str(f.fixed_port) for f in specific if f.fixed_port is not None})
        raise RemoteUrlError(
            "port",
            f"{shown}: {host} takes "
            + (f"port {' or '.join(ports)}" if ports else "no port")
            + ("" if port is None else f", not {port}"),
        )
    for f in ported:
        if tuple(segments) == f.markers:
            raise RemoteUrlError("empty-project", f"{shown}: the project is empty")
    if len({f.connector for f in ported}) > 1:
        markers = " or ".join(dict.fromkeys(f"/{f.markers[0]}/" for f in ported if f.markers))
        raise RemoteUrlError(
            "marker",
            f"{shown}: {host} serves several connectors, so the path needs the {markers} marker",
            hint=f"expected {_shapes(ported)}",
        )
    raise RemoteUrlError(
        "shape",
        f"{shown}: the path does not fit {host}'s forms",
        hint=f"expected {_shapes(ported)}",
    )


def _parse_scheme_form(
    forms: list[CompiledForm],
    parts: urllib.parse.SplitResult,
    segments: list[str],
    port: int | None,
    shown: str,
) -> ParsedRemote:
    """``scheme://slot/slot``: the project on the connector's default server."""
    if port is not None:
        raise RemoteUrlError("port", f"{shown}: a {parts.scheme}:// URL takes no port")
    all_segments = [urllib.parse.unquote(parts.netloc), *segments]
    if all(s == "" for s in all_segments):
        raise RemoteUrlError("empty-project", f"{shown}: the project is empty")
    if "" in all_segments:
        raise RemoteUrlError("shape", f"{shown}: empty path segment")
    if any(s in (".", "..") for s in all_segments):
        raise RemoteUrlError("dot-segment", f"{shown}: '.' and '..' segments are refused")
    for form in forms:
        slots = form.match_path(all_segments)
        if slots is not None:
            project = "/".join(slots[name] for name, _ in form.slots)
            base = form.base_url("", "")
            return ParsedRemote(
                connector=form.connector,
                origin=_origin_of(base),
                project=project,
                base_url=base,
                url=f"{parts.scheme}://{project}",
            )
    raise RemoteUrlError(
        "shape", f"{shown}: the path does not fit", hint=f"expected {_shapes(forms)}"
    )


def _origin_of(url: str) -> str:
    split = urllib.parse.urlsplit(url)
    return f"{split.scheme}://{split.netloc}" if split.netloc else url


def parse_spec(spec: str) -> tuple[str, str]:
    """``(connector, project)`` of a friendly spec ``connector::project``."""
    text = spec.strip()
    m = _SPEC.match(text)
    if m is None or "://" in text:
        raise RemoteUrlError(
            "not-a-url",
            f"{redact_remote(text)!r} is neither a spec like github::owner/repo nor a URL",
        )
    project = m["project"]
    if re.search(r"[\s\x00-\x1f\x7f]", project):
        raise RemoteUrlError(
            "character", f"{text!r}: a project has no spaces or control characters"
        )
    parts = project.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise RemoteUrlError("dot-segment", f"{text!r}: empty, '.' or '..' project segment")
    return m["connector"], project


def spec_to_url(
    spec: str,
    *,
    environ: Mapping[str, str] | None = None,
    plugins: Mapping[str, ConnectorPlugin[BackendConnector]] | None = None,
) -> str:
    """The canonical remote URL of ``connector::project``.

    Host placeholders of the connector's canonical form come from its declared ``env``
    variable (e.g. ``REPOSIX_JIRA_INSTANCE``), else its ``defaults``; a missing one is a
    [`RemoteUrlError`][reposix.RemoteUrlError] naming the variable.
    """
    import os

    env = os.environ if environ is None else environ
    connector, project = parse_spec(spec)
    forms = [f for f in installed_forms(plugins) if f.connector == connector]
    if not forms:
        names = sorted({f.connector for f in installed_forms(plugins)})
        raise RemoteUrlError(
            "unknown-connector",
            f"no installed connector is called {connector!r}",
            hint=f"installed: {', '.join(names)}",
        )
    form = next(f for f in forms if f.canonical)
    values = dict(form.form.defaults)
    for name, var in form.form.env.items():
        value = env.get(var, "").strip()
        if not value:
            continue
        if name == form.host_var and form.host_kind == "label" and not re.match(_LABEL, value):
            # e.g. REPOSIX_JIRA_INSTANCE=https://acme.atlassian.net: pasted into the host
            # it made 'https://[https://acme.atlassian.net.atlassian.net]/...'.
            raise RemoteUrlError(
                "unknown-host",
                f"{var} is {value!r}: it must be the {name} alone, the part before "
                f"{form.host}, not a URL or host name",
                hint=f"e.g. {var}=acme for https://acme{form.host}",
            )
        values[name] = value
    needed = [form.host_var] if form.host_var else []
    missing = [n for n in needed if not values.get(n or "")]
    if missing:
        var = form.form.env.get(missing[0] or "", "")
        raise RemoteUrlError(
            "unknown-host",
            f"{spec!r} needs the {missing[0]} of the {connector} site"
            + (f": set {var}" if var else ""),
            hint=f"or give the full URL, {form.template}",
        )
    return form.render(values, project)


def url_to_spec(
    url: str, *, plugins: Mapping[str, ConnectorPlugin[BackendConnector]] | None = None
) -> str:
    """The friendly spec of a remote URL (``connector::project``; the origin is dropped)."""
    return parse_remote_url(url, plugins=plugins).spec


def resolve(
    target: str,
    *,
    environ: Mapping[str, str] | None = None,
    plugins: Mapping[str, ConnectorPlugin[BackendConnector]] | None = None,
) -> ParsedRemote:
    """Parse a remote URL or a friendly spec (``github::owner/repo``)."""
    text = _strip_prefix(target)
    if "://" not in text and "::" in text:
        text = spec_to_url(text, environ=environ, plugins=plugins)
    return parse_remote_url(text, plugins=plugins)


def instantiate(
    parsed: ParsedRemote,
    *,
    runtime: Runtime | None = None,
    environ: Mapping[str, str] | None = None,
    plugins: Mapping[str, ConnectorPlugin[BackendConnector]] | None = None,
) -> BackendConnector:
    """Build the connector ``parsed`` names, credentials from the environment.

    ``MissingCredentials`` (from the plugin's ``build``) lists every missing variable on
    its own line with the connector's docs page. On success an audit event
    (``op="dispatch"``, ``method="INIT"``) is appended to the runtime's sink: its URL is
    the canonical remote URL with ``#project=<as given>&cache=<file-safe>`` so forensics
    can map a cache or state file name back to the raw project.
    """
    from reposix._credentials import from_env
    from reposix._runtime import Runtime

    found = _plugins() if plugins is None else plugins
    plugin = found.get(parsed.connector)
    if plugin is None:
        raise RemoteUrlError(
            "unknown-connector", f"connector {parsed.connector!r} is not installed"
        )
    rt = runtime or Runtime()
    credentials = from_env(plugin.name, (), plugin.env_vars, environ=environ)
    connector = plugin.build(parsed.base_url, credentials, rt)
    _audit(rt.audit, parsed)
    return connector


def _audit(sink: AuditSink | None, parsed: ParsedRemote) -> None:
    from reposix._audit import AuditEvent, default_sink

    fragment = urllib.parse.urlencode({"project": parsed.project, "cache": parsed.cache_project})
    event = AuditEvent(
        ts=datetime.now(UTC),
        connector=parsed.connector,
        op=DISPATCH_OP,
        method="INIT",
        url=f"{redact_remote(parsed.url)}#{fragment}",
        status=None,
        duration_ms=0.0,
        outcome="ok",
    )
    (sink if sink is not None else default_sink()).append(event)
