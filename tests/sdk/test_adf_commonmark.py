"""Any CommonMark body becomes structured ADF (issue 10: "Jira bodies: any CommonMark").

Sources:
- CommonMark 0.31.2, https://spec.commonmark.org/0.31.2/ (list items and their
  indentation §5.2, setext headings §4.3, line endings §2.1, hard breaks §6.7);
- GFM tables and strikethrough, https://github.github.com/gfm/#tables-extension- and
  https://github.github.com/gfm/#strikethrough-extension-;
- ADF structure, https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
  (listItem holds paragraph/lists/codeBlock/mediaSingle; blockquote holds no heading);
- GitHub's web editor saves issue and PR bodies with CRLF line endings while the API returns
  bodies exactly as sent: https://github.com/actions/runner/issues/1462 and
  https://github.com/Mergifyio/mergify/pull/3822.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reposix._errors import InvalidRecord
from reposix._formats.adf import (
    RAW_LANGUAGE,
    VERBATIM,
    canonicalize,
    from_markdown,
    to_markdown,
)

Node = dict[str, Any]

PROPERTY_EXAMPLES = int(os.environ.get("REPOSIX_ADF_EXAMPLES", "150"))
"""Generated documents per property run (ci profile: derandomized, so a fixed set)."""


def walk(node: Any) -> Iterator[Node]:
    """Every node of an ADF tree (iteratively)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(item.get("content") or []))


def raw_blocks(document: Node) -> list[str]:
    return [
        "".join(t["text"] for t in n.get("content", []))
        for n in walk(document)
        if n.get("type") == "codeBlock" and (n.get("attrs") or {}).get("language") == RAW_LANGUAGE
    ]


def texts(document: Node) -> str:
    out = []
    for n in walk(document):
        if n.get("type") == "text":
            out.append(n["text"])
        elif n.get("type") == "media":
            out.append(n["attrs"].get("alt", ""))
    return " ".join(out)


def assert_round_trips(body: str) -> Node:
    """Stored ADF reads back as Markdown that writes back the very same ADF (exact), and
    that Markdown is a fixed point of a second pass."""
    document = from_markdown(body)
    md = to_markdown(document)
    assert from_markdown(md) == document, f"not exact:\n{body!r}\n->\n{md!r}"
    assert canonicalize(md) == md
    assert canonicalize(body) == md
    return document


# -- the reported examples ---------------------------------------------------------------------


def test_nested_star_bullets_are_lists_not_source() -> None:
    document = assert_round_trips("* one\n    * nested\n        * deeper\n* two\n")
    assert raw_blocks(document) == []
    outer = document["content"][0]
    assert outer["type"] == "bulletList"
    inner = outer["content"][0]["content"][1]
    assert inner["type"] == "bulletList"
    assert inner["content"][0]["content"][1]["type"] == "bulletList"
    assert to_markdown(document) == "- one\n  - nested\n    - deeper\n- two"


@pytest.mark.parametrize("eol", ["\r\n", "\r", "\n"])
def test_crlf_and_cr_line_endings_read_as_newlines(eol: str) -> None:
    """GitHub's web editor saves bodies with CRLF (actions/runner#1462); CommonMark §2.1
    makes CR, LF and CRLF equal line endings."""
    body = eol.join(["## Steps", "", "1. open", "2. click", "", "text", "more", ""])
    document = assert_round_trips(body)
    assert raw_blocks(document) == []
    assert [n["type"] for n in document["content"]] == ["heading", "orderedList", "paragraph"]
    assert to_markdown(document) == "## Steps\n\n1. open\n2. click\n\ntext\nmore"
    assert "\r" not in str(document)


def test_trailing_newlines_are_insignificant() -> None:
    for body in ["text\n", "text\n\n\n", "- a\n- b\n", "```\ncode\n```\n"]:
        document = assert_round_trips(body)
        assert raw_blocks(document) == [], body
        assert from_markdown(body) == from_markdown(body.rstrip("\n"))


def test_every_list_style_and_nesting() -> None:
    body = (
        "+ plus\n+ plus two\n\n"
        "1) paren\n2) paren two\n   - nested dash\n\n"
        "7. seven\n8. eight\n\n"
        "- loose\n\n  second paragraph\n\n  ```sh\n  ls\n  ```\n\n- next\n"
    )
    document = assert_round_trips(body)
    assert raw_blocks(document) == []
    kinds = [n["type"] for n in document["content"]]
    assert kinds == ["bulletList", "orderedList", "orderedList", "bulletList"]
    assert document["content"][2]["attrs"] == {"order": 7}
    loose_item = document["content"][3]["content"][0]["content"]
    assert [n["type"] for n in loose_item] == ["paragraph", "paragraph", "codeBlock"]


