"""ADF ↔ Markdown: round trips over generated documents, placeholders, depth caps.

ADF structure: https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
(node content rules), .../document/nodes/table/ and .../nodes/mediaSingle/; Markdown:
CommonMark 0.31.2 (https://spec.commonmark.org/0.31.2/) with GFM tables
(https://github.github.com/gfm/#tables-extension-).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reposix._errors import InvalidRecord, ProtocolError
from reposix._formats import adf
from reposix._formats.adf import (
    MAX_DEPTH,
    RAW_LANGUAGE,
    Placeholder,
    canonicalize,
    find_placeholders,
    from_markdown,
    has_placeholder,
    to_markdown,
)

Node = dict[str, Any]
EXAMPLES = int(os.environ.get("REPOSIX_ADF_EXAMPLES", "60"))
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def doc(*content: Node) -> Node:
    return {"type": "doc", "version": 1, "content": list(content)}


def text(value: str, *marks: Node) -> Node:
    node: Node = {"type": "text", "text": value}
    if marks:
        node["marks"] = list(marks)
    return node


def para(*content: Node) -> Node:
    return {"type": "paragraph", "content": list(content)}


# -- generators of canonical ADF ---------------------------------------------------------------

_PLAIN = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),
    include_characters="*_`[]#<>&\\~!-+=.():|\"' \u00e9\u2713\U0001f600",
)
plain_text = st.text(_PLAIN, min_size=1, max_size=10)
_ALNUM = "abcXYZ019é"
word = st.builds(
    lambda a, mid, b: a + mid + b,
    st.sampled_from(_ALNUM),
    st.text(_ALNUM + " .,", max_size=5),
    st.sampled_from(_ALNUM),
)
# Marked text starts and ends with a letter or digit: CommonMark's flanking rules cannot
# express emphasis that ends in punctuation right before a letter (documented as lossy).
code_text = st.builds(
    lambda a, b: a + b,
    st.sampled_from(_ALNUM + "*_[]#<>&~!.-"),
    st.text(_ALNUM + " *_[]#<>&~!.-", max_size=6),
).filter(lambda t: not t.endswith(" "))
hrefs = st.sampled_from(
    [
        "https://example.com/a",
        "https://example.com/a b",
        "https://example.com/(x)",
        "/rel/path?q=1&r=2",
        "mailto:someone@example.com",
        "https://example.com/ü?x=<y>",
    ]
)
STRONG, EM, STRIKE, CODE = ({"type": k} for k in ("strong", "em", "strike", "code"))


@st.composite
def link_mark(draw: st.DrawFn) -> Node:
    attrs: Node = {"href": draw(hrefs)}
    title = draw(st.sampled_from([None, "a title", 'say "hi"']))
    if title:
        attrs["title"] = title
    return {"type": "link", "attrs": attrs}


@st.composite
def marked_span(draw: st.DrawFn) -> list[Node]:
    kinds: list[Any] = draw(
        st.sampled_from(
            [
                [STRONG],
                [EM],
                [STRIKE],
                [CODE],
                ["link"],
                [STRONG, EM],
                ["link", STRONG],
                ["link", CODE],
                [STRONG, "inner-em"],
            ]
        )
    )
    marks = [draw(link_mark()) if k == "link" else k for k in kinds if k != "inner-em"]
    value = draw(code_text if CODE in marks else word)
    if "inner-em" in kinds:
        # **a *b* c**: a nested mark on part of the span.
        inner = draw(word)
        return [
            text(value + " ", *marks),
            text(inner, *marks, EM),
            text(" " + draw(word), *marks),
        ]
    return [text(value, *marks)]


def _merge(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        if (
            out
            and node["type"] == "text"
            and out[-1]["type"] == "text"
            and out[-1].get("marks") == node.get("marks")
        ):
            out[-1] = {**out[-1], "text": out[-1]["text"] + node["text"]}
        else:
            out.append(node)
    return out


@st.composite
def inline(draw: st.DrawFn, breaks: bool = True) -> list[Node]:
    nodes: list[Node] = []
    for i in range(draw(st.integers(1, 4))):
        if i:
            sep = draw(
                st.sampled_from(["text", "break"] if breaks else ["text"])
                if breaks
                else st.just("text")
            )
            if sep == "break":
                nodes.append({"type": "hardBreak"})
                if draw(st.booleans()):
                    nodes.append({"type": "hardBreak"})
            else:
                nodes.append(text(draw(plain_text)))
        if draw(st.booleans()):
            nodes.extend(draw(marked_span()))
        else:
            nodes.append(text(draw(plain_text)))
    return _merge(nodes)


def _code_block(draw: st.DrawFn) -> Node:
    node: Node = {"type": "codeBlock"}
    lang = draw(st.sampled_from([None, "python", "c++", "js"]))
    if lang:
        node["attrs"] = {"language": lang}
    body = draw(
        st.text(
            st.characters(
                codec="utf-8", exclude_categories=["Cs"], exclude_characters="\r\0\t\x0b\x0c"
            ),
            max_size=30,
        )
    )
    if body:
        node["content"] = [text(body)]
    return node


@st.composite
def block(draw: st.DrawFn, where: str = "doc", depth: int = 0) -> Node:
    kinds = ["paragraph", "codeBlock"]
    if depth < 3:
        kinds += ["bulletList", "orderedList"]
    kinds.append("mediaSingle")
    if where == "doc":
        kinds += ["heading", "rule", "table"] + (["blockquote"] if depth < 3 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "mediaSingle":
        media: Node = {"type": "external", "url": draw(hrefs)}
        alt = draw(st.one_of(st.none(), plain_text))
        if alt:
            media["alt"] = alt
        return {
            "type": "mediaSingle",
            "attrs": {"layout": "center"},
            "content": [{"type": "media", "attrs": media}],
        }
    if kind == "table":
        width = draw(st.integers(1, 3))
        rows = []
        for index in range(draw(st.integers(1, 3))):
            cells = []
            for _ in range(width):
                content = draw(st.one_of(st.just([]), inline(breaks=False)))
                cell_para: Node = {"type": "paragraph"}
                if content:
                    cell_para["content"] = content
                kind_ = "tableHeader" if index == 0 else "tableCell"
                cells.append({"type": kind_, "content": [cell_para]})
            rows.append({"type": "tableRow", "content": cells})
        return {
            "type": "table",
            "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
            "content": rows,
        }
    if kind == "paragraph":
        return para(*draw(inline()))
    if kind == "heading":
        node: Node = {"type": "heading", "attrs": {"level": draw(st.integers(1, 6))}}
        content = draw(st.one_of(st.just([]), inline(breaks=False)))
        if content:
            node["content"] = content
        return node
    if kind == "codeBlock":
        return _code_block(draw)
    if kind == "rule":
        return {"type": "rule"}
    if kind == "blockquote":
        children = draw(st.lists(block("blockquote", depth + 1), min_size=1, max_size=2))
        return {"type": "blockquote", "content": children}
    items = []
    for _ in range(draw(st.integers(1, 3))):
        first = draw(st.sampled_from(["paragraph", "codeBlock"]))
        head = para(*draw(inline())) if first == "paragraph" else _code_block(draw)
        rest = draw(st.lists(block("listItem", depth + 1), max_size=2))
        items.append({"type": "listItem", "content": [head, *rest]})
    if kind == "bulletList":
        return {"type": "bulletList", "content": items}
    order = draw(st.sampled_from([0, 1, 2, 9, 10, 99, 123456]))
    return {"type": "orderedList", "attrs": {"order": order}, "content": items}


docs = st.lists(block(), max_size=4).map(lambda blocks: doc(*blocks))


# -- round trips -------------------------------------------------------------------------------


@FAST
@given(docs)
def test_canonical_round_trips(document: Node) -> None:
    """ADF -> md -> ADF is the identity, and so is md -> ADF -> md for canonical md."""
    md = to_markdown(document)
    back = from_markdown(md)
    assert back == document, md
    assert to_markdown(back) == md


def _assert_stable(body: str) -> None:
    """What is stored reads back as Markdown that stores the very same document."""
    document = from_markdown(body)
    md = to_markdown(document)
    assert from_markdown(md) == document, (body, md)
    assert canonicalize(body) == md
    assert canonicalize(md) == md


@FAST
@given(st.text(max_size=80))
def test_any_string_is_stored_stably(body: str) -> None:
    _assert_stable(body)


MARKDOWNISH = st.lists(
    st.sampled_from(
        [
            "#",
            "##",
            " ",
            "\n",
            "\n\n",
            "-",
            "*",
            "**",
            "_",
            "`",
            "```",
            ">",
            "1.",
            "2)",
            "[a]",
            "(u)",
            "---",
            "~~",
            "\\",
            "&amp;",
            "<b>",
            "word",
            "é",
            "😀",
            "\t",
            "  ",
            "!",
        ]
    ),
    max_size=25,
).map("".join)


@FAST
@given(MARKDOWNISH)
def test_markdown_like_strings_are_stored_stably(body: str) -> None:
    _assert_stable(body)


def test_readable_markdown_is_structured_not_verbatim() -> None:
    md = (
        "# Title\n\nSome *em*, **strong**, ~~gone~~, `code` and a [link](https://x.test/a).\n"
        "A second line with snake_case, ~5 min, a < b, Tom & Jerry.\n\n"
        "- one\n- two\n  - nested\n\n3. three\n4. four\n\n> quoted\n>\n> - in quote\n\n"
        "```python\nprint('hi')\n```\n\n---"
    )
    document = from_markdown(md)
    kinds = [n["type"] for n in document["content"]]
    assert kinds == [
        "heading",
        "paragraph",
        "bulletList",
        "orderedList",
        "blockquote",
        "codeBlock",
        "rule",
    ]
    assert document["content"][3]["attrs"] == {"order": 3}
    assert document["content"][5]["attrs"] == {"language": "python"}
    assert to_markdown(document) == md


def test_other_markdown_spellings_are_structured_not_verbatim() -> None:
    """Spellings the old converter stored verbatim now convert (issue 10)."""
    for body, md in [
        ("trailing newline\n", "trailing newline"),
        ("__bold__", "**bold**"),
        ("Title\n=====", "# Title"),
        ("![img](x.png)", "![img](x.png)"),
    ]:
        document = from_markdown(body)
        assert RAW_LANGUAGE not in str(document), body
        assert to_markdown(document) == md
    assert from_markdown("- # h")["content"][0]["attrs"] == {"language": RAW_LANGUAGE}


def test_vendor_description_example() -> None:
    # jira-create-issue.json request_example.fields.description, verbatim.
    description = {
        "content": [
            {
                "content": [{"text": "Order entry fails when selecting supplier.", "type": "text"}],
                "type": "paragraph",
            }
        ],
        "type": "doc",
        "version": 1,
    }
    assert to_markdown(description) == "Order entry fails when selecting supplier."
    assert from_markdown("Order entry fails when selecting supplier.") == description


def test_escaping_of_special_characters() -> None:
    document = doc(para(text("*not em* # 1. <b> [x](y) \\ `tick` a_b _c_")))
    md = to_markdown(document)
    assert md == "\\*not em\\* # 1. \\<b> \\[x\\](y) \\\\ \\`tick\\` a_b \\_c\\_"
    assert from_markdown(md) == document
    for line_start in ["# h", "> q", "- l", "+ l", "1. o", "2) o", "=", "---", "    code"]:
        document = doc(para(text("x"), {"type": "hardBreak"}, text(line_start)))
        assert from_markdown(to_markdown(document)) == document, line_start


def test_localid_and_empty_paragraphs_are_dropped() -> None:
    document = doc(
        {"type": "paragraph", "attrs": {"localId": "abc"}, "content": [text("a")]},
        {"type": "paragraph", "content": []},
        para(text("b")),
    )
    assert to_markdown(document) == "a\n\nb"


# -- placeholders ------------------------------------------------------------------------------

PANEL = {
    "type": "panel",
    "attrs": {"panelType": "info"},
    "content": [para(text("Heads up -- `careful` --> here"))],
}
MENTION = {"type": "mention", "attrs": {"id": "5b10ac8d82e05b22cc7d4ef5", "text": "@Bob"}}
COLOURED = text("red", {"type": "textColor", "attrs": {"color": "#ff0000"}})


def test_unsupported_nodes_become_visible_placeholders_and_come_back() -> None:
    document = doc(
        para(text("Hi "), MENTION, text(", see "), COLOURED),
        PANEL,
        {"type": "bulletList", "content": [{"type": "listItem", "content": [PANEL]}]},
    )
    md = to_markdown(document)
    assert "```reposix-adf" in md
    assert "`reposix-adf:" in md
    assert "panel" in md
    assert "@Bob" in md
    assert has_placeholder(md)
    assert find_placeholders(md) == [MENTION, COLOURED, PANEL, PANEL]
    assert from_markdown(md) == document
    # Editing the text around a placeholder keeps the node.
    edited = md.replace("Hi ", "Hello ")
    assert from_markdown(edited)["content"][0]["content"][1] == MENTION


def test_placeholder_that_starts_a_paragraph() -> None:
    document = doc(para(MENTION, {"type": "hardBreak"}, text("next")))
    assert from_markdown(to_markdown(document)) == document


def test_inline_code_that_looks_like_a_placeholder_stays_code() -> None:
    document = doc(para(text("reposix-adf:{}", CODE)))
    md = to_markdown(document)
    assert not has_placeholder(md)
    assert from_markdown(md) == document


def test_damaged_placeholder_is_refused() -> None:
    md = to_markdown(doc(PANEL)).replace('"panelType"', "panelType")
    assert has_placeholder(md)
    with pytest.raises(InvalidRecord, match="placeholder"):
        from_markdown(md)
    with pytest.raises(InvalidRecord, match="string 'type'"):
        from_markdown("`reposix-adf:[1,2]`")


def test_placeholders_refused_on_request() -> None:
    md = to_markdown(doc(para(text("a "), MENTION)))
    with pytest.raises(InvalidRecord, match="placeholder"):
        from_markdown(md, placeholders=False)


def test_placeholder_inside_a_verbatim_block_is_refused() -> None:
    """A placeholder in a block stored verbatim would become literal JSON: refused."""
    mention = Placeholder(MENTION, inline=True).render()
    with pytest.raises(InvalidRecord, match="placeholder"):
        from_markdown(f"- # heading {mention}")
    with pytest.raises(InvalidRecord, match="placeholder"):
        from_markdown(f"<b>{mention}</b>")


def test_placeholder_next_to_a_verbatim_block_is_kept() -> None:
    md = to_markdown(doc(PANEL)) + "\n\n- # heading in a list"
    document = from_markdown(md)
    assert document["content"][0] == PANEL
    assert document["content"][1]["attrs"] == {"language": RAW_LANGUAGE}
    assert to_markdown(document) == md


def test_placeholder_in_non_canonical_body_keeps_the_node() -> None:
    md = to_markdown(doc(PANEL)) + "\n"
    assert from_markdown(md) == doc(PANEL)


def test_placeholder_render_is_public() -> None:
    assert Placeholder(MENTION, inline=True).render().startswith("`reposix-adf:{")


# -- depth and malformed input -----------------------------------------------------------------


def _nested_quotes(n: int) -> Node:
    node: Node = para(text("deep"))
    for _ in range(n):
        node = {
            "type": "bulletList",
            "content": [{"type": "listItem", "content": [para(text("x")), node]}],
        }
    return doc(node)


def test_deep_adf_is_a_protocol_error_not_recursion() -> None:
    with pytest.raises(ProtocolError, match="deeper"):
        to_markdown(_nested_quotes(5000))
    deep_panel: Node = {"type": "panel", "content": []}
    for _ in range(5000):
        deep_panel = {"type": "panel", "content": [deep_panel]}
    with pytest.raises(ProtocolError, match="deeper"):
        to_markdown(doc(deep_panel))


def test_deep_markdown_is_invalid_record_not_recursion() -> None:
    with pytest.raises(InvalidRecord, match="deeper"):
        from_markdown(">" * 5000 + " x")
    with pytest.raises(InvalidRecord, match="deeper"):
        from_markdown("".join("  " * i + "- x\n" for i in range(200)))
    nested = "[" * 5000 + "]" * 5000
    with pytest.raises(InvalidRecord):
        from_markdown("`reposix-adf:" + nested + "`")


def test_shallow_nesting_is_fine() -> None:
    document = _nested_quotes(MAX_DEPTH // 2 - 2)
    assert from_markdown(to_markdown(document)) == document


@pytest.mark.parametrize(
    "bad",
    [{"type": "paragraph"}, {"content": []}, {"type": "doc", "content": "x"}, [], "text"],
)
def test_not_a_document_is_a_protocol_error(bad: Any) -> None:
    with pytest.raises(ProtocolError):
        to_markdown(bad)


JSONISH: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["type", "content", "attrs", "text", "marks", "level", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
NODE_TYPES = st.sampled_from(
    [
        "paragraph",
        "text",
        "heading",
        "bulletList",
        "listItem",
        "codeBlock",
        "panel",
        "hardBreak",
        "mention",
        "blockquote",
        "rule",
        "orderedList",
        "table",
        "tableRow",
        "tableHeader",
        "tableCell",
        "mediaSingle",
        "media",
    ]
)


@st.composite
def wild_node(draw: st.DrawFn, depth: int = 0) -> Any:
    if depth > 3 or draw(st.integers(0, 5)) == 0:
        return draw(JSONISH)
    node: Node = {"type": draw(NODE_TYPES)}
    if draw(st.booleans()):
        node["content"] = draw(st.lists(wild_node(depth + 1), max_size=3))
    if draw(st.booleans()):
        node["attrs"] = draw(
            st.dictionaries(
                st.sampled_from(
                    ["level", "order", "language", "localId", "url", "type", "layout", "colspan"]
                ),
                JSONISH,
            )
        )
    if node["type"] == "text":
        node["text"] = draw(st.text(max_size=5))
        if draw(st.booleans()):
            node["marks"] = draw(st.lists(st.builds(dict, type=NODE_TYPES | st.just("strong"))))
    return node


@FAST
@given(st.lists(wild_node(), max_size=4))
def test_arbitrary_adf_never_crashes(content: list[Any]) -> None:
    try:
        md = to_markdown({"type": "doc", "version": 1, "content": content})
    except ProtocolError:
        return
    back = from_markdown(md)  # placeholders come back exactly
    assert to_markdown(back) == md
    # every placeholder carries a node of the input, verbatim
    originals = list(_walk_nodes(content))
    for carried in adf.find_placeholders(md):
        assert carried in originals


def _walk_nodes(value: Any) -> Any:
    if isinstance(value, dict):
        yield value
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from _walk_nodes(item)
