"""Every Python and shell block in the docs says what it is, and what can run offline does:
runnable blocks are executed (their printed output checked where the page shows it),
captured terminal output matches a fresh run of its commands, and every ``reposix``
command line a page shows (run or not) parses with the real CLI.

The kinds and markers are described in ``docs/_gen/blocks.py``; captures are regenerated
with ``python docs/_gen/captures.py``.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest

from blocks import (
    CHECKED_LANGS,
    DOCS,
    NEEDS_ACCOUNT_NOTE,
    Block,
    outputs,
    page_blocks,
    pages,
    run_page,
)
from captures import capture, targets

ALL_BLOCKS = [b for page in pages() for b in page_blocks(page)]
RUNNABLE_PAGES = sorted({b.page for b in ALL_BLOCKS if b.kind == "runnable"})
CAPTURES = targets()
FIX = "regenerate with: python docs/_gen/captures.py"


def test_every_python_and_shell_block_says_what_it_is() -> None:
    unmarked = [
        f"{b.where} ({b.lang})" for b in ALL_BLOCKS if b.lang in CHECKED_LANGS and not b.kind
    ]
    assert not unmarked, (
        "mark each block <!-- runnable -->, <!-- needs-account -->, <!-- fragment: why -->"
        " or <!-- capture --> (docs/_gen/blocks.py):\n" + "\n".join(unmarked)
    )


def test_kinds_fit_their_blocks() -> None:
    wrong = [
        b.where
        for b in ALL_BLOCKS
        if (b.kind == "runnable" and b.lang not in CHECKED_LANGS)
        or (b.kind == "capture" and b.lang != "console")
        or (b.kind == "output" and b.lang != "text")
    ]
    assert not wrong, f"runnable: Python or shell; capture: console; output: text: {wrong}"


def test_the_docs_run_much_of_what_they_show() -> None:
    """Runnable blocks and captures, counted so a mass downgrade to 'fragment' shows."""
    assert sum(b.kind == "runnable" for b in ALL_BLOCKS) >= 8
    assert len(CAPTURES) >= 4


@pytest.mark.parametrize("page", RUNNABLE_PAGES)
def test_runnable_blocks_run_and_print_what_the_page_shows(page: str) -> None:
    path = DOCS / page
    ran = run_page(path)
    assert ran
    for block, printed in outputs(path, ran):
        assert printed == block.code, f"{block.where}: the block above prints\n{printed}\n{FIX}"


@pytest.mark.parametrize("block", CAPTURES, ids=[b.where for b in CAPTURES])
def test_capture_is_what_the_commands_print_today(block: Block) -> None:
    assert capture(block) == block.code, f"{block.where}: stale capture; {FIX}"


def _reposix_commands(block: Block) -> list[list[str]]:
    """The ``reposix`` invocations of a block, as argument lists."""
    text = block.code.replace("\\\n", " ")
    found = []
    for raw in text.splitlines():
        line = raw.strip().removeprefix("$ ")
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        while words and "=" in words[0] and not words[0].startswith("-"):
            words = words[1:]  # VAR=value prefixes
        if not words or words[0] != "reposix":
            continue
        args = []
        for word in words[1:]:
            if word in ("&", "&&", "|", ";", ">", ">>", "2>&1") or word.startswith(">"):
                break
            args.append(word)
        found.append(args)
    return found


SHOWN_COMMANDS = [
    (b, args) for b in ALL_BLOCKS if b.lang in CHECKED_LANGS for args in _reposix_commands(b)
]


def _parse(args: list[str]) -> None:
    from reposix._cli import cli

    command: click.Command = cli
    ctx = command.make_context("reposix", list(args))
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None, args
        assert name is not None, args
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub


@pytest.mark.parametrize(
    ("block", "args"), SHOWN_COMMANDS, ids=[f"{b.where}:{' '.join(a)}" for b, a in SHOWN_COMMANDS]
)
def test_shown_reposix_command_lines_parse(block: Block, args: list[str]) -> None:
    try:
        _parse(args)
    except click.BadParameter as exc:
        if "does not exist" not in str(exc):  # a file the reader has, not the test
            raise AssertionError(f"{block.where}: reposix {' '.join(args)}: {exc}") from exc
    except click.UsageError as exc:
        raise AssertionError(f"{block.where}: reposix {' '.join(args)}: {exc}") from exc


def test_shown_commands_are_found() -> None:
    assert len(SHOWN_COMMANDS) >= 15


def test_needs_account_blocks_say_so_visibly() -> None:
    from hooks import on_page_markdown

    marked = sorted({b.page for b in ALL_BLOCKS if b.kind == "needs-account"})
    assert marked
    for page in marked:
        rendered = on_page_markdown((DOCS / page).read_text(encoding="utf-8"))
        assert "<!-- needs-account -->" not in rendered
        assert rendered.count(NEEDS_ACCOUNT_NOTE) == sum(
            b.kind == "needs-account" for b in page_blocks(Path(DOCS / page))
        )
