"""Every environment variable the code reads is declared once (``reposix._env``), and read
through that declaration; every declaration is read somewhere.

An AST scan of the shipped code (sdk/, contract/, reference_connectors/; the cookiecutter
template, which is Jinja before it is Python, by text). The docs' environment-variables
page is generated from the same declarations, so a variable missing here would be
missing there.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from reposix import _env
from reposix._errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("sdk", "contract", "reference_connectors")
NAME = re.compile(r"\bREPOSIX_[A-Z0-9_]*[A-Z0-9]\b")

# Modules that may touch ``os.environ`` directly, and why. Everything else reads a variable
# through its declaration (``AUDIT_DB.get()``).
DIRECT_ACCESS = {
    "sdk/reposix/_env.py": "the declarations' own reader",
    "sdk/reposix/_credentials.py": "reads the names a connector plugin declares (env_vars)",
    "sdk/reposix/_dispatch.py": "URL-form variables, declared by the plugin (env_vars)",
    "sdk/reposix/_cli_ops.py": "reposix doctor: whether each plugin-declared variable is set",
    "contract/reposix_contract/_harness.py": "exports a fake's variables and restores them",
    "contract/reposix_contract/_settings.py": "set_thorough exports the profile to subprocesses",
    "contract/reposix_contract/_live.py": "live_session reads the variables its live test names",
}


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for top in SHIPPED:
        for path in sorted((ROOT / top).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def _declared() -> set[str]:
    names = {var.name for var in _env.ENVIRONMENT}
    for ep in entry_points(group="reposix.connectors"):
        names.update(ep.load().env_vars)
    return names


def _strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_every_reposix_name_in_the_code_is_declared() -> None:
    declared = _declared()
    undeclared = [
        f"{rel}:{line}: {name}"
        for rel, tree in _sources()
        for line, text in _strings(tree)
        for name in NAME.findall(text)
        if name not in declared
    ]
    for path in sorted((ROOT / "templates").rglob("*.py")):
        for name in NAME.findall(path.read_text()):
            if name not in declared:
                undeclared.append(f"{path.relative_to(ROOT)}: {name}")
    assert not undeclared, (
        "declare these in sdk/reposix/_env.py (or a plugin's env_vars):\n" + "\n".join(undeclared)
    )


def _direct_access(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in ("environ", "getenv", "environb", "putenv", "unsetenv")
        ):
            yield node.lineno, f"os.{node.attr}"
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ("environ", "getenv"):
                    yield node.lineno, f"from os import {alias.name}"
        if (
            isinstance(node, ast.keyword)
            and node.arg in ("envvar", "auto_envvar_prefix")
            and isinstance(node.value, ast.Constant)
        ):
            yield node.lineno, f"click {node.arg}={node.value.value!r}"


def test_code_reads_the_environment_only_through_declarations() -> None:
    offenders = [
        f"{rel}:{line}: {what}"
        for rel, tree in _sources()
        for line, what in _direct_access(tree)
        if rel not in DIRECT_ACCESS or what.startswith("click")
    ]
    for path in sorted((ROOT / "templates").rglob("*.py")):
        if re.search(r"\bos\.(environ|getenv)\b", path.read_text()):
            offenders.append(f"{path.relative_to(ROOT)}: os.environ")
    assert not offenders, (
        "read the variable through its reposix._env declaration (VAR.get()):\n"
        + "\n".join(offenders)
    )


def test_the_direct_access_exceptions_still_exist() -> None:
    """A stale exception would let a new direct read slip in unnoticed."""
    used = {rel for rel, tree in _sources() if any(True for _ in _direct_access(tree))}
    assert set(DIRECT_ACCESS) <= used, set(DIRECT_ACCESS) - used


def test_every_declaration_is_read_somewhere() -> None:
    idents = {ident: var for ident, var in vars(_env).items() if isinstance(var, _env.EnvVar)}
    assert set(idents.values()) == set(_env.ENVIRONMENT), "ENVIRONMENT lists every declaration"
    users: dict[str, list[str]] = {ident: [] for ident in idents}
    for rel, tree in _sources():
        if rel == "sdk/reposix/_env.py":
            continue
        imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "reposix._env"
            for alias in node.names
        }
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        for ident in imported & used & set(idents):
            users[ident].append(rel)
    unread = sorted(ident for ident, where in users.items() if not where)
    assert not unread, f"declared in reposix._env but read nowhere: {unread}"


def test_declared_names_are_unique_and_documented() -> None:
    names = [var.name for var in _env.ENVIRONMENT]
    assert len(names) == len(set(names))
    for var in _env.ENVIRONMENT:
        assert all((var.shape, var.default, var.meaning, var.read_by)), var.name
    plugin_names = {
        n for ep in entry_points(group="reposix.connectors") for n in ep.load().env_vars
    }
    # The sim token is both the simulator's setting and the sim connector's credential.
    assert set(names) & plugin_names == {_env.SIM_TOKEN.name}


def test_reading_through_a_declaration() -> None:
    env = {"REPOSIX_CONTRACT_MINIMIZE_SECONDS": " 2.5 ", "REPOSIX_CONTRACT_THOROUGH": "0"}
    assert _env.CONTRACT_MINIMIZE_SECONDS.seconds(env) == 2.5
    assert _env.CONTRACT_MINIMIZE_SECONDS.seconds({}) is None
    assert not _env.CONTRACT_THOROUGH.flag(env)
    assert _env.CONTRACT_THOROUGH.flag({"REPOSIX_CONTRACT_THOROUGH": "1"})
    assert _env.AUDIT_DB.get({"REPOSIX_AUDIT_DB": "   "}) == ""


@pytest.mark.parametrize("raw", ["soon", "-1", "nan"])
def test_a_malformed_number_names_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match="REPOSIX_CONTRACT_MINIMIZE_SECONDS") as info:
        _env.CONTRACT_MINIMIZE_SECONDS.seconds({"REPOSIX_CONTRACT_MINIMIZE_SECONDS": raw})
    assert info.value.hint
