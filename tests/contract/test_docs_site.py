"""The docs site a newcomer reads: the home page shows real output, generated reference
pages keep their shape, no page shows raw Sphinx roles or another implementation, every
diagram uses the fence that renders, every public name is documented. (Code blocks:
tests/docs/test_doc_blocks.py.)"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from home_matrix import HOME_PAGE, capture, committed, render

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_gen" not in p.parts)
SOURCES = sorted(
    p
    for folder in ("sdk", "contract", "reference_connectors")
    for p in (ROOT / folder).rglob("*.py")
)
SPHINX_ROLE = re.compile(r":(class|func|meth|exc|attr|mod|data|obj|ref):`")
MERMAID_KINDS = ("flowchart", "graph", "sequenceDiagram", "stateDiagram-v2", "xychart-beta")


def test_home_page_has_install_command_and_a_captured_matrix_with_a_fail() -> None:
    page = (ROOT / HOME_PAGE).read_text(encoding="utf-8")
    assert 'pip install "reposix-sdk[contract]"' in page
    block = committed(page)
    assert "FAIL" in block
    assert "pass" in block


def test_home_page_capture_is_what_the_command_prints_today() -> None:
    page = (ROOT / HOME_PAGE).read_text(encoding="utf-8")
    fresh = render(capture(ROOT))
    assert committed(page) == fresh, "stale capture; regenerate: python docs/_gen/home_matrix.py"


def test_every_invariant_heading_has_a_title() -> None:
    page = (DOCS / "contract" / "invariants.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### (.*)$", page, flags=re.MULTILINE)
    assert headings
    bare = [h for h in headings if not re.match(r"^[A-Z][a-z].* \(`[A-Z]\d\d`\) \{ #", h)]
    assert not bare, f"invariant headings without a title: {bare}"


@pytest.mark.parametrize("path", PAGES + SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_raw_sphinx_role(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = SPHINX_ROLE.findall(text)
    assert not found, f"{path}: Sphinx roles render raw in mkdocs; use [`Name`][pkg.Name]"


def test_no_reference_to_another_implementation() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in [*PAGES, ROOT / "README.md", *SOURCES]
        if re.search(r"\bRust\b", p.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"pages mention an implementation the reader never saw: {offenders}"


def test_mermaid_fence_is_configured() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("!!python/name:", "")
    data = yaml.safe_load(config)
    fences = next(
        e["pymdownx.superfences"]["custom_fences"]
        for e in data["markdown_extensions"]
        if isinstance(e, dict) and "pymdownx.superfences" in e
    )
    assert any(f["name"] == "mermaid" and f["class"] == "mermaid" for f in fences)
    # mkdocs-material fetches Mermaid from a CDN unless the page already has it: the site
    # serves its own copy, so diagrams render offline too.
    scripts = data.get("extra_javascript", [])
    assert any("mermaid" in s and (DOCS / s).is_file() for s in scripts), scripts


def _mermaid_blocks() -> list[tuple[str, str]]:
    out = []
    for page in PAGES:
        for block in re.findall(r"```mermaid\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            out.append((str(page.relative_to(ROOT)), block))
    return out


def test_diagrams_exist_and_are_plausible_mermaid() -> None:
    blocks = _mermaid_blocks()
    assert len(blocks) >= 3

    for where, block in blocks:
        assert block.lstrip().startswith(MERMAID_KINDS), f"{where}: unknown diagram kind"
        for left, right in ("[]", "()", "{}"):
            assert block.count(left) == block.count(right), f"{where}: unbalanced {left}{right}"
        assert block.count('"') % 2 == 0, f"{where}: unbalanced quotes"
        # Mermaid ends a statement at ";": inside a label it silently splits the diagram.
        assert ";" not in block, f"{where}: ';' in a diagram"
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        assert "```mmd" not in text, f"{path}: wrong fence"
        assert "``` mermaid" not in text, f"{path}: wrong fence"


@pytest.mark.parametrize("package", ["reposix", "reposix.sim", "reposix_contract"])
def test_every_public_name_is_documented_and_in_the_api_reference(package: str) -> None:
    module = importlib.import_module(package)
    undocumented = []
    for name in module.__all__:
        obj = getattr(module, name)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and not inspect.getdoc(obj):
            undocumented.append(name)
    assert not undocumented, f"{package}: public names without a docstring: {undocumented}"
    pages = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("api*.md"))
    assert f"::: {package}\n" in pages, f"{package} has no API reference page"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built with ``--strict`` (and without ``-q``, which hides the warnings
    strict mode counts) into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "REPOSIX_AUDIT_DB": ":memory:"}
    exe = Path(sys.executable).parent / "mkdocs"
    done = subprocess.run(
        [str(exe), "build", "--strict", "-d", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    warnings = [line for line in done.stderr.splitlines() if not line.startswith("INFO")]
    assert done.returncode == 0, "\n".join(warnings)
    return out


def test_built_home_page_shows_install_and_a_failing_matrix(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "pip install" in home
    assert "reposix-sdk[contract]" in home
    assert "drops-last-page" in home
    assert "FAIL" in home


def test_built_pages_show_no_raw_role_or_unrendered_reference(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not SPHINX_ROLE.search(text), f"{page}: raw Sphinx role"
        assert not re.search(r"\]\[(reposix|reposix_contract)\.", text), (
            f"{page}: a cross-reference did not render as a link"
        )


def test_built_diagrams_use_the_rendering_fence(site: Path) -> None:
    page = (site / "concepts" / "architecture" / "index.html").read_text(encoding="utf-8")
    assert page.count('class="mermaid"') >= 3
    generated = (site / "reference" / "capabilities" / "index.html").read_text(encoding="utf-8")
    assert "gen:capabilities" not in generated
    assert "<td>" in generated


def test_committed_matrix_matches_the_registry() -> None:
    """The committed matrix (a real kit run) still describes what is registered: the same
    targets and invariants, every applicable cell a pass and every other one declared."""
    from hooks import _connector, _plugins
    from matrix import load
    from reposix_contract._registry import invariants
    from reposix_contract._targets import registered_names, unmet

    fix = "regenerate with: python docs/_gen/matrix.py"
    data = load()
    assert sorted(t["name"] for t in data["targets"]) == registered_names(), fix
    suite = invariants()
    assert [i["id"] for i in data["invariants"]] == [i.id for i in suite], fix
    for plugin in _plugins():
        connector = _connector(plugin)
        for inv in suite:
            expected = "n/a" if unmet(connector, inv) else "pass"
            got = data["results"][plugin.name][inv.id]["status"]
            assert got == expected, f"{plugin.name} {inv.id}: committed {got}; {fix}"


def test_every_exported_error_has_a_fix_section() -> None:
    import reposix

    page = (DOCS / "errors.md").read_text(encoding="utf-8")
    section = page[page.index("## How to fix each error") :]
    errors = [
        name
        for name in reposix.__all__
        if isinstance(getattr(reposix, name), type)
        and issubclass(getattr(reposix, name), BaseException)
    ]
    missing = [name for name in errors if f"`{name}`" not in section]
    assert not missing, f"errors without a how-to-fix section in docs/errors.md: {missing}"


def test_cli_reference_shows_every_command(site: Path) -> None:
    import click

    from reposix._cli import cli

    page = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    ctx = click.Context(cli)
    missing = [name for name in cli.list_commands(ctx) if f'id="reposix-{name}"' not in page]
    assert not missing, f"commands missing from the CLI reference: {missing}"


def test_environment_page_is_generated_from_the_declarations(site: Path) -> None:
    """Every declared variable and every plugin's credential variable is on the page, and
    the page source lists none by hand (so the page cannot drift from the code)."""
    from hooks import _plugins
    from reposix._env import ENVIRONMENT

    source = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert not re.search(r"^\|\s*`?[A-Z][A-Z0-9_]+`?\s*\|", source, flags=re.MULTILINE), (
        "docs/configuration.md lists a variable by hand; declare it in reposix._env"
    )
    page = (site / "configuration" / "index.html").read_text(encoding="utf-8")
    assert "gen:" not in page
    names = [v.name for v in ENVIRONMENT] + [n for p in _plugins() for n in p.env_vars]
    missing = [name for name in names if name not in page]
    assert not missing, f"variables missing from the environment-variables page: {missing}"
    for var in ENVIRONMENT:
        assert f'id="{var.name.lower()}"' in page, f"{var.name} has no heading to link to"


def test_every_simulator_route_is_documented_by_its_handler() -> None:
    """The HTTP API page is built from handler docstrings: each says what the route does,
    what it answers, and where its wire shape comes from (a URL, or that it is our own)."""
    from hooks import parse_route_doc, sim_routes

    routes = sim_routes()
    assert len(routes) >= 10
    problems = []
    for methods, path, handler in routes:
        summary, fields = parse_route_doc(handler.__doc__ or "")
        where = f"{methods} {path} ({handler.__name__})"
        if not summary:
            problems.append(f"{where}: no docstring")
            continue
        if "Response" not in fields:
            problems.append(f"{where}: no 'Response:' paragraph")
        source = fields.get("Source", "")
        if "https://" not in source and "own" not in source:
            problems.append(f"{where}: 'Source:' names no URL (or says the shape is our own)")
    assert not problems, "\n".join(problems)


def test_built_simulator_api_page_shows_each_route(site: Path) -> None:
    from hooks import sim_routes

    page = (site / "reference" / "sim-http" / "index.html").read_text(encoding="utf-8")
    assert "gen:sim-routes" not in page
    for methods, path, _handler in sim_routes():
        assert f"{methods} {path}" in page, f"{methods} {path} missing from the page"
    assert "Response:" in page
