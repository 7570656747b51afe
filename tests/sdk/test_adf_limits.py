"""ADF ↔ Markdown limits: safe link schemes and nesting depth (issues 9 and 10).

Sources: CommonMark link destinations and autolinks (https://spec.commonmark.org/0.31.2/#links,
#autolinks); the WHATWG URL parser strips tabs and newlines and leading C0/space before
reading a scheme (https://url.spec.whatwg.org/#concept-basic-url-parser); OWASP's XSS
guidance on ``javascript:``/``data:`` URLs
(https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html);
ADF link mark (https://developer.atlassian.com/cloud/jira/platform/apis/document/marks/link/).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from reposix._errors import InvalidRecord, ProtocolError
from reposix._formats.adf import (
    MAX_DEPTH,
    MAX_JSON_DEPTH,
    from_markdown,
    loads,
    safe_href,
    to_markdown,
)

Node = dict[str, Any]


def links(document: Node) -> list[str]:
    out: list[str] = []
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for mark in node.get("marks", []):
                if mark.get("type") == "link":
                    out.append(mark["attrs"]["href"])
            if node.get("type") == "media":
                out.append(node["attrs"]["url"])
            stack.extend(node.get("content", []))
    return out


# -- links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[click](javascript:alert(1))",
        "[click](JavaScript:alert(1))",
        "[click](<java\tscript:alert(1)>)",
        "[click](javascript&#58;alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "![img](data:image/png;base64,iVBORw0KGgo=)",
        "see ![img](javascript:alert(1)) here",
        "<javascript:alert(1)>",
        "[click](vbscript:msgbox)",
        "[click](file:///etc/passwd)",
        "[click][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_unsafe_links_become_text(body: str) -> None:
    """Only http, https, mailto and relative destinations become ADF links or media."""
    document = from_markdown(body)
    assert links(document) == []
    md = to_markdown(document)
    assert from_markdown(md) == document
    assert "click" in md or "img" in md or "javascript" in md


@pytest.mark.parametrize(
    "href",
    [
        "http://x.test",
        "HTTPS://X.TEST/a",
        "mailto:me@x.test",
        "/abs/path",
        "rel/path.md",
        "#anchor",
        "?q=1",
        "//host.test/p",
        "dir/file:with-colon",
    ],
)
def test_safe_links_stay_links(href: str) -> None:
    document = from_markdown(f"[x](<{href}>)")
    assert links(document) == [href]
    assert safe_href(href)


@pytest.mark.parametrize(
    "href", ["javascript:x", " javascript:x", "\x01javascript:x", "jav\nascript:x", "data:x", "a:b"]
)
def test_safe_href_refuses_other_schemes(href: str) -> None:
    assert not safe_href(href)


def test_unsafe_link_from_the_server_is_never_written_as_a_markdown_link() -> None:
    """A link ADF holds with an unsafe scheme stays a placeholder carrying the node, so
    the reader never sees a clickable Markdown link and the node goes back unchanged."""
    node = {
        "type": "text",
        "text": "bad",
        "marks": [{"type": "link", "attrs": {"href": "javascript:alert(1)"}}],
    }
    image = {
        "type": "mediaSingle",
        "attrs": {"layout": "center"},
        "content": [{"type": "media", "attrs": {"type": "external", "url": "data:image/png,x"}}],
    }
    document = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [node]}, image],
    }
    md = to_markdown(document)
    assert "](javascript:" not in md
    assert "](data:" not in md
    assert "reposix-adf" in md
    assert from_markdown(md) == document


# -- depth -------------------------------------------------------------------------------------


def _deep_json(levels: int) -> str:
    inner = '{"type":"paragraph","content":[{"type":"text","text":"x"}]}'
    inner = '{"type":"blockquote","content":[' * levels + inner + "]}" * levels
    return '{"type":"doc","version":1,"content":[' + inner + "]}"


def test_json_nested_thousands_deep_is_a_value_error_not_recursion() -> None:
    """The standard decoder recurses per level; ``loads`` refuses first (issue 9)."""
    text = _deep_json(5000)
    with pytest.raises(RecursionError):
        json.loads(text)
    with pytest.raises(ValueError, match="nests"):
        loads(text)
    with pytest.raises(ValueError, match="nests"):
        loads(text.encode())
    assert loads(_deep_json(3))["type"] == "doc"
    # Brackets inside strings are not nesting.
    assert loads(json.dumps({"text": "[" * (MAX_JSON_DEPTH + 10)}))["text"].startswith("[[")


def test_deep_adf_document_is_a_protocol_error() -> None:
    """Server data nested past the cap is a ProtocolError naming the problem, never a
    RecursionError, whatever the node kinds."""
    for kind in ("blockquote", "panel", "bulletList", "table", "listItem", "mediaSingle"):
        node: Node = {"type": "paragraph", "content": [{"type": "text", "text": "x"}]}
        for _ in range(5000):
            node = {"type": kind, "content": [node]}
        with pytest.raises(ProtocolError, match=f"deeper than {MAX_DEPTH}"):
            to_markdown({"type": "doc", "version": 1, "content": [node]})
    deep_marks: Node = {"type": "text", "text": "x", "marks": []}
    for _ in range(5000):
        deep_marks = {"type": "text", "text": "x", "marks": [{"type": "x", "attrs": deep_marks}]}
    with pytest.raises(ProtocolError, match="deeper"):
        to_markdown({"type": "doc", "content": [{"type": "paragraph", "content": [deep_marks]}]})


@pytest.mark.parametrize(
    "body",
    [
        ">" * 5000 + " x",
        "> " * 5000 + "x",
        "- " * 3000 + "x",
        "1. " * 3000 + "x",
        "".join("  " * i + "- x\n" for i in range(300)),
        "".join("  " * i + "- x\r\n" for i in range(300)),
        "> - " * 2000 + "x",
        "- > " * 2000 + "x",
    ],
)
def test_deep_markdown_is_invalid_record_not_recursion(body: str) -> None:
    with pytest.raises(InvalidRecord, match=f"deeper than {MAX_DEPTH}"):
        from_markdown(body)


@pytest.mark.parametrize(
    "body",
    [
        "*" * 5000 + "x" + "*" * 5000,
        "[" * 5000 + "x" + "]" * 5000,
        "[" * 2000 + "x" + "](/u)" * 2000,
        "`" * 5000 + "x",
        "~~" * 3000 + "x",
        "![" * 2000 + "x" + "](/u)" * 2000,
        "<" * 5000 + "x" + ">" * 5000,
    ],
)
def test_deep_inline_markdown_is_stored_without_recursion(body: str) -> None:
    """Inline runs do not nest blocks: they store (stably) and never raise."""
    document = from_markdown(body)
    md = to_markdown(document)
    assert from_markdown(md) == document


@pytest.mark.parametrize("quotes", range(1, 80))
def test_nesting_near_the_parser_limit_never_drops_content(quotes: int) -> None:
    """markdown-it stops tokenizing blocks at its maxNesting and drops the rest; the cap
    is reached first, so content is either kept or refused, never silently lost."""
    for body in ("> " * quotes + "word", "- " * quotes + "word"):
        try:
            document = from_markdown(body)
        except InvalidRecord:
            continue
        assert "word" in json.dumps(document)
