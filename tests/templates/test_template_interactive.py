"""The template's interactive path: cookiecutter without ``--no-input`` asks every prompt.

cookiecutter renders each ``__prompts__`` text as rich markup, so a prompt holding
``[/prefix]`` crashed with ``MarkupError`` before the first question was answered.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter
from rich.markup import render

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "connector"


def test_every_prompt_is_valid_rich_markup() -> None:
    prompts = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))["__prompts__"]
    for key, text in prompts.items():
        assert render(text).plain == text, f"prompt {key!r} would be read as markup"


def test_interactive_run_answers_every_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = ["ticketer", "", "", "https://tickets.example/api", "", "Ada Example"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n" * 10))
    made = Path(cookiecutter(str(TEMPLATE), no_input=False, output_dir=str(tmp_path)))
    asked = " ".join(capsys.readouterr().out.split())
    assert "optionally followed by a /prefix" in asked, "the base-URL prompt was shown"
    assert made.name == "reposix_ticketer"
    init = (made / "src" / "reposix_ticketer" / "__init__.py").read_text(encoding="utf-8")
    assert "https://tickets.example/api" in init