def test_inline_syntax() -> None:
    body = (
        "*em* _em_ **strong** __strong__ ~~strike~~ `code` ``a ` tick``\n"
        '[link](https://x.test/a "title") <https://x.test/auto> <me@x.test>\\\n'
        "after hard break  \nafter two-space break &amp; &#35; \\*"
    )
    document = assert_round_trips(body)
    assert raw_blocks(document) == []
    nodes = document["content"][0]["content"]
    marks = {m["type"] for n in nodes for m in n.get("marks", [])}
    assert marks == {"em", "strong", "strike", "code", "link"}
    hrefs = [m["attrs"]["href"] for n in nodes for m in n.get("marks", []) if m["type"] == "link"]
    assert hrefs == ["https://x.test/a", "https://x.test/auto", "mailto:me@x.test"]
    assert sum(n["type"] == "hardBreak" for n in nodes) == 3
    assert "& # *" in texts(document)


def test_headings_of_both_syntaxes_code_and_rules() -> None:
    body = (
        "Setext one\n===\n\nSetext two\n---\n\n### ATX closed ###\n\n"
        "    indented code\n\n~~~python title\nprint(1)\n~~~\n\n***\n\n_ _ _\n\n> quoted\n> - item"
    )
    document = assert_round_trips(body)
    assert raw_blocks(document) == []
    kinds = [n["type"] for n in document["content"]]
    assert kinds == [
        "heading",
        "heading",
        "heading",
        "codeBlock",
        "codeBlock",
        "rule",
        "rule",
        "blockquote",
    ]
    assert [n["attrs"]["level"] for n in document["content"][:3]] == [1, 2, 3]
    assert document["content"][4]["attrs"] == {"language": "python title"}


def test_gfm_table_becomes_an_adf_table() -> None:
    """GFM table (https://github.github.com/gfm/#example-198) → ADF table/tableRow/
    tableHeader/tableCell (https://developer.atlassian.com/cloud/jira/platform/apis/document/nodes/table/).
    Alignment has no ADF attribute: it is normalized away."""
    body = "| Name | `a\\|b` |\n|:-----|------:|\n| *x* | [y](https://y.test) |\n| only |"
    document = assert_round_trips(body)
    table = document["content"][0]
    assert table["type"] == "table"
    rows = table["content"]
    assert [c["type"] for c in rows[0]["content"]] == ["tableHeader", "tableHeader"]
    assert [c["type"] for c in rows[1]["content"]] == ["tableCell", "tableCell"]
    assert rows[0]["content"][1]["content"][0]["content"] == [
        {"type": "text", "text": "a|b", "marks": [{"type": "code"}]}
    ]
    assert rows[2]["content"][1]["content"] == [{"type": "paragraph"}]
    assert to_markdown(document) == (
        "| Name | `a\\|b` |\n| --- | --- |\n| *x* | [y](https://y.test) |\n| only |  |"
    )


def test_images() -> None:
    """A paragraph holding only an image is an ADF mediaSingle with external media
    (https://developer.atlassian.com/cloud/jira/platform/apis/document/nodes/media/); an
    image among text has no inline ADF form and becomes its alt text linked to it."""
    document = assert_round_trips(
        '![a *chart*](https://x.test/c.png "t")\n\nsee ![icon](/i.png) here'
    )
    single, para = document["content"]
    assert single == {
        "type": "mediaSingle",
        "attrs": {"layout": "center"},
        "content": [
            {
                "type": "media",
                "attrs": {"type": "external", "url": "https://x.test/c.png", "alt": "a chart"},
            }
        ],
    }
    assert para["content"][1] == {
        "type": "text",
        "text": "icon",
        "marks": [{"type": "link", "attrs": {"href": "/i.png"}}],
    }


# -- what falls back -------------------------------------------------------------------------

VERBATIM_EXAMPLES = [
    "<details>\n<summary>More</summary>\nhidden\n</details>",
    "some <b>inline</b> html",
    "- # heading in a list",
    "- > quote in a list",
    "- item\n\n  ---",
    "- | a |\n  | - |\n  | b |",
    "> # heading in a quote",
    "> > nested quote",
    "- - list led by a list",
    ">",
    "**bold `code`**",
    "[![badge](https://x.test/b.svg)](https://x.test)",
]


