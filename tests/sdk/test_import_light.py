"""``import reposix`` stays light: heavy parts load on first use."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(statements: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after running ``statements``."""
    code = f"import sys\n{statements}\nprint(','.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_import_reposix_does_not_load_heavy_modules() -> None:
    heavy = ("httpx", "pydantic", "starlette", "uvicorn", "yaml", "rich", "reposix.sim")
    kit = ("reposix_contract", "respx", "hypothesis")
    assert loaded_after("import reposix", heavy + kit) == []


ENTRY_MODULES = [
    "reposix._runtime",
    "reposix._http",
    "reposix._backend",
    "reposix._pagination",
    "reposix._ratelimit",
    "reposix.sim",
    "reposix.sim._backend",
    "reposix._connector_base",
    "reposix._plugin",
    "reposix._cli",
    "reposix_contract._plugin",
]


def test_each_module_imports_first_in_a_fresh_interpreter() -> None:
    """No import cycle hides behind another module having been imported first."""
    code = (
        "import importlib, subprocess, sys\n"
        f"mods = {ENTRY_MODULES!r}\n"
        "procs = [subprocess.Popen([sys.executable, '-c', f'import {m}'],"
        " stderr=subprocess.PIPE, text=True) for m in mods]\n"
        "bad = [(m, p.communicate()[1].strip().splitlines()[-1:]) for m, p in zip(mods, procs)"
        " if p.wait() != 0]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_importing_a_connector_defers_what_a_listing_loads_later() -> None:
    """What ``benchmarks/bench_import.py`` times stays lean: no simulator server, no
    entry-point scan, no asyncio, and no pydantic validator built before first use
    (models are ``defer_build``; building one loads ``pydantic.plugin._loader``), no SQLite
    audit log (``sqlite3`` loads when the default sink is first opened), no
    structured-field parser (loaded by the first ``RateLimit`` field) and no URL-form
    grammar (a plugin declares ``UrlForm``s; only dispatch compiles them). click and
    rich are not checked here: httpx imports them whenever they are installed, as they are
    in a dev install; .ci/run checks a bare wheel install goes without them."""
    deferred = ("starlette", "uvicorn", "asyncio", "importlib.metadata", "yaml", "markdown_it")
    internal = (
        "pydantic.plugin._loader",
        "reposix.sim",
        "reposix_contract",
        "sqlite3",
        "reposix._audit",
        "reposix._ratelimit._sfv",
        "reposix._urlforms",
    )
    others = tuple(f"reposix._pagination.{s}" for s in ("cursor", "graphql", "offset", "token"))
    assert loaded_after("import reposix_github.connector", deferred + internal + others) == []


def test_a_deferred_model_still_validates_on_first_use() -> None:
    use = "from reposix_github.wire import PAGE\nassert PAGE.validate_json(b'[]') == []"
    assert loaded_after(use, ("pydantic.plugin._loader",)) == ["pydantic.plugin._loader"]
    assert loaded_after("import reposix_github.wire", ("pydantic.plugin._loader",)) == []


CONNECTORS = ("github", "jira", "confluence", "gitlab", "bitbucket", "linear", "rhythm")


def test_no_connector_builds_a_validator_or_opens_sqlite_at_import() -> None:
    """Every shipped connector's wire models are ``WireModel`` and its adapters come from
    ``wire_adapter``, so none builds a schema (which loads pydantic's plugin loader) at
    import; none loads the SQLite audit log either."""
    watched = ("pydantic.plugin._loader", "sqlite3")
    statements = "\n".join(f"import reposix_{name}.connector" for name in CONNECTORS)
    assert loaded_after(statements, watched) == []
