"""mkdocs hooks: reference tables generated from the code at build time, so they cannot drift.

A page asks for a table with a marker comment on a line of its own; ``on_page_markdown``
replaces it with the table rendered from the installed code:

- ``<!-- gen:capabilities -->``: every registered connector's ``Capabilities``;
- ``<!-- gen:env-vars -->``: every variable declared in ``reposix._env``;
- ``<!-- gen:connector-env -->``: every registered connector's environment variables;
- ``<!-- gen:sim-routes -->``: the simulator's HTTP routes (from its Starlette app and
  each route handler's docstring);
- ``<!-- gen:bench-charts -->``: the benchmark charts (``bench_charts.py``);
- ``<!-- needs-account -->`` (above a code block): a visible note that the block needs a
  real account and is not run by the docs tests (``blocks.py``);
- ``<!-- gen:matrix -->``: the committed conformance matrix (``matrix.py``), whose
  column for a connector is also appended to that connector's own page.

A checkout tool, not part of the wheel.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import inspect
import itertools
import os
import posixpath
import re
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

__all__ = [
    "on_page_markdown",
    "parse_route_doc",
    "render_bench_charts",
    "render_capabilities",
    "render_connector_env",
    "render_env_vars",
    "render_full_matrix",
    "render_sim_routes",
    "sim_routes",
]


def _plugins() -> list[Any]:
    plugins = [ep.load() for ep in entry_points(group="reposix.connectors")]
    return sorted(plugins, key=lambda p: (p.name != "sim", p.name))


def _connector(plugin: Any) -> Any:
    from reposix._credentials import Credentials
    from reposix._runtime import Runtime
    from reposix._secret import Secret

    # A plugin may refuse some combinations (two alternative tokens set at once): try the
    # largest sets of placeholder credentials first, and take the first it accepts.
    problem: Exception | None = None
    names = tuple(plugin.env_vars)
    for size in range(len(names), -1, -1):
        for chosen in itertools.combinations(names, size):
            creds = Credentials({var: Secret("docs-placeholder") for var in chosen})
            try:
                return plugin.build(plugin.default_base_url, creds, Runtime())
            except Exception as exc:
                problem = exc
    raise RuntimeError(f"cannot build connector {plugin.name!r} for the docs: {problem}")


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return f"`{value.value}`"
    return f"`{value}`"


def _label(plugin: Any) -> str:
    name = "sim (control)" if plugin.name == "sim" else plugin.name
    if plugin.docs:
        return f"[{name}](../{plugin.docs})"
    return name


def render_capabilities() -> str:
    """A table: one column per registered connector, one row per ``Capabilities`` field."""
    from reposix._backend import Capabilities

    plugins = _plugins()
    caps = [_connector(p).capabilities for p in plugins]
    lines = [
        "| capability | " + " | ".join(_label(p) for p in plugins) + " |",
        "|---|" + "---|" * len(plugins),
    ]
    for field in dataclasses.fields(Capabilities):
        cells = " | ".join(_cell(getattr(c, field.name)) for c in caps)
        lines.append(f"| `{field.name}` | {cells} |")
    return "\n".join(lines)


def render_env_vars() -> str:
    """One section per variable declared in ``reposix._env`` (name, value, default, use)."""
    from reposix._env import ENVIRONMENT

    sections = []
    for var in ENVIRONMENT:
        unit = f" ({var.unit})" if var.unit else ""
        secret = " Secret: never printed or logged." if var.secret else ""
        sections.append(
            f"### `{var.name}`\n\n{var.meaning}{secret}\n\n"
            f"- **Value:** {var.shape}{unit}\n"
            f"- **Default:** {var.default}\n"
            f"- **Read by:** {var.read_by}\n"
        )
    return "\n".join(sections)


def _asked_for(plugin: Any) -> tuple[str, ...]:
    """The variables a plugin's ``build`` asks for when none is set (its ``MissingCredentials``)."""
    from reposix._audit import MemoryAuditSink
    from reposix._credentials import Credentials
    from reposix._errors import MissingCredentials
    from reposix._runtime import Runtime

    try:
        built = plugin.build(
            plugin.default_base_url, Credentials({}), Runtime(audit=MemoryAuditSink())
        )
    except MissingCredentials as exc:
        return exc.missing
    asyncio.run(built.aclose())
    return ()


def render_connector_env(page: str = "configuration.md") -> str:
    """A table of every registered connector's environment variables, from its plugin.

    Bold: the variables its ``build`` asks for when none is set; the others are
    alternatives (another auth scheme) or optional. ``page`` is the docs path of the
    page the table lands on, for the links to the connector pages.
    """
    lines = ["| connector | variables |", "|---|---|"]
    for p in _plugins():
        asked = " ".join(_asked_for(p))
        names = ", ".join(
            f"**`{v}`**" if re.search(rf"\b{re.escape(v)}\b", asked) else f"`{v}`"
            for v in p.env_vars
        )
        label = "sim (control)" if p.name == "sim" else p.name
        if p.docs:
            label = f"[{label}]({posixpath.relpath(p.docs, posixpath.dirname(page) or '.')})"
        lines.append(f"| {label} | {names or '(none)'} |")
    return "\n".join(lines)


ROUTE_FIELDS = ("Request", "Response", "Errors", "Source")
"""The labelled paragraphs of a simulator route handler's docstring, in page order."""


