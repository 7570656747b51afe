"""Atlassian Document Format (ADF) ↔ Markdown, shared by the Jira and Confluence connectors.

Public API (stable)::

    to_markdown(doc: Mapping) -> str        # ADF doc from the server -> Markdown body
    from_markdown(text: str) -> dict        # Markdown body -> ADF doc to send
    has_placeholder(text: str) -> bool      # does the body carry unsupported-node placeholders?
    find_placeholders(text: str) -> list[dict]   # the original ADF nodes they carry
    canonicalize(text: str) -> str          # the canonical Markdown of a body (may be lossy)
    Placeholder                             # the marker scheme, see below
    MAX_DEPTH                               # deepest node nesting accepted either way
    RAW_LANGUAGE                            # code-block language of the verbatim fallback

Supported subset
----------------
Blocks: paragraph, heading (levels 1–6), codeBlock (with language), bulletList,
orderedList (with start number, ``attrs.order``), listItem, blockquote, rule; nesting as
ADF allows it (lists and code blocks inside list items and blockquotes, lists in lists).
Inline: text, hardBreak; marks strong, em, code, link (``href``, optional ``title``), strike.

Canonical Markdown (what :func:`to_markdown` writes)
----------------------------------------------------
* Blocks are separated by exactly one blank line; no leading or trailing blank line and no
  trailing newline at the end of the body.
* ATX headings (``## Title``); fenced code blocks with backticks (longer fences when the
  code itself holds backtick runs) and the language as info string; ``---`` for rule.
* Bullet items ``- item``; ordered items ``1. item`` numbered from the list's start.
  Items are separated by a newline; blocks inside an item by a blank line, except that a
  nested list directly follows its item's paragraph. Content is indented by the marker's
  width. A list directly after a sibling list of the same kind switches marker
  (``-``/``*``, ``.``/``)``) so the two stay two lists.
* ``> `` prefixes every line of a blockquote (``>`` alone on blank lines).
* A hardBreak is a plain newline inside the paragraph (so ordinary multi-line paragraphs
  map to ADF hard breaks); a second consecutive break is written ``\\`` + newline.
* ``**strong**``, ``*em*``, ``~~strike~~``, `` `code` ``, ``[text](href "title")``.
* Text is escaped minimally so it reads naturally and parses back to the same characters:
  ``\\ ` * [ ]`` always, ``_`` unless between two letters/digits, ``~`` next to another
  ``~``, ``<`` before a letter, ``/``, ``!`` or ``?``, ``&`` before an entity-like name,
  and at the start of a line ``# > - + =`` and ``1.``/``1)``. Leading/trailing whitespace
  of a line and newlines inside text nodes are written as numeric character references
  (``&#32;``, ``&#10;``).

For the subset, ``from_markdown(to_markdown(adf)) == adf`` for canonical ADF (adjacent
text nodes with equal marks merged, marks in the order link, strong, em, strike, code,
no empty text, paragraphs non-empty and not starting or ending with a hard break, no
``localId`` attributes, ``orderedList`` always carrying ``attrs.order``), and
``to_markdown(from_markdown(md)) == md`` for canonical Markdown.

Any other Markdown (a trailing newline, ``__bold__``, setext headings, raw HTML, an image,
a heading inside a list…) is still carried *exactly*: :func:`from_markdown` then stores
the text verbatim in a single code block whose language is :data:`RAW_LANGUAGE`, and
:func:`to_markdown` gives that text back unchanged. So ``to_markdown(from_markdown(s)) ==
s`` for every string ``s`` (readers in Jira see the Markdown source as a code block).

Unsupported nodes: placeholders
-------------------------------
Nodes outside the subset (panels, tables, mentions, emoji, media, status, dates, text with
colour/underline marks, nodes with extra attributes…) are never dropped. They become a
visible :class:`Placeholder` carrying the original node as JSON:

* block level: a fenced code block with info string ``reposix-adf`` holding the node,
  pretty-printed;
* inline: a code span ``reposix-adf:{…compact json…}``.

:func:`from_markdown` turns an intact placeholder back into exactly the original node, so
editing the rest of a body never destroys a panel or a mention. A placeholder whose JSON
was damaged (not an object with a string ``type``, or nested deeper than
:data:`MAX_DEPTH`) is refused with :class:`~reposix._errors.InvalidRecord`; so is a body
with placeholders that cannot be converted structurally (it would otherwise be sent as
verbatim text, turning the node into literal JSON). ``from_markdown(..., placeholders=
False)`` refuses every placeholder, for writers that want no opaque nodes at all.

Lossy, by design: ``localId`` attributes, empty paragraphs, hard breaks at the very start
or end of a paragraph, and hard breaks inside headings are dropped. Emphasis whose text
starts or ends with punctuation next to a letter may not survive (CommonMark flanking
rules); the canonical form avoids it.

Depth: nesting deeper than :data:`MAX_DEPTH` raises
:class:`~reposix._errors.ProtocolError` from :func:`to_markdown` (server data) and
:class:`~reposix._errors.InvalidRecord` from :func:`from_markdown` (user data); neither
direction can hit Python's recursion limit.

Parsing uses markdown-it-py (CommonMark, strikethrough enabled, raw HTML disabled): it
ships with ``rich``, which reposix already depends on. The serializer is hand-written
because no maintained library writes CommonMark with the escaping and canonical form the
round-trip guarantees need.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from reposix._errors import InvalidRecord, ProtocolError

__all__ = [
    "BLOCK_PLACEHOLDER_INFO",
    "INLINE_PLACEHOLDER_PREFIX",
    "MAX_DEPTH",
    "RAW_LANGUAGE",
    "Placeholder",
    "canonicalize",
    "find_placeholders",
    "from_markdown",
    "has_placeholder",
    "to_markdown",
]

MAX_DEPTH = 32
"""Deepest node nesting accepted (the doc is depth 0, its children depth 1 …)."""

RAW_LANGUAGE = "reposix-markdown"
"""Language of the single code block that stores non-canonical Markdown verbatim."""

BLOCK_PLACEHOLDER_INFO = "reposix-adf"
"""Info string of the fenced code block that carries an unsupported block node."""

INLINE_PLACEHOLDER_PREFIX = "reposix-adf:"
"""Prefix of the code span that carries an unsupported inline node."""

JsonDict = dict[str, Any]

# -- the placeholder scheme ------------------------------------------------------------------


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _compact_json(node: Any) -> str:
    text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
    # Backticks would end the code span: escape them inside JSON strings (only there can
    # they occur).
    return _JSON_STRING.sub(lambda m: m.group(0).replace("`", "\\u0060"), text)


@dataclass(frozen=True)
class Placeholder:
    """A visible stand-in for an ADF node outside the supported subset.

    ``render()`` gives its Markdown; :func:`from_markdown` restores ``node`` exactly.
    An inline placeholder may carry a list of adjacent inline nodes (two code spans
    cannot touch in Markdown, so neighbours share one placeholder).
    """

    node: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    inline: bool

    def render(self) -> str:
        """The Markdown text of the placeholder."""
        if self.inline:
            return f"`{INLINE_PLACEHOLDER_PREFIX}{_compact_json(self.node)}`"
        body = json.dumps(self.node, ensure_ascii=False, indent=2)
        fence = "`" * max(3, _longest_run(body, "`") + 1)
        return f"{fence}{BLOCK_PLACEHOLDER_INFO}\n{body}\n{fence}"

    @staticmethod
    def parse(source: str) -> list[JsonDict]:
        """The nodes a placeholder's JSON text carries; ``InvalidRecord`` if it was damaged."""
        try:
            node = json.loads(source)
        except (ValueError, RecursionError):
            raise InvalidRecord(
                "an ADF placeholder's JSON is damaged: " + _clip(source),
                hint="restore the placeholder as it was read, or delete it to drop the node",
            ) from None
        nodes = node if isinstance(node, list) and node else [node]
        if not all(isinstance(n, dict) and isinstance(n.get("type"), str) for n in nodes):
            raise InvalidRecord(
                "an ADF placeholder must hold a JSON object with a string 'type': " + _clip(source),
                hint="restore the placeholder as it was read, or delete it to drop the node",
            )
        if _json_depth(node) > 2 * MAX_DEPTH + 2:
            raise InvalidRecord(
                f"an ADF placeholder nests deeper than {MAX_DEPTH} levels",
                hint="simplify the node or delete the placeholder",
            )
        return nodes