@pytest.mark.parametrize("block", VERBATIM_EXAMPLES)
def test_constructs_adf_cannot_express_are_kept_verbatim_per_block(block: str) -> None:
    """Only the top-level block holding the construct is stored verbatim; what surrounds
    it stays structured, and the reader gets the block back exactly as written."""
    body = f"# Title\n\n{block}\n\nafter *it*\n"
    document = assert_round_trips(body)
    assert raw_blocks(document) == [block]
    kinds = [n["type"] for n in document["content"]]
    assert kinds == ["heading", "codeBlock", "paragraph"]
    assert to_markdown(document) == f"# Title\n\n{block}\n\nafter *it*"
    with pytest.raises(InvalidRecord, match="no ADF equivalent"):
        from_markdown(body, fallback=False)


def test_fallback_list_is_documented() -> None:
    """Every fallback example is named by the documented VERBATIM list."""
    assert len(VERBATIM) == 8
    text = " ".join(VERBATIM)
    for phrase in [
        "raw HTML",
        "inside a list item",
        "inside a block quote",
        "nested list",
        "empty block quote",
        "code span inside emphasis",
        "image inside a link",
        "only whitespace or link reference definitions",
    ]:
        assert phrase in text


@pytest.mark.parametrize("body", ["  \n", "\n\n", "[ref]: https://x.test\n"])
def test_a_body_that_would_store_nothing_is_kept_whole(body: str) -> None:
    document = assert_round_trips(body)
    assert raw_blocks(document) == [body]
    assert to_markdown(document) == body


def test_legacy_verbatim_documents_read_as_their_markdown_and_convert_on_write() -> None:
    """Bodies stored by the old converter (one reposix-markdown block) still read as the
    Markdown they hold; the next write stores them structured."""
    legacy = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "codeBlock",
                "attrs": {"language": RAW_LANGUAGE},
                "content": [{"type": "text", "text": "* a\n* b\n"}],
            }
        ],
    }
    assert to_markdown(legacy) == "* a\n* b\n"
    assert from_markdown(to_markdown(legacy))["content"][0]["type"] == "bulletList"


# -- generated CommonMark ------------------------------------------------------------------

_WORDS = st.integers(0, 10**6).map(lambda n: f"w{n}")
_HREFS = st.sampled_from(["https://x.test/a", "/rel?q=1", "mailto:a@x.test", "#frag", "b/c.md"])


@st.composite
def inline_md(draw: st.DrawFn, breaks: bool = True) -> str:
    """One line-or-more of inline CommonMark; words stay separated by spaces."""
    parts: list[str] = []
    for i in range(draw(st.integers(1, 5))):
        if i:
            sep = draw(st.sampled_from(["  \n", "\\\n", "\n", " "] if breaks else [" "]))
            parts.append(sep)
        w = draw(_WORDS)
        form = draw(st.integers(0, 11))
        parts.append(
            [
                w,
                f"*{w}*",
                f"_{w}_",
                f"**{w}**",
                f"__{w}__",
                f"~~{w}~~",
                f"`{w}`",
                f"[{w}]({draw(_HREFS)})",
                f'[{w}]({draw(_HREFS)} "t")',
                f"***{w}***",
                f"![{w}]({draw(_HREFS)})",
                f"**{w} *{draw(_WORDS)}* {draw(_WORDS)}**",
            ][form]
        )
    return "".join(parts)


def indent(text: str, width: int) -> str:
    return "\n".join(" " * width + line if line else "" for line in text.split("\n"))