def sim_routes() -> list[tuple[str, str, Any]]:
    """``(methods, path, handler)`` for every route of the simulator's Starlette app, one
    entry per handler (``GET, PUT, PATCH`` when one handler serves several methods)."""
    from reposix.sim import create_app

    found: dict[Any, tuple[list[str], str]] = {}
    for route in create_app()._router.routes:
        path = getattr(route, "path", None)
        endpoint = getattr(route, "endpoint", None)
        methods = [m for m in (getattr(route, "methods", None) or ()) if m != "HEAD"]
        if path is None or endpoint is None or not methods:
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", path)
        key = (getattr(endpoint, "__func__", endpoint), path)
        found.setdefault(key, ([], path))[0].extend(methods)
    order = ("GET", "POST", "PUT", "PATCH", "DELETE")
    return [
        (", ".join(sorted(ms, key=order.index)), path, key[0]) for key, (ms, path) in found.items()
    ]


def parse_route_doc(doc: str) -> tuple[str, dict[str, str]]:
    """A handler docstring's summary line and its labelled paragraphs (``Request:`` ...)."""
    lines = [line.strip() for line in inspect.cleandoc(doc).splitlines()]
    summary: list[str] = []
    fields: dict[str, list[str]] = {}
    current: list[str] = summary
    for line in lines:
        label, sep, rest = line.partition(":")
        if sep and label in ROUTE_FIELDS:
            current = fields.setdefault(label, [])
            line = rest.strip()
        current.append(line)
    return " ".join(" ".join(summary).split()), {
        k: " ".join(" ".join(v).split()) for k, v in fields.items()
    }


def _rst_to_md(text: str) -> str:
    text = text.replace("``", "`")
    return re.sub(r"(?<![<(])(https?://[^\s,;)]+)", r"<\1>", text)


def render_sim_routes() -> str:
    """One section per simulator route, from its handler's docstring: what it does, its
    request and response shapes, its status codes and the source of its wire shape."""
    sections = []
    for methods, path, handler in sim_routes():
        summary, fields = parse_route_doc(handler.__doc__ or "")
        parts = [f"### `{methods} {path}`", "", _rst_to_md(summary), ""]
        parts += [f"- **{k}:** {_rst_to_md(fields[k])}" for k in ROUTE_FIELDS if k in fields]
        sections.append("\n".join(parts) + "\n")
    return "\n".join(sections)


def render_bench_charts() -> str:
    """The benchmarks page's charts, from ``benchmarks/results/bench_github.json``."""
    from bench_charts import render

    return render()


def render_full_matrix() -> str:
    """The committed conformance matrix of every target (``matrix.py``)."""
    from matrix import load, render_matrix

    return render_matrix(load())


def _connector_section(src_uri: str) -> str:
    """The conformance section appended to a connector's own page (its plugin's ``docs``)."""
    from matrix import load, render_column

    data = load()
    names = {t["name"] for t in data["targets"]}
    for plugin in _plugins():
        if plugin.docs == src_uri and plugin.name in names:
            link = posixpath.relpath("contract/invariants.md", posixpath.dirname(src_uri) or ".")
            full = posixpath.relpath("reference/matrix.md", posixpath.dirname(src_uri) or ".")
            return (
                "\n\n## Conformance\n\n"
                + render_column(data, plugin.name, link)
                + f" Every connector side by side: [the conformance matrix]({full}).\n"
            )
    return ""


def render_kill_rate() -> str:
    """The gallery's kill rate, counted from the gallery itself at build time."""
    from kit_pages import REPO_ROOT
    from reposix_contract._gallery import load_gallery

    entries = load_gallery(REPO_ROOT / "tests" / "contract" / "gallery")
    return (
        f"**Kill rate: {len(entries)}/{len(entries)}** deliberately broken connectors caught, "
        "each by every invariant listed for it (the kit's own tests assert each kill)."
    )


def render_lazy_commands() -> str:
    """mkdocs-click directives for the commands ``reposix`` imports only when invoked
    (mkdocs-click lists only a group's eager commands); the extension expands them."""
    from reposix._cli import LAZY_COMMANDS

    blocks = []
    for name, (ref, _help) in sorted(LAZY_COMMANDS.items()):
        module, _, attr = ref.partition(":")
        blocks.append(
            f"::: mkdocs-click\n    :module: {module}\n    :command: {attr}\n"
            f"    :prog_name: reposix {name}\n    :depth: 1\n    :style: table\n"
        )
    return "\n".join(blocks)


_MARKERS = {
    "<!-- gen:lazy-commands -->": render_lazy_commands,
    "<!-- gen:kill-rate -->": render_kill_rate,
    "<!-- gen:matrix -->": render_full_matrix,
    "<!-- gen:bench-charts -->": render_bench_charts,
    "<!-- gen:capabilities -->": render_capabilities,
    "<!-- gen:env-vars -->": render_env_vars,
    "<!-- gen:sim-routes -->": render_sim_routes,
}


_NEEDS_ACCOUNT = re.compile(r"^([ \t]*)<!-- needs-account -->\n", flags=re.MULTILINE)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace each generation marker in a page with its freshly rendered table."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    from blocks import NEEDS_ACCOUNT_NOTE

    os.environ.setdefault("REPOSIX_AUDIT_DB", ":memory:")
    page = kwargs.get("page")
    src_uri = getattr(getattr(page, "file", None), "src_uri", "")
    for marker, render in _MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, render())
    markdown = _NEEDS_ACCOUNT.sub(lambda m: f"{m.group(1)}{NEEDS_ACCOUNT_NOTE}\n\n", markdown)
    if "<!-- gen:connector-env -->" in markdown:
        markdown = markdown.replace("<!-- gen:connector-env -->", render_connector_env(src_uri))
    if src_uri.startswith("connectors/") or src_uri == "simulator.md":
        markdown += _connector_section(src_uri)
    return markdown