def _clip(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _json_depth(value: Any) -> int:
    """Nesting depth of JSON containers, iteratively (no recursion limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Sequence[Any] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(re.escape(char) + "+", text)
    return max((len(r) for r in runs), default=0)


# -- ADF -> Markdown ---------------------------------------------------------------------------

_BLOCKS = frozenset(
    {"paragraph", "heading", "codeBlock", "bulletList", "orderedList", "blockquote", "rule"}
)
_CHILDREN: dict[str, frozenset[str]] = {
    "doc": _BLOCKS,
    "blockquote": frozenset({"paragraph", "codeBlock", "bulletList", "orderedList"}),
    "listItem": frozenset({"paragraph", "codeBlock", "bulletList", "orderedList"}),
}
_LIST_ITEM_FIRST = frozenset({"paragraph", "codeBlock"})
_MARK_RANK = {"link": 0, "strong": 1, "em": 2, "strike": 3, "code": 4}
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
}


def _type(node: Any) -> str | None:
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
    kind = _type(node)
    if kind not in _ALLOWED_ATTRS or not set(node) <= _NODE_KEYS:
        return False
    if "content" in node and not isinstance(node["content"], list):
        return False
    if "attrs" in node and node["attrs"] is not None and not isinstance(node["attrs"], Mapping):
        return False
    extra = {
        k for k, v in _attrs(node).items() if k not in _IGNORED_ATTRS and v is not None
    } - _ALLOWED_ATTRS[kind]
    return not extra


def _supported_block(node: Any, parent: str) -> bool:
    kind = _type(node)
    if kind is None or kind not in _CHILDREN[parent] or not _plain_shape(node):
        return False
    attrs = _attrs(node)
    if kind == "heading":
        level = attrs.get("level")
        return isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 6
    if kind == "codeBlock":
        lang = attrs.get("language")
        if lang is not None and (not isinstance(lang, str) or "`" in lang or "\n" in lang):
            return False
        return all(_type(c) == "text" and set(c) <= {"type", "text"} for c in _content(node))
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
    return True


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
    return _type(node) == "paragraph" and all(
        _type(c) == "hardBreak" or (_type(c) == "text" and c.get("text") == "")
        for c in _content(node)
    )


def _supported_item(item: Any) -> bool:
    """A list item the writer can render so that it parses back to the same item."""
    if _type(item) != "listItem" or not _plain_shape(item):
        return False
    content = _content(item)
    if not content:
        return False
    if len(content) == 1 and _renders_empty(content[0]):
        return True
    first = _type(content[0])
    return not _renders_empty(content[0]) and first not in _BLOCKS - _LIST_ITEM_FIRST


class _Writer:
    """Renders ADF to canonical Markdown (see the module docstring)."""

    def doc(self, doc: Mapping[str, Any]) -> str:
        if _type(doc) != "doc":
            raise ProtocolError("ADF body is not a document (its root 'type' is not 'doc')")
        content = doc.get("content", [])
        if not isinstance(content, list):
            raise ProtocolError("ADF document 'content' is not a list")
        raw = _raw_text(content)
        if raw is not None:
            return raw
        return self.blocks(content, "doc", 1)

    def blocks(self, nodes: list[Any], parent: str, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise ProtocolError(f"ADF document nests deeper than {MAX_DEPTH} levels")
        out = ""
        prev: tuple[str, str] | None = None  # (type, marker char) of the previous block
        for node in nodes:
            kind = _type(node)
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
        kind = _type(node)
        if kind == "heading":
            level = int(_attrs(node)["level"])
            text = self.inline(_content(node), depth + 1, heading=True)
            return "#" * level + (" " + text if text else "")
        if kind == "codeBlock":
            lang = _attrs(node).get("language") or ""
            code = "".join(str(c.get("text", "")) for c in _content(node))
            fence = "`" * max(3, _longest_run(code, "`") + 1)
            return f"{fence}{lang}\n{code}\n{fence}" if code else f"{fence}{lang}\n{fence}"
        if kind == "blockquote":
            inner = self.blocks(_content(node), "blockquote", depth + 1)
            return "\n".join("> " + line if line else ">" for line in inner.split("\n"))
        if kind == "rule":
            return "---"
        raise AssertionError(kind)  # pragma: no cover - _supported_block filters

    def list_block(self, node: Mapping[str, Any], marker: str, depth: int) -> str:
        ordered = _type(node) == "orderedList"
        start = _order(node)
        items = []
        for i, item in enumerate(_content(node)):
            bullet = f"{start + i}{marker} " if ordered else f"{marker} "
            if depth + 1 > MAX_DEPTH:
                raise ProtocolError(f"ADF document nests deeper than {MAX_DEPTH} levels")
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

    def inline(self, nodes: list[Any], depth: int, *, heading: bool = False) -> str:
        if depth > MAX_DEPTH:
            raise ProtocolError(f"ADF document nests deeper than {MAX_DEPTH} levels")
        items: list[Item] = []
        for node in nodes:
            kind = _type(node)
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
                out.append(_code_span(value))
            else:
                out.append(
                    _escape(
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
        raise ProtocolError(f"ADF node is not an object with a 'type': {_clip(repr(node))}")
    if depth + _json_depth(node) > 2 * MAX_DEPTH + 2:
        raise ProtocolError(f"ADF document nests deeper than {MAX_DEPTH} levels")
    return node


def _raw_text(content: list[Any]) -> str | None:
    """The verbatim Markdown of a fallback document, or None for an ordinary one."""
    if len(content) != 1:
        return None
    node = content[0]
    if _type(node) != "codeBlock" or _attrs(node).get("language") != RAW_LANGUAGE:
        return None
    texts = _content(node)
    if not all(_type(t) == "text" and isinstance(t.get("text"), str) for t in texts):
        return None
    return "".join(t["text"] for t in texts)


def _text_marks(node: Mapping[str, Any]) -> tuple[JsonDict, ...] | None:
    """The node's marks in canonical order, or None if any is outside the subset."""
    if not set(node) <= {"type", "text", "marks"}:
        return None
    raw = node.get("marks") or []
    if not isinstance(raw, list):
        return None
    marks: list[JsonDict] = []
    for mark in raw:
        kind = _type(mark)
        if kind not in _MARK_RANK or not set(mark) <= {"type", "attrs"}:
            return None
        attrs = {k: v for k, v in _attrs(mark).items() if v is not None}
        if kind == "link":
            href = attrs.get("href")
            title = attrs.get("title")
            if not isinstance(href, str) or not href or "\n" in href:
                return None
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
    marks.sort(key=lambda m: _MARK_RANK[m["type"]])
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
            out.append("](" + _link_dest(mark["attrs"]) + ")")
        else:
            out.append(_MARK_DELIM.get(kind, ""))
    return out


def _link_dest(attrs: Mapping[str, Any]) -> str:
    href = str(attrs["href"])
    if re.fullmatch(r"[^\s()<>\\]+", href):
        dest = href
    else:
        dest = "<" + re.sub(r"([<>\\])", r"\\\1", href) + ">"
    title = attrs.get("title")
    if title:
        dest += ' "' + re.sub(r'(["\\])', r"\\\1", str(title)) + '"'
    return dest


def _code_span(text: str) -> str:
    fence = "`" * (_longest_run(text, "`") + 1)
    if fence == "`" and text.startswith(INLINE_PLACEHOLDER_PREFIX):
        fence = "``"  # a single-backtick span with this prefix is a placeholder
    pad = (
        text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip(" ") != "")
    )
    return f"{fence} {text} {fence}" if pad else f"{fence}{text}{fence}"


_ALWAYS = frozenset("\\`*[]")
_ENTITY_LIKE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_ORDERED_START = re.compile(r"[0-9]{1,9}[.)]")


def _ref(ch: str) -> str:
    return f"&#{ord(ch)};"


def _escape(
    text: str,
    *,
    block_start: bool,
    strip_lead: bool,
    strip_trail: bool,
    heading_end: bool,
    tilde_before: bool,
    followed: bool,
) -> str:
    """Escape ``text`` so CommonMark reads back exactly these characters.

    ``block_start``: the text begins a line (block syntax could trigger);
    ``strip_lead``/``strip_trail``: whitespace at that edge would be stripped or break a
    delimiter's flanking, so it is written as a character reference.
    """
    n = len(text)
    lead = 0
    if strip_lead:
        while lead < n and text[lead].isspace():
            lead += 1
    trail = n
    if strip_trail:
        while trail > lead and text[trail - 1].isspace():
            trail -= 1
    out: list[str] = []
    i = 0
    if block_start and lead == 0:
        m = _ORDERED_START.match(text)
        if m is not None:
            out.append(m.group(0)[:-1] + "\\" + m.group(0)[-1])
            i = m.end()
        elif text and text[0] in "#>-+=":
            out.append("\\" + text[0])
            i = 1
    while i < n:
        ch = text[i]
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < n else ""
        if i < lead or i >= trail or ch in "\n\r":
            out.append(_ref(ch))
        elif ch in _ALWAYS:
            out.append("\\" + ch)
        elif ch == "_":
            out.append("_" if prev.isalnum() and nxt.isalnum() else "\\_")
        elif ch == "~":
            edge = (not prev and tilde_before) or (not nxt and followed)
            out.append("\\~" if edge or "~" in (prev, nxt) else "~")
        elif ch == "<":
            out.append("\\<" if (not nxt and followed) or nxt.isalpha() or nxt in "/!?" else "<")
        elif ch == "&":
            out.append("\\&" if _ENTITY_LIKE.match(text, i) or (not nxt and followed) else "&")
        elif ch == "!" and not nxt and followed:
            out.append("\\!")
        elif ch == "#" and heading_end and i == trail - 1:
            out.append("\\#")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def to_markdown(doc: Mapping[str, Any]) -> str:
    """Render an ADF document as canonical Markdown (unsupported nodes as placeholders).

    ``ProtocolError`` if ``doc`` is not an ADF document or nests deeper than ``MAX_DEPTH``.
    """
    if not isinstance(doc, Mapping):
        raise ProtocolError("ADF body is not a JSON object")
    return _Writer().doc(doc)


# -- Markdown -> ADF ---------------------------------------------------------------------------


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "maxNesting": 2 * MAX_DEPTH + 8})
    md.enable("strikethrough")
    # Keep hrefs exactly as written: ADF stores the URL, not an HTML-normalized one.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


_MD = _parser()


class _Unrepresentable(Exception):
    """Markdown that has no ADF equivalent in the subset (the caller falls back)."""


@dataclass
class _Reader:
    """Builds ADF from markdown-it's token stream."""

    tokens: list[Token]
    placeholders: bool
    pos: int = 0
    found_placeholder: bool = False

    def blocks(self, close: str | None, parent: str, depth: int) -> list[JsonDict]:
        if depth > MAX_DEPTH:
            raise InvalidRecord(
                f"the Markdown body nests deeper than {MAX_DEPTH} levels",
                hint="flatten the nested lists or quotes",
            )
        out: list[JsonDict] = []
        while self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            if close is not None and tok.type == close:
                self.pos += 1
                return out
            node = self.block(tok, depth)
            kind = node["type"]
            opaque = bool(node.pop("__placeholder__", False))
            if not opaque and kind not in _CHILDREN[parent]:
                raise _Unrepresentable(f"{kind} inside {parent}")
            if not opaque and parent == "listItem" and not out and kind not in _LIST_ITEM_FIRST:
                raise _Unrepresentable(f"list item starting with {kind}")
            out.append(node)
        if close is not None:
            raise _Unrepresentable("unbalanced tokens")  # pragma: no cover
        return out

    def block(self, tok: Token, depth: int) -> JsonDict:
        kind = tok.type
        self.pos += 1
        if kind == "paragraph_open":
            content = self.inline(self.tokens[self.pos], depth + 1)
            self.pos += 2
            return {"type": "paragraph", "content": content}
        if kind == "heading_open":
            level = int(tok.tag[1])
            content = self.inline(self.tokens[self.pos], depth + 1)
            self.pos += 2
            node: JsonDict = {"type": "heading", "attrs": {"level": level}}
            if content:
                node["content"] = content
            return node
        if kind in ("fence", "code_block"):
            info = tok.info.strip() if kind == "fence" else ""
            code = tok.content[:-1] if tok.content.endswith("\n") else tok.content
            if info == BLOCK_PLACEHOLDER_INFO:
                nodes = self.placeholder(code)
                if len(nodes) != 1:
                    raise InvalidRecord(
                        "a block placeholder must hold exactly one ADF node",
                        hint="restore the placeholder as it was read",
                    )
                return {**nodes[0], "__placeholder__": True}
            node = {"type": "codeBlock"}
            if info:
                node["attrs"] = {"language": info}
            if code:
                node["content"] = [{"type": "text", "text": code}]
            return node
        if kind in ("bullet_list_open", "ordered_list_open"):
            ordered = kind == "ordered_list_open"
            items = []
            close = "ordered_list_close" if ordered else "bullet_list_close"
            while self.tokens[self.pos].type != close:
                item_tok = self.tokens[self.pos]
                if item_tok.type != "list_item_open":  # pragma: no cover - markdown-it shape
                    raise _Unrepresentable("list without items")
                self.pos += 1
                content = self.blocks("list_item_close", "listItem", depth + 2)
                if not content:
                    content = [{"type": "paragraph"}]
                items.append({"type": "listItem", "content": content})
            self.pos += 1
            if ordered:
                start = tok.attrs.get("start", 1)
                return {
                    "type": "orderedList",
                    "attrs": {"order": int(start)},
                    "content": items,
                }
            return {"type": "bulletList", "content": items}
        if kind == "blockquote_open":
            content = self.blocks("blockquote_close", "blockquote", depth + 1)
            if not content:
                raise _Unrepresentable("empty blockquote")
            return {"type": "blockquote", "content": content}
        if kind == "hr":
            return {"type": "rule"}
        raise _Unrepresentable(kind)

    def placeholder(self, source: str) -> list[JsonDict]:
        if not self.placeholders:
            raise InvalidRecord(
                "the body still contains a reposix-adf placeholder for an unsupported node",
                hint="remove the placeholder, or let the connector send it back unchanged",
            )
        self.found_placeholder = True
        return Placeholder.parse(source)

    def inline(self, tok: Token, depth: int) -> list[JsonDict]:
        if depth > MAX_DEPTH:
            raise InvalidRecord(
                f"the Markdown body nests deeper than {MAX_DEPTH} levels",
                hint="flatten the nested lists or quotes",
            )
        out: list[JsonDict] = []
        marks: list[JsonDict] = []
        for child in tok.children or []:
            kind = child.type
            if kind == "text":
                if child.content:
                    _append_text(out, child.content, marks)
            elif kind in ("softbreak", "hardbreak"):
                out.append({"type": "hardBreak"})
            elif kind in ("strong_open", "em_open", "s_open"):
                marks.append(
                    {"type": {"strong_open": "strong", "em_open": "em"}.get(kind, "strike")}
                )
            elif kind in ("strong_close", "em_close", "s_close"):
                name = {"strong_close": "strong", "em_close": "em"}.get(kind, "strike")
                _pop_mark(marks, name)
            elif kind == "link_open":
                href = str(child.attrs.get("href", ""))
                if not href:
                    raise _Unrepresentable("link without a destination")
                attrs: JsonDict = {"href": href}
                title = child.attrs.get("title")
                if title:
                    attrs["title"] = str(title)
                marks.append({"type": "link", "attrs": attrs})
            elif kind == "link_close":
                _pop_mark(marks, "link")
            elif kind == "code_inline":
                if _is_inline_placeholder(child):
                    out.extend(self.placeholder(child.content[len(INLINE_PLACEHOLDER_PREFIX) :]))
                    continue
                if any(m["type"] not in ("link",) for m in marks):
                    raise _Unrepresentable("inline code inside emphasis")
                _append_text(out, child.content, [*marks, {"type": "code"}])
            else:
                raise _Unrepresentable(kind)
        if marks:  # pragma: no cover - markdown-it balances delimiters
            raise _Unrepresentable("unbalanced marks")
        return out


def _is_inline_placeholder(tok: Token) -> bool:
    return (
        tok.type == "code_inline"
        and tok.markup == "`"
        and tok.content.startswith(INLINE_PLACEHOLDER_PREFIX)
    )


def _append_text(out: list[JsonDict], text: str, marks: list[JsonDict]) -> None:
    ordered = sorted((dict(m) for m in marks), key=lambda m: _MARK_RANK[m["type"]])
    kinds = [m["type"] for m in ordered]
    if len(set(kinds)) != len(kinds):
        raise _Unrepresentable("the same mark nested in itself")
    if out and out[-1].get("type") == "text" and out[-1].get("marks", []) == ordered:
        out[-1]["text"] += text
        return
    node: JsonDict = {"type": "text", "text": text}
    if ordered:
        node["marks"] = ordered
    out.append(node)


def _pop_mark(marks: list[JsonDict], name: str) -> None:
    for i in range(len(marks) - 1, -1, -1):
        if marks[i]["type"] == name:
            del marks[i]
            return


def _structured(text: str, *, placeholders: bool) -> tuple[JsonDict, bool]:
    """``(doc, has_placeholders)``; ``_Unrepresentable`` if the subset cannot hold it."""
    reader = _Reader(_MD.parse(text), placeholders)
    content = reader.blocks(None, "doc", 1)
    return {"type": "doc", "version": 1, "content": content}, reader.found_placeholder


