"""The public API is one import per package, and its name lists cannot drift.

``reposix``, ``reposix.sim`` and ``reposix_contract`` each keep one export table
(``_EXPORTS``: defining module -> names); ``__all__`` and the lazy loader derive from it,
and the ``TYPE_CHECKING`` imports type checkers read are checked against it here.
Connectors and the template may import SDK and kit names only from the two top-level
packages (their own modules aside).
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ["reposix", "reposix.sim", "reposix_contract"]
SDK_PACKAGES = ("reposix", "reposix_contract")


def _type_checking_imports(module: ModuleType) -> dict[str, set[str]]:
    """``{defining module: names}`` from the ``if TYPE_CHECKING:`` block of ``module``."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    blocks = [
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1, f"{module.__name__} needs exactly one `if TYPE_CHECKING:` block"
    for node in blocks[0].body:
        assert isinstance(node, ast.ImportFrom), ast.unparse(node)
        assert node.module is not None
        for alias in node.names:
            # `import X as X` is the explicit re-export form mypy --strict honours.
            assert alias.asname == alias.name, f"write `{alias.name} as {alias.name}`"
            found.setdefault(node.module, set()).add(alias.name)
    return found


@pytest.mark.parametrize("name", PUBLIC)
def test_type_checking_imports_agree_with_the_export_table(name: str) -> None:
    module = importlib.import_module(name)
    table: dict[str, tuple[str, ...]] = module._EXPORTS
    assert _type_checking_imports(module) == {m: set(ns) for m, ns in table.items()}
    names = [n for ns in table.values() for n in ns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    assert not duplicated, f"exported from two modules: {duplicated}"
    extra = {"__version__"} if name == "reposix" else set()
    assert sorted(module.__all__) == sorted({*names, *extra})


@pytest.mark.parametrize("name", PUBLIC)
def test_every_exported_name_resolves_to_its_defining_module(name: str) -> None:
    module = importlib.import_module(name)
    for owner, names in module._EXPORTS.items():
        defining = importlib.import_module(owner)
        for export in names:
            value = getattr(module, export)
            direct = getattr(defining, export, None)
            if direct is None:  # a submodule exported whole
                direct = importlib.import_module(f"{owner}.{export}")
            assert value is direct, f"{name}.{export} is not {owner}.{export}"


@pytest.mark.parametrize("name", PUBLIC)
def test_unknown_names_raise_attribute_error(name: str) -> None:
    module = importlib.import_module(name)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = module.no_such_name


def _private_module_paths(package_dir: Path, public: set[str]) -> list[str]:
    """Module files under ``package_dir`` whose dotted path has no private component."""
    bad = []
    for path in package_dir.rglob("*.py"):
        rel = path.relative_to(package_dir.parent).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        dotted = ".".join(parts)
        if dotted not in public and not any(p.startswith("_") for p in parts[1:]):
            bad.append(dotted)
    return sorted(bad)


def test_non_public_modules_are_marked_private() -> None:
    """Only the public packages have names without a leading underscore (httpx style)."""
    public = {"reposix", "reposix.sim", "reposix_contract"}
    bad = _private_module_paths(ROOT / "sdk" / "reposix", public)
    bad += _private_module_paths(ROOT / "contract" / "reposix_contract", public)
    assert bad == []


_CONNECTOR_SOURCES = [
    *sorted((ROOT / "reference_connectors").rglob("*.py")),
    *sorted((ROOT / "templates" / "connector").rglob("*.py")),
]


def _parse(path: Path) -> ast.Module:
    text = path.read_text(encoding="utf-8")
    # Cookiecutter placeholders are not Python; give them a name of the same shape.
    text = re.sub(r"\{\{[^}]*\}\}", "tmpl", text)
    return ast.parse(text)


def _deep_imports(tree: ast.Module) -> list[str]:
    """Imports of a private SDK or kit module (``reposix._http``, ``reposix_contract._fakes``)."""
    deep = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom):
            modules = [node.module] if node.module and node.level == 0 else []
        else:
            modules = [a.name for a in node.names]
        for module in modules:
            top = module.split(".")[0]
            if top in SDK_PACKAGES and module != top:
                deep.append(f"line {node.lineno}: {module}")
    return deep


@pytest.mark.parametrize(
    "path", _CONNECTOR_SOURCES, ids=[str(p.relative_to(ROOT)) for p in _CONNECTOR_SOURCES]
)
def test_connectors_import_sdk_and_kit_names_only_from_the_public_packages(path: Path) -> None:
    deep = _deep_imports(_parse(path))
    assert deep == [], f"import these names from {' / '.join(SDK_PACKAGES)} instead"


def test_the_import_scan_flags_deep_imports() -> None:
    source = (
        "from reposix import Record\n"
        "from reposix._http import decode\n"
        "import reposix_contract._fakes\n"
        "def f():\n"
        "    from reposix.sim import SimBackend\n"
    )
    assert _deep_imports(ast.parse(source)) == [
        "line 2: reposix._http",
        "line 3: reposix_contract._fakes",
        "line 5: reposix.sim",
    ]


def test_the_import_scan_covers_the_template_and_every_connector() -> None:
    scanned = {p.relative_to(ROOT).parts[1] for p in _CONNECTOR_SOURCES}
    assert scanned == {
        "connector",
        "reposix_bitbucket",
        "reposix_confluence",
        "reposix_github",
        "reposix_gitlab",
        "reposix_jira",
        "reposix_linear",
        "reposix_rhythm",
    }


@pytest.mark.parametrize("name", PUBLIC)
def test_exported_classes_show_their_public_module(name: str) -> None:
    """``reposix.Record`` reprs as ``reposix.Record``, not ``reposix._records.Record``
    (httpx does the same for its public names), whichever module defines it."""
    import inspect

    module = importlib.import_module(name)
    shown = 0
    for names in module._EXPORTS.values():
        for export in names:
            value = getattr(module, export)
            if inspect.isclass(value):
                # A name re-exported from another package shows that package's module.
                assert not value.__module__.startswith(f"{name}._"), f"{name}.{export}"
                shown += value.__module__ == name
    assert shown


def test_public_records_pickle_and_validate_under_their_public_module() -> None:
    import pickle
    from datetime import UTC, datetime

    import reposix

    assert repr(reposix.Record) == "<class 'reposix.Record'>"
    now = datetime(2024, 5, 1, tzinfo=UTC)
    record = reposix.Record(
        id=7, title="t", status=reposix.RecordStatus.OPEN, created_at=now, updated_at=now, version=1
    )
    assert pickle.loads(pickle.dumps(record)) == record
    assert pickle.loads(pickle.dumps(reposix.RecordStatus.DONE)) is reposix.RecordStatus.DONE
    draft = reposix.RecordDraft(title="x", labels=["a"])
    assert pickle.loads(pickle.dumps(draft)) == draft
    for model in (reposix.Record, reposix.RecordDraft):
        assert model.model_rebuild(force=True) is True  # forward refs still resolve
    assert reposix.Record.model_validate_json(record.model_dump_json()) == record
    assert reposix.Record.model_json_schema()["title"] == "Record"


def test_capability_defaults_in_the_backend_page_match_the_dataclass() -> None:
    """docs/backend.md's Capabilities table states each field's default: it must be the
    dataclass's own, so a changed default cannot leave the page telling another story."""
    import dataclasses
    import re
    from pathlib import Path

    from reposix import Capabilities

    page = (Path(__file__).parents[2] / "docs" / "backend.md").read_text(encoding="utf-8")
    stated: dict[str, str] = {}
    for names, default in re.findall(r"^\| ((?:`\w+`(?:, )?)+) \| `(\w+)` \|", page, re.M):
        for name in re.findall(r"`(\w+)`", names):
            stated[name] = default
    actual = {
        f.name: getattr(f.default, "name", str(f.default)) for f in dataclasses.fields(Capabilities)
    }
    assert stated == actual
