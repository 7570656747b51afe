"""The GitLab and Bitbucket connectors are written against the public surface only: every
SDK and kit name they use comes from ``reposix`` or ``reposix_contract``, never a private
module, and every name those two export resolves."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("reposix_gitlab", "reposix_bitbucket")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_connector_packages_import_no_private_sdk_or_kit_module(package: str) -> None:
    files = sorted((ROOT / "reference_connectors" / package).glob("*.py"))
    assert files
    private = [
        f"{path.name}: {module}"
        for path in files
        for module in _imports(path)
        if module.split(".")[0] in ("reposix", "reposix_contract") and module.count(".")
    ]
    assert private == []


@pytest.mark.parametrize("package", ["reposix", "reposix_contract"])
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []
