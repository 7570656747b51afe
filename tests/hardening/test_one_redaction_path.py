"""Connectors build error text from response bodies only through the SDK's redaction path.

Shipped connectors (and the template new ones start from) never read a response body
themselves: no ``.content``, ``.text``, ``.json()`` or ``.read()``. Bodies go through
``decode`` / ``error_body`` (typed values), ``server_message`` / ``server_text`` /
``excerpt`` / ``protocol_error`` (text for errors, redacted with the client's secrets).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    *sorted((ROOT / "reference_connectors").glob("reposix_*/connector.py")),
    *sorted((ROOT / "reference_connectors").glob("reposix_*/mapping.py")),
    ROOT / "sdk/reposix/sim/_backend.py",
    *sorted((ROOT / "templates/connector").rglob("connector.py")),
]
BODY_READERS = {"content", "text", "json", "read", "aread", "iter_bytes", "iter_text"}
RESPONSE_NAMES = {"response", "resp", "r", "res", "reply"}


def _body_reads(path: Path) -> list[str]:
    found = []
    # The template is a cookiecutter (Jinja) file: stand a name in for its placeholders.
    source = re.sub(r"\{\{[^}]*\}\}", "pkg", path.read_text(encoding="utf-8"))
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in BODY_READERS
            and isinstance(node.value, ast.Name)
            and node.value.id in RESPONSE_NAMES
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_modules_are_found() -> None:
    assert len(MODULES) >= 8
    assert all(p.is_file() for p in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_connector_reads_a_response_body_itself(path: Path) -> None:
    assert _body_reads(path) == []


def test_the_check_sees_a_raw_read(tmp_path: Path) -> None:
    bad = tmp_path / "connector.py"
    bad.write_text("def f(response):\n    return NotFound(response.text)\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert _body_reads(bad) == ["connector.py:2 response.text"]
    finally:
        ROOT = saved
