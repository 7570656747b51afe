"""ADF → Markdown: read an Atlassian Document Format body as canonical Markdown.

Nodes outside the supported subset become `Placeholder` s carrying the
original JSON. The structure rules are the ADF spec's
(https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/); the
Markdown written is CommonMark with GFM tables and strikethrough.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reposix._errors import ProtocolError
from reposix._formats.adf._escape import (
    MAX_DEPTH,
    RAW_LANGUAGE,
    JsonDict,
    Placeholder,
    clip,
    code_span,
    escape,
    json_depth,
    link_dest,
    longest_run,
    safe_href,
)

BLOCKS = frozenset(
    {
        "paragraph",
        "heading",
        "codeBlock",
        "bulletList",
        "orderedList",
        "blockquote",
        "rule",
        "mediaSingle",
        "table",
    }
)
CHILDREN: dict[str, frozenset[str]] = {
    "doc": BLOCKS,
    "blockquote": frozenset({"paragraph", "codeBlock", "bulletList", "orderedList", "mediaSingle"}),
    "listItem": frozenset({"paragraph", "codeBlock", "bulletList", "orderedList", "mediaSingle"}),
}
"""Which supported blocks ADF allows inside which parent (the spec's content expressions)."""
LIST_ITEM_FIRST = frozenset({"paragraph", "codeBlock", "mediaSingle"})
MARK_RANK = {"link": 0, "strong": 1, "em": 2, "strike": 3, "code": 4}
_MARK_DELIM = {"strong": "**", "em": "*", "strike": "~~"}
_IGNORED_ATTRS = frozenset({"localId"})
_NODE_KEYS = frozenset({"type", "content", "attrs"})
_ALLOWED_ATTRS: dict[str, frozenset[str]] = {
    "paragraph": frozenset(),
    "heading": frozenset({"level"}),
    "codeBlock": frozenset({"language"}),
    "bulletList": frozenset(),
    "orderedList": frozenset({"order"}),
    "listItem": frozenset(),
    "blockquote": frozenset(),
    "rule": frozenset(),
    "hardBreak": frozenset({"text"}),
    "mediaSingle": frozenset({"layout"}),
    "media": frozenset({"type", "url", "alt"}),
    "table": frozenset({"isNumberColumnEnabled", "layout"}),
    "tableRow": frozenset(),
    "tableHeader": frozenset({"colspan", "rowspan"}),
    "tableCell": frozenset({"colspan", "rowspan"}),
}
_DEFAULT_ATTRS: dict[str, dict[str, Any]] = {
    "table": {"isNumberColumnEnabled": False, "layout": "default"},
    "tableHeader": {"colspan": 1, "rowspan": 1},
    "tableCell": {"colspan": 1, "rowspan": 1},
    "mediaSingle": {"layout": "center"},
}
"""Attribute values that mean the same as leaving the attribute out (the writer's output)."""


def node_type(node: Any) -> str | None:
    """The node's ``type`` if it is an object with a string ``type``."""
    if isinstance(node, Mapping):
        kind = node.get("type")
        if isinstance(kind, str):
            return kind
    return None


def _attrs(node: Mapping[str, Any]) -> Mapping[str, Any]:
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, Mapping) else {}


def _content(node: Mapping[str, Any]) -> list[Any]:
    content = node.get("content")
    return content if isinstance(content, list) else []


def _plain_shape(node: Mapping[str, Any]) -> bool:
    """The node has no keys or attributes beyond what the subset carries."""
    kind = node_type(node)
    if kind not in _ALLOWED_ATTRS or not set(node) <= _NODE_KEYS:
        return False
    if "content" in node and not isinstance(node["content"], list):
        return False
    if "attrs" in node and node["attrs"] is not None and not isinstance(node["attrs"], Mapping):
        return False
    defaults = _DEFAULT_ATTRS.get(kind, {})
    extra = {
        k
        for k, v in _attrs(node).items()
        if k not in _IGNORED_ATTRS and v is not None and (k not in defaults or v != defaults[k])
    } - (_ALLOWED_ATTRS[kind] - set(defaults))
    return not extra


def _supported_block(node: Any, parent: str) -> bool:
    kind = node_type(node)
    if kind is None or kind not in CHILDREN[parent] or not _plain_shape(node):
        return False
    attrs = _attrs(node)
    if kind == "heading":
        level = attrs.get("level")
        return isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 6
    if kind == "codeBlock":
        lang = attrs.get("language")
        if lang is not None and (not isinstance(lang, str) or "`" in lang or "\n" in lang):
            return False
        if lang == RAW_LANGUAGE and parent != "doc":
            return False  # the writer only stores verbatim Markdown at the top level
        return all(
            node_type(c) == "text" and isinstance(c.get("text"), str) and set(c) <= {"type", "text"}
            for c in _content(node)
        )
    if kind == "blockquote":
        children = _content(node)
        return bool(children) and not all(_renders_empty(c) for c in children)
    if kind in ("bulletList", "orderedList"):
        items = _content(node)
        if not items or not all(_supported_item(i) for i in items):
            return False
        if kind == "orderedList":
            order = attrs.get("order", 1)
            if order is None:
                return True
            return isinstance(order, int) and not isinstance(order, bool) and 0 <= order < 10**9
    if kind == "rule":
        return not _content(node)
    if kind == "mediaSingle":
        return _image(node) is not None
    if kind == "table":
        return _table_cells(node) is not None
    return True


def _image(node: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(url, alt)`` of a ``mediaSingle`` holding one external image, else None.

    Shape: https://developer.atlassian.com/cloud/jira/platform/apis/document/nodes/mediaSingle/
    and .../nodes/media/ (``type: external`` carries a ``url``).
    """
    content = _content(node)
    if len(content) != 1:
        return None
    media = content[0]
    if node_type(media) != "media" or not _plain_shape(media) or _content(media):
        return None
    attrs = _attrs(media)
    url, alt = attrs.get("url"), attrs.get("alt")
    if attrs.get("type") != "external" or not isinstance(url, str) or not url:
        return None
    if "\n" in url or not safe_href(url) or (alt is not None and not isinstance(alt, str)):
        return None
    return url, alt or ""


def _table_cells(node: Mapping[str, Any]) -> list[list[list[Any]]] | None:
    """Inline content of each cell of a table GFM can write (header row first), else None.

    GFM tables (https://github.github.com/gfm/#tables-extension-) have exactly one header
    row, no spans, and one line of inline content per cell.
    """
    rows = _content(node)
    if not rows:
        return None
    out: list[list[list[Any]]] = []
    for index, row in enumerate(rows):
        if node_type(row) != "tableRow" or not _plain_shape(row):
            return None
        cells = _content(row)
        if not cells or (out and len(cells) != len(out[0])):
            return None
        want = "tableHeader" if index == 0 else "tableCell"
        line: list[list[Any]] = []
        for cell in cells:
            if node_type(cell) != want or not _plain_shape(cell):
                return None
            blocks = _content(cell)
            if len(blocks) != 1 or node_type(blocks[0]) != "paragraph":
                return None
            para = blocks[0]
            if not _plain_shape(para):
                return None
            inline = _content(para)
            if any(node_type(c) == "hardBreak" for c in inline):
                return None
            line.append(inline)
        out.append(line)
    return out


Item = tuple[str, Any, tuple[JsonDict, ...]]


def _group_placeholders(items: list[Item]) -> list[Item]:
    """Merge placeholders with neighbouring placeholders or code spans (backticks would touch)."""

    def is_code(item: Item) -> bool:
        return item[0] == "text" and any(m["type"] == "code" for m in item[2])

    def nodes(item: Item) -> list[JsonDict]:
        return list(item[1]) if item[0] == "placeholder" else [_text_node(item[1], item[2])]

    out: list[Item] = []
    for item in items:
        if item[0] == "placeholder":
            item = ("placeholder", [item[1]], ())
        if out and {out[-1][0], item[0]} & {"placeholder"}:
            prev = out[-1]
            if (prev[0] == "placeholder" or is_code(prev)) and (
                item[0] == "placeholder" or is_code(item)
            ):
                out[-1] = ("placeholder", nodes(prev) + nodes(item), ())
                continue
        out.append(item)
    return [
        ("placeholder", v[0], m) if k == "placeholder" and len(v) == 1 else (k, v, m)
        for k, v, m in out
    ]


def _text_node(value: str, marks: tuple[JsonDict, ...]) -> JsonDict:
    node: JsonDict = {"type": "text", "text": value}
    if marks:
        node["marks"] = [dict(m) for m in marks]
    return node


def _renders_empty(node: Any) -> bool:
    """A paragraph with nothing but empty text and hard breaks (the writer drops it)."""
    return node_type(node) == "paragraph" and all(
        node_type(c) == "hardBreak" or (node_type(c) == "text" and c.get("text") == "")
        for c in _content(node)
    )


def _supported_item(item: Any) -> bool:
    """A list item the reader can render so that it parses back to the same item."""
    if node_type(item) != "listItem" or not _plain_shape(item):
        return False
    content = _content(item)
    if not content:
        return False
    if len(content) == 1 and _renders_empty(content[0]):
        return True
    first = node_type(content[0])
    return not _renders_empty(content[0]) and first not in BLOCKS - LIST_ITEM_FIRST


def _too_deep() -> ProtocolError:
    return ProtocolError(
        f"ADF document nests deeper than {MAX_DEPTH} levels",
        hint="the body cannot be read as Markdown; flatten it in the vendor's editor",
    )


class Reader:
    """Renders ADF to canonical Markdown (see `reposix._formats.adf`)."""

    def doc(self, doc: Mapping[str, Any]) -> str:
        if node_type(doc) != "doc":
            raise ProtocolError("ADF body is not a document (its root 'type' is not 'doc')")
        content = doc.get("content", [])
        if not isinstance(content, list):
            raise ProtocolError("ADF document 'content' is not a list")
        return self.blocks(content, "doc", 1)

    def blocks(self, nodes: list[Any], parent: str, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise _too_deep()
        out = ""
        prev: tuple[str, str] | None = None  # (type, marker char) of the previous block
        for node in nodes:
            kind = node_type(node)
            marker = ""
            if not _supported_block(node, parent):
                text = Placeholder(_checked(node, depth), inline=False).render()
                kind = "placeholder"
            elif kind == "paragraph":
                text = self.inline(_content(node), depth + 1)
                if not text:
                    continue
            elif kind in ("bulletList", "orderedList"):
                marker = "-*" if kind == "bulletList" else ".)"
                if prev is not None and prev[0] == kind:
                    marker = marker[1] if prev[1] == marker[0] else marker[0]
                else:
                    marker = marker[0]
                text = self.list_block(node, marker, depth)
            else:
                text = self.block(node, depth)
            if out:
                tight = (
                    parent == "listItem"
                    and prev is not None
                    and prev[0] == "paragraph"
                    and kind in ("bulletList", "orderedList")
                    and (kind == "bulletList" or _order(node) == 1)
                )
                out += "\n" if tight else "\n\n"
            out += text
            prev = (kind or "", marker)
        return out

    def block(self, node: Mapping[str, Any], depth: int) -> str:
        kind = node_type(node)
        if kind == "heading":
            level = int(_attrs(node)["level"])
            text = self.inline(_content(node), depth + 1, heading=True)
            return "#" * level + (" " + text if text else "")
        if kind == "codeBlock":
            lang = _attrs(node).get("language") or ""
            code = "".join(str(c.get("text", "")) for c in _content(node))
            if lang == RAW_LANGUAGE:
                return code  # Markdown the writer stored verbatim: give it back as written
            fence = "`" * max(3, longest_run(code, "`") + 1)
            return f"{fence}{lang}\n{code}\n{fence}" if code else f"{fence}{lang}\n{fence}"
        if kind == "blockquote":
            inner = self.blocks(_content(node), "blockquote", depth + 1)
            return "\n".join("> " + line if line else ">" for line in inner.split("\n"))
        if kind == "rule":
            return "---"
        if kind == "mediaSingle":
            image = _image(node)
            assert image is not None  # _supported_block checked it
            url, alt = image
            return "![" + self.alt(alt) + "](" + link_dest(url, None) + ")"
        if kind == "table":
            return self.table(node, depth)
        raise AssertionError(kind)  # pragma: no cover - _supported_block filters

    def alt(self, alt: str) -> str:
        if not alt:
            return ""
        return escape(
            alt,
            block_start=False,
            strip_lead=True,
            strip_trail=True,
            heading_end=False,
            tilde_before=False,
            followed=False,
        )

    def table(self, node: Mapping[str, Any], depth: int) -> str:
        if depth + 3 > MAX_DEPTH:
            raise _too_deep()
        rows = _table_cells(node)
        assert rows is not None  # _supported_block checked it
        lines = []
        for index, row in enumerate(rows):
            cells = [self.inline(c, depth + 3, table=True) for c in row]
            lines.append("| " + " | ".join(cells) + " |")
            if index == 0:
                lines.append("|" + " --- |" * len(row))
        return "\n".join(lines)

    def list_block(self, node: Mapping[str, Any], marker: str, depth: int) -> str:
        ordered = node_type(node) == "orderedList"
        start = _order(node)
        items = []
        for i, item in enumerate(_content(node)):
            bullet = f"{start + i}{marker} " if ordered else f"{marker} "
            if depth + 1 > MAX_DEPTH:
                raise _too_deep()
            body = self.blocks(_content(item), "listItem", depth + 2)
            if not body:
                items.append(bullet.rstrip())
                continue
            pad = " " * len(bullet)
            lines = body.split("\n")
            rendered = [bullet + lines[0]] + [pad + line if line else "" for line in lines[1:]]
            items.append("\n".join(rendered))
        return "\n".join(items)

    # -- inline ------------------------------------------------------------------------------

    def inline(
        self, nodes: list[Any], depth: int, *, heading: bool = False, table: bool = False
    ) -> str:
        if depth > MAX_DEPTH:
            raise _too_deep()
        items: list[Item] = []
        for node in nodes:
            kind = node_type(node)
            if kind == "text" and isinstance(node.get("text"), str):
                marks = _text_marks(node)
                if marks is None:
                    items.append(("placeholder", _checked(node, depth), ()))
                elif node["text"]:
                    if items and items[-1][0] == "text" and items[-1][2] == marks:
                        items[-1] = ("text", items[-1][1] + node["text"], marks)
                    else:
                        items.append(("text", node["text"], marks))
            elif kind == "hardBreak" and _plain_shape(node) and not _content(node):
                if heading:
                    continue
                items.append(("break", None, ()))
            else:
                items.append(("placeholder", _checked(node, depth), ()))
        items = _group_placeholders(items)
        while items and items[0][0] == "break":
            items.pop(0)
        while items and items[-1][0] == "break":
            items.pop()
        out: list[str] = []
        stack: list[JsonDict] = []
        line_start = True
        for index, (kind, value, marks) in enumerate(items):
            if kind in ("break", "placeholder"):
                out.extend(_close(stack, 0))
                del stack[:]
                if kind == "break":
                    out.append("\\\n" if line_start else "\n")
                    line_start = True
                else:
                    out.append(Placeholder(value, inline=True).render())
                    line_start = False
                continue
            keep = _kept(stack, marks)
            out.extend(_close(stack, keep))
            del stack[keep:]
            opened = False
            for mark in marks:
                if mark not in stack:
                    out.append(_open(mark))
                    stack.append(mark)
                    opened = opened or mark["type"] != "link"
            nxt = items[index + 1] if index + 1 < len(items) else None
            nxt_marks = nxt[2] if nxt is not None and nxt[0] == "text" else ()
            closes = any(m["type"] != "link" for m in stack[_kept(stack, nxt_marks) :])
            if any(m["type"] == "code" for m in marks):
                out.append(code_span(value, in_table=table))
            else:
                out.append(
                    escape(
                        value,
                        block_start=line_start and not (out and out[-1] in _OPENERS),
                        strip_lead=line_start or opened,
                        strip_trail=nxt is None or nxt[0] == "break" or closes,
                        heading_end=heading and nxt is None and not marks,
                        tilde_before=bool(out) and out[-1].endswith("~"),
                        followed=nxt is not None,
                    )
                )
            line_start = False
        out.extend(_close(stack, 0))
        return "".join(out)


_OPENERS = frozenset({"**", "*", "~~", "["})


def _kept(stack: list[JsonDict], marks: Sequence[JsonDict]) -> int:
    """How many marks at the bottom of ``stack`` stay open for a node with ``marks``."""
    keep = 0
    while keep < len(stack) and stack[keep] in marks:
        keep += 1
    return keep


def _order(node: Mapping[str, Any]) -> int:
    order = _attrs(node).get("order")
    return order if isinstance(order, int) and not isinstance(order, bool) else 1


def _checked(node: Any, depth: int) -> JsonDict:
    """A node headed for a placeholder: it must be a JSON object within the depth cap."""
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        raise ProtocolError(f"ADF node is not an object with a 'type': {clip(repr(node))}")
    if depth + json_depth(node) > 2 * MAX_DEPTH + 2:
        raise _too_deep()
    return node


def _text_marks(node: Mapping[str, Any]) -> tuple[JsonDict, ...] | None:
    """The node's marks in canonical order, or None if any is outside the subset."""
    if not set(node) <= {"type", "text", "marks"}:
        return None
    raw = node.get("marks") or []
    if not isinstance(raw, list):
        return None
    marks: list[JsonDict] = []
    for mark in raw:
        kind = node_type(mark)
        if kind not in MARK_RANK or not set(mark) <= {"type", "attrs"}:
            return None
        attrs = {k: v for k, v in _attrs(mark).items() if v is not None}
        if kind == "link":
            href = attrs.get("href")
            title = attrs.get("title")
            if not isinstance(href, str) or not href or "\n" in href or not safe_href(href):
                return None  # an unsafe link is never written as a Markdown link
            if set(attrs) - {"href", "title"} or (title is not None and not isinstance(title, str)):
                return None
            link_attrs: JsonDict = {"href": href}
            if title:
                link_attrs["title"] = title
            marks.append({"type": "link", "attrs": link_attrs})
        elif attrs:
            return None
        else:
            marks.append({"type": kind})
    kinds = [m["type"] for m in marks]
    if len(set(kinds)) != len(kinds):
        return None
    if "code" in kinds and not set(kinds) <= {"code", "link"}:
        return None  # ADF allows code only with link; Markdown cannot nest code in emphasis
    marks.sort(key=lambda m: MARK_RANK[m["type"]])
    return tuple(marks)


def _open(mark: Mapping[str, Any]) -> str:
    kind = mark["type"]
    if kind == "link":
        return "["
    return _MARK_DELIM.get(kind, "")


def _close(stack: list[JsonDict], keep: int) -> list[str]:
    out = []
    for mark in reversed(stack[keep:]):
        kind = mark["type"]
        if kind == "link":
            out.append("](" + link_dest(mark["attrs"]["href"], mark["attrs"].get("title")) + ")")
        else:
            out.append(_MARK_DELIM.get(kind, ""))
    return out


def to_markdown(doc: Mapping[str, Any]) -> str:
    """Render an ADF document as canonical Markdown (unsupported nodes as placeholders).

    ``ProtocolError`` if ``doc`` is not an ADF document or nests deeper than ``MAX_DEPTH``
    (checked before any recursion, so no input reaches Python's recursion limit).
    """
    if not isinstance(doc, Mapping):
        raise ProtocolError("ADF body is not a JSON object")
    return Reader().doc(doc)
