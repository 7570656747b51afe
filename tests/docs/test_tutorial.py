"""docs/tutorial/write-a-connector.md, followed step by step from a fresh directory.

Every fenced block of the page is executed in order, so the tutorial cannot drift:

* ``console`` blocks: each ``$ `` line is a command. ``reposix …`` runs this
  environment's CLI; ``cd DIR`` changes the working directory; ``pip install -e
  '.[dev]'`` is replaced by an offline install of the project's *metadata* into a
  private directory (``--no-deps --no-build-isolation --target``), so its entry point
  registers without touching this environment (the source itself is put first on
  ``PYTHONPATH``, so later edits take effect as with ``-e``); ``pytest …`` and
  ``python …`` run with this interpreter and that ``PYTHONPATH``. A command must exit
  0, except a kit run the page says fails (the next ``text`` block shows a FAIL row).
* ``python title="PATH"`` blocks: a whole new file is written to PATH; a fragment whose
  first line names a top-level statement that PATH already has (``NAME… =``) replaces
  that statement.
* ``text`` blocks: every line (whitespace collapsed) must occur in the output of the
  command before.

The page must end green: at least one whole-suite kit run (``pytest --reposix-contract``
without ``-k``) reports ``tracker: ok`` with no FAIL, so the tutorial's connector passes
every invariant it does not declare away; and the project the reader ends with passes
``ruff check`` and ``ruff format --check`` under the scaffold's own configuration.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "tutorial" / "write-a-connector.md"
FENCE = re.compile(
    r'^```(?P<lang>\w+)(?:\s+title="(?P<title>[^"]+)")?\n(?P<body>.*?)^```$', re.M | re.S
)


@dataclass(frozen=True)
class Block:
    lang: str
    title: str | None
    body: str


def blocks() -> list[Block]:
    text = PAGE.read_text(encoding="utf-8")
    return [Block(m["lang"], m["title"], m["body"]) for m in FENCE.finditer(text)]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def replace_statement(source: str, fragment: str) -> str:
    """``source`` with the top-level statement ``fragment`` starts replaced by it."""
    head = fragment.splitlines()[0]
    name = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)", head)
    assert name, f"a fragment must start with a top-level name: {head!r}"
    lines = source.splitlines(keepends=True)
    start = next(
        (i for i, line in enumerate(lines) if re.match(rf"^{name[1]}\b[^=]*=", line)), None
    )
    assert start is not None, f"{name[1]} not found to replace"
    end = start
    if lines[start].rstrip().endswith(("{", "[", "(")):
        while lines[end].rstrip() not in ("}", "]", ")"):
            end += 1
    return "".join(lines[:start]) + fragment + "".join(lines[end + 1 :])


class Reader:
    """Follows the page: a working directory, a private site dir, the last output."""

    def __init__(self, home: Path) -> None:
        self.cwd = home
        self.site = home / ".site"
        self.output = ""
        self.failed = False
        self.full_runs: list[str] = []
        """Outputs of whole-suite kit runs (no ``-k``)."""

    def env(self) -> dict[str, str]:
        paths = [str(self.cwd / "src"), str(self.site), os.environ.get("PYTHONPATH", "")]
        return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}

    def run(self, command: str) -> None:
        argv = shlex.split(command)
        if argv[0] == "cd":
            self.cwd = (self.cwd / argv[1]).resolve()
            assert self.cwd.is_dir(), f"cd {argv[1]}: no such directory"
            return
        if argv[:3] == ["pip", "install", "-e"]:
            argv = [
                sys.executable,
                *("-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"),
                *("--target", str(self.site), "."),
            ]
        elif argv[0] == "reposix":
            argv = [str(Path(sys.executable).with_name("reposix")), *argv[1:]]
        elif argv[0] == "pytest":
            argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *argv[1:]]
        elif argv[0] == "python":
            argv = [sys.executable, *argv[1:]]
        else:
            pytest.fail(f"the tutorial runs a command this test does not know: {command}")
        done = subprocess.run(
            argv, cwd=self.cwd, capture_output=True, text=True, env=self.env(), check=False
        )
        self.output = done.stdout + done.stderr
        self.failed = done.returncode != 0
        if "--reposix-contract" in argv and "-k" not in argv:
            self.full_runs.append(self.output)

    def write(self, block: Block) -> None:
        assert block.title is not None
        path = self.cwd / block.title
        if path.exists() and not block.body.startswith(('"""', "#", "import", "from")):
            path.write_text(replace_statement(path.read_text(encoding="utf-8"), block.body))
        else:
            path.write_text(block.body, encoding="utf-8")

    def expect(self, block: Block) -> None:
        said = _squash(self.output)
        for line in block.body.splitlines():
            if line.strip():
                assert _squash(line) in said, (
                    f"the tutorial shows {line.strip()!r}, the run printed:\n{self.output[-3000:]}"
                )


def test_every_block_is_one_the_runner_knows() -> None:
    found = blocks()
    assert found, "no code blocks found"
    assert {b.lang for b in found} <= {"console", "python", "text"}
    assert all(b.title for b in found if b.lang == "python")


def test_replace_statement() -> None:
    source = 'A = 1\nT = {\n    "x": 1,\n}\nB = 2\n'
    assert (
        replace_statement(source, 'T = {\n    "y": 2,\n}\n')
        == 'A = 1\nT = {\n    "y": 2,\n}\nB = 2\n'
    )
    assert replace_statement("X = Literal['a']\nY = 1\n", "X = Literal['b']\n") == (
        "X = Literal['b']\nY = 1\n"
    )


@pytest.mark.slow
def test_the_tutorial_runs_to_a_green_kit(tmp_path: Path) -> None:
    pytest.importorskip("cookiecutter")
    pytest.importorskip("hatchling")
    reader = Reader(tmp_path)
    steps = blocks()
    for index, block in enumerate(steps):
        if block.lang == "console":
            for line in block.body.splitlines():
                if line.startswith("$ "):
                    reader.run(line[2:])
                    shown = steps[index + 1] if index + 1 < len(steps) else None
                    expected_fail = (
                        shown is not None
                        and shown.lang == "text"
                        and re.search(r"\sFAIL\s*$", shown.body, re.M) is not None
                    )
                    assert reader.failed is expected_fail, (
                        f"$ {line[2:]} {'failed' if reader.failed else 'passed'}, the page "
                        f"says otherwise:\n{reader.output[-3000:]}"
                    )
        elif block.lang == "python":
            reader.write(block)
        else:
            reader.expect(block)
    assert reader.full_runs, "the tutorial never runs the whole kit"
    assert "tracker: ok — " in reader.full_runs[-1], reader.full_runs[-1][-3000:]
    assert " 0 FAIL" in reader.full_runs[-1]
    # The code the page has the reader type is held to the scaffold's own lint config.
    for check in (["check", "."], ["format", "--check", "."]):
        lint = subprocess.run(
            [sys.executable, "-m", "ruff", *check, "--no-cache"],
            cwd=reader.cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        assert lint.returncode == 0, f"ruff {' '.join(check)}:\n{lint.stdout}{lint.stderr}"
