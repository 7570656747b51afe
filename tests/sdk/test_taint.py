"""Taint: writes accept only Untainted values made by sanitize, checked statically and at run time."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reposix._records import Record, RecordDraft, RecordStatus
from reposix._taint import (
    ServerMetadata,
    Tainted,
    Untainted,
    require_untainted,
    sanitize,
    sanitize_for_create,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 2, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


def hostile() -> Record:
    return Record(
        id=999,
        title="t",
        status=RecordStatus.OPEN,
        created_at=T1,
        updated_at=T1,
        version=42,
        body="b",
        labels=["x"],
    )


def test_sanitize_takes_server_fields_from_metadata() -> None:
    clean = sanitize(
        Tainted(hostile()), ServerMetadata(id=7, created_at=T0, updated_at=T0, version=3)
    )
    assert (clean.value.id, clean.value.version, clean.value.created_at) == (7, 3, T0)
    assert (clean.value.title, clean.value.body, clean.value.labels) == ("t", "b", ["x"])


def test_sanitize_for_create_keeps_no_server_values() -> None:
    clean = sanitize_for_create(Tainted(hostile()))
    assert isinstance(clean.value, RecordDraft)
    dumped = clean.value.model_dump()
    assert not {"id", "version", "created_at", "updated_at"} & set(dumped)
    assert 999 not in dumped.values()
    assert 42 not in dumped.values()


def test_untainted_cannot_be_forged_at_run_time() -> None:
    with pytest.raises(TypeError, match="sanitize"):
        Untainted(hostile(), object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sanitize(hostile(), ServerMetadata(1, T0, T0, 1))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        require_untainted(hostile(), Record)
    with pytest.raises(TypeError):
        require_untainted(Tainted(hostile()), Record)
    with pytest.raises(TypeError, match="RecordDraft"):
        require_untainted(sanitize(Tainted(hostile()), ServerMetadata(1, T0, T0, 1)), RecordDraft)


SNIPPET_HEADER = """
from datetime import UTC, datetime
from reposix._backend import BackendConnector
from reposix._records import Record, RecordDraft, RecordStatus
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create

async def use(c: BackendConnector, r: Record, d: RecordDraft) -> None:
"""

ACCEPTED = [
    "await c.update_record('p', 1, sanitize(Tainted(r), ServerMetadata(1, r.created_at, r.updated_at, 1)))",
    "await c.create_record('p', sanitize_for_create(Tainted(d)))",
]
REJECTED = [
    "await c.update_record('p', 1, r)",
    "await c.update_record('p', 1, Tainted(r))",
    "await c.create_record('p', d)",
    "await c.create_record('p', Tainted(d))",
    "await c.create_record('p', sanitize(Tainted(r), ServerMetadata(1, r.created_at, r.updated_at, 1)))",
]


@pytest.mark.slow
def test_mypy_enforces_untainted(tmp_path: Path) -> None:
    """The Python equivalent of a compile-fail test: mypy must reject every forged write."""
    files: dict[str, str] = {}
    for n, body in enumerate(ACCEPTED + REJECTED):
        name = f"snippet_{n}.py"
        (tmp_path / name).write_text(textwrap.dedent(SNIPPET_HEADER) + "    " + body + "\n")
        files[name] = body
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            *sorted(files),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    errors = {
        name: [ln for ln in result.stdout.splitlines() if ln.startswith(name + ":")]
        for name in files
    }
    for n, body in enumerate(ACCEPTED + REJECTED):
        found = errors[f"snippet_{n}.py"]
        if body in ACCEPTED:
            assert not found, f"mypy rejected a sanctioned write: {body}\n{found}"
        else:
            assert any("arg-type" in ln for ln in found), f"mypy accepted: {body}\n{result.stdout}"