def _raw_doc(text: str) -> JsonDict:
    block: JsonDict = {"type": "codeBlock", "attrs": {"language": RAW_LANGUAGE}}
    if text:
        block["content"] = [{"type": "text", "text": text}]
    return {"type": "doc", "version": 1, "content": [block]}


def from_markdown(text: str, *, placeholders: bool = True, fallback: bool = True) -> JsonDict:
    """Convert a Markdown body to an ADF document (see the module docstring for the rules).

    Canonical Markdown converts structurally; anything else is kept verbatim in a
    :data:`RAW_LANGUAGE` code block (``fallback=False``: converted structurally where
    possible, else ``InvalidRecord``). Placeholders turn back into their original nodes
    (``placeholders=False``: ``InvalidRecord``). ``InvalidRecord`` too for damaged
    placeholders and for nesting deeper than ``MAX_DEPTH``.
    """
    if not isinstance(text, str):
        raise InvalidRecord(f"a Markdown body must be a str, not {type(text).__name__}")
    if text == "":
        return {"type": "doc", "version": 1, "content": []}
    try:
        doc, found = _structured(text, placeholders=placeholders)
    except _Unrepresentable as exc:
        if has_placeholder(text):
            raise InvalidRecord(
                f"the body mixes reposix-adf placeholders with Markdown ADF cannot hold ({exc})",
                hint="keep the placeholders and remove the unsupported Markdown "
                "(raw HTML, images, headings or quotes inside lists…)",
            ) from None
        if not fallback:
            raise InvalidRecord(
                f"this Markdown has no ADF equivalent ({exc})",
                hint="use the supported subset: see reposix._formats.adf",
            ) from None
        return _raw_doc(text)
    if found or not fallback or to_markdown(doc) == text:
        return doc
    return _raw_doc(text)


