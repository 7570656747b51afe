"""Every docs link an error message or a plugin gives resolves to a page and anchor in docs/.

Error messages end with ``docs: docs/<page>.md#<anchor>``: a path in this repository
(the sources of the mkdocs site), since the project owns no docs host.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from reposix import _errors as E
from reposix import load_plugins

ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = ROOT / "docs"


def _slug(heading: str) -> str:
    """The anchor mkdocs (Python-Markdown's toc) gives a heading."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: Path) -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", page.read_text(encoding="utf-8"), re.M)
    return {_slug(h) for h in headings}


def _check(target: str) -> None:
    """``target`` (``page.md`` or ``page.md#anchor``, relative to docs/) exists."""
    page, _, anchor = target.partition("#")
    path = DOCS_DIR / page
    assert path.suffix == ".md", f"{target!r} is not a docs page path"
    assert path.is_file(), f"{target!r}: docs/{page} does not exist"
    if anchor:
        assert anchor in _anchors(path), f"{target!r}: no heading with anchor #{anchor}"


def _all_error_classes() -> list[type[E.ReposixError]]:
    found, todo = [], [E.ReposixError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", _all_error_classes(), ids=lambda c: c.__name__)
def test_each_error_class_links_to_an_existing_page(cls: type[E.ReposixError]) -> None:
    _check(cls.doc_page)


def test_a_rendered_message_carries_the_docs_path() -> None:
    text = str(E.ProtocolError("bad page"))
    assert text.splitlines()[-1] == "  docs: docs/errors.md#protocol-error"
    _check(text.splitlines()[-1].removeprefix(f"  docs: {E.DOCS}/"))


@pytest.mark.parametrize("name", sorted(load_plugins()))
def test_each_plugin_links_to_its_page_and_missing_credentials_say_so(name: str) -> None:
    plugin = load_plugins()[name]
    _check(plugin.docs)
    if name == "sim":
        return  # the simulator's token is optional: nothing is ever missing
    with pytest.raises(E.MissingCredentials) as info:
        plugin.from_env(environ={})
    docs_line = str(info.value).splitlines()[-1]
    assert docs_line.startswith(f"  docs: {E.DOCS}/")
    _check(docs_line.removeprefix(f"  docs: {E.DOCS}/"))


def test_the_link_check_refuses_missing_pages_and_anchors() -> None:
    with pytest.raises(AssertionError, match="does not exist"):
        _check("no-such-page.md")
    with pytest.raises(AssertionError, match="no heading"):
        _check("errors.md#no-such-anchor")
    assert _slug("`NotFound` and [links](x.md)") == "notfound-and-links"


def test_no_invented_docs_host_in_the_shipped_code() -> None:
    sources = [
        *(ROOT / "sdk").rglob("*.py"),
        *(ROOT / "contract").rglob("*.py"),
        *(ROOT / "reference_connectors").rglob("*"),
        *(ROOT / "templates").rglob("*"),
    ]
    offenders = [
        str(p.relative_to(ROOT))
        for p in sources
        if p.is_file() and "reposix.dev" in p.read_text(encoding="utf-8", errors="ignore")
    ]
    assert offenders == []