@st.composite
def block_md(
    draw: st.DrawFn, where: str = "doc", depth: int = 0, prev: tuple[str, str] = ("", "")
) -> tuple[str, str]:
    """``(markdown, ADF block type)`` of one generated block; ``prev`` is the block before
    (a list right after a list of the same kind must use another marker, CommonMark §5.3)."""
    prev_md, prev_kind = prev
    kinds = ["paragraph", "fence"]
    if depth < 2:
        kinds += ["bullet", "ordered"]
    if where != "item":
        kinds += ["image"]
    if where == "doc":
        kinds += ["atx", "setext", "rule", "table", "indented"]
        if depth < 2:
            kinds.append("quote")
    kind = draw(st.sampled_from(kinds))
    if kind == "indented" and prev_kind in ("bulletList", "orderedList", "codeBlock"):
        kind = "fence"  # an indented line continues a list item or an indented code block
    if kind == "paragraph":
        text = draw(inline_md())
        if text.startswith("!["):
            text = "x " + text
        return text, "paragraph"
    if kind == "image":
        return f"![{draw(_WORDS)}](https://x.test/{draw(_WORDS)}.png)", "mediaSingle"
    if kind == "atx":
        level = draw(st.integers(1, 6))
        close = draw(st.sampled_from(["", " " + "#" * draw(st.integers(1, 3))]))
        return "#" * level + " " + draw(inline_md(breaks=False)) + close, "heading"
    if kind == "setext":
        return draw(inline_md(breaks=False)) + "\n" + draw(
            st.sampled_from(["===", "---", "="])
        ), "heading"
    if kind == "rule":
        return draw(st.sampled_from(["***", "---", "___", "* * *", "- - -"])), "rule"
    if kind == "fence":
        fence = draw(st.sampled_from(["```", "~~~", "````"]))
        lang = draw(st.sampled_from(["", "python", "c++", "js title"]))
        return f"{fence}{lang}\n{draw(_WORDS)} = 1\n  {draw(_WORDS)}\n{fence}", "codeBlock"
    if kind == "indented":
        return f"    {draw(_WORDS)}\n      {draw(_WORDS)}", "codeBlock"
    if kind == "table":
        width = draw(st.integers(1, 3))
        rows = [
            "| " + " | ".join(draw(inline_md(breaks=False)) for _ in range(width)) + " |"
            for _ in range(draw(st.integers(1, 3)))
        ]
        delim = (
            "|"
            + "|".join(draw(st.sampled_from(["---", ":--", "--:", ":-:"])) for _ in range(width))
            + "|"
        )
        return "\n".join([rows[0], delim, *rows[1:]]), "table"
    if kind == "quote":
        inner = [draw(block_md("quote", depth + 1)) for _ in range(draw(st.integers(1, 2)))]
        text = _join(inner)
        return "\n".join("> " + line if line else ">" for line in text.split("\n")), "blockquote"
    ordered = kind == "ordered"
    if ordered:
        used = prev_md.lstrip("0123456789")[:1] if prev_kind == "orderedList" else ""
        delim = draw(st.sampled_from([d for d in ".)" if d != used]))
        start = draw(st.integers(0, 12))
    else:
        used = prev_md[:1] if prev_kind == "bulletList" else ""
        delim = draw(st.sampled_from([d for d in "-*+" if d != used]))
    items = []
    for i in range(draw(st.integers(1, 3))):
        marker = f"{start + i}{delim} " if ordered else f"{delim} "
        first = draw(st.sampled_from(["paragraph", "fence"]))
        head = draw(inline_md()) if first == "paragraph" else draw(block_md("item", 9))[0]
        if head.startswith("!["):
            head = "x " + head
        body = head
        for sub, _ in [draw(block_md("item", depth + 1)) for _ in range(draw(st.integers(0, 2)))]:
            body += "\n\n" + sub
        items.append(marker + indent(body, len(marker))[len(marker) :])
    sep = draw(st.sampled_from(["\n", "\n\n"]))
    return sep.join(items), "orderedList" if ordered else "bulletList"


def _join(blocks: list[tuple[str, str]]) -> str:
    return "\n\n".join(text for text, _ in blocks)


@st.composite
def document_md(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A generated CommonMark document and its expected top-level ADF node types."""
    blocks: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(1, 5))):
        blocks.append(draw(block_md("doc", 0, blocks[-1] if blocks else ("", ""))))
    text = _join(blocks)
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = text.replace("\n", eol) + eol * draw(st.integers(0, 2))
    return text, [kind for _, kind in blocks]


@settings(max_examples=PROPERTY_EXAMPLES)
@given(document_md())
def test_generated_commonmark_is_structured_and_round_trips(case: tuple[str, list[str]]) -> None:
    """Every generated document (all list styles and nestings, both heading syntaxes,
    fences and indented code, tables, images, quotes, CRLF/CR/LF, trailing newlines) is
    stored without any verbatim block, keeps every word, and round-trips: stored ADF →
    Markdown → ADF is exact and the Markdown is stable on a second pass."""
    body, kinds = case
    document = assert_round_trips(body)
    assert raw_blocks(document) == [], body
    assert [n["type"] for n in document["content"]] == kinds, body
    words = set(re.findall(r"\bw[0-9]+\b", body))
    found = texts(document) + " " + str(document)
    missing = [w for w in words if w not in found]
    assert not missing, (missing, body)


@settings(max_examples=PROPERTY_EXAMPLES)
@given(
    st.lists(
        st.sampled_from(
            [
                "- ",
                "* ",
                "+ ",
                "1. ",
                "2) ",
                "> ",
                "  ",
                "    ",
                "\t",
                "\r\n",
                "\n",
                "\r",
                "# ",
                "===",
                "---",
                "```",
                "~~~",
                "| a ",
                "|",
                ":-",
                "<b>",
                "</b>",
                "![i](x)",
                "[l](y)",
                "*",
                "_",
                "`",
                "~~",
                "\\",
                "&amp;",
                "word",
                "é",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_markdown_soup_round_trips(body: str) -> None:
    """Arbitrary Markdown-ish soup (including constructs stored verbatim) is stored so
    that it reads back stably: ADF → Markdown → ADF exact, Markdown a fixed point."""
    assert_round_trips(body)