def canonicalize(text: str) -> str:
    """The canonical Markdown closest to ``text`` (structural conversion; may drop syntax).

    Useful to show a user what a non-canonical body will look like once structured.
    """
    try:
        doc, _ = _structured(text, placeholders=True)
    except _Unrepresentable:
        return text
    return to_markdown(doc)


def find_placeholders(text: str) -> list[JsonDict]:
    """The original ADF nodes carried by the placeholders in ``text`` (in order)."""
    found: list[JsonDict] = []
    tokens = _MD.parse(text)
    stack = list(reversed(tokens))
    while stack:
        tok = stack.pop()
        if tok.type == "fence" and tok.info.strip() == BLOCK_PLACEHOLDER_INFO:
            code = tok.content[:-1] if tok.content.endswith("\n") else tok.content
            found.extend(Placeholder.parse(code))
        elif _is_inline_placeholder(tok):
            found.extend(Placeholder.parse(tok.content[len(INLINE_PLACEHOLDER_PREFIX) :]))
        if tok.children:
            stack.extend(reversed(tok.children))
    return found


def has_placeholder(text: str) -> bool:
    """Whether ``text`` contains a placeholder for an unsupported ADF node."""
    if BLOCK_PLACEHOLDER_INFO not in text:
        return False
    tokens = _MD.parse(text)
    stack = list(tokens)
    while stack:
        tok = stack.pop()
        if tok.type == "fence" and tok.info.strip() == BLOCK_PLACEHOLDER_INFO:
            return True
        if _is_inline_placeholder(tok):
            return True
        if tok.children:
            stack.extend(tok.children)
    return False
