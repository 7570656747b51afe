"""Markdown → ADF: write any CommonMark body as an Atlassian Document Format document.

Walks markdown-it-py's token stream (CommonMark plus the GFM table and strikethrough
rules). Every construct ADF can express becomes its ADF node; a top-level block holding a
construct ADF cannot express (see `VERBATIM`) is stored verbatim as a
`RAW_LANGUAGE` code block, which the reader gives back as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from reposix._errors import InvalidRecord, ProtocolError
from reposix._formats.adf._escape import (
    BLOCK_PLACEHOLDER_INFO,
    INLINE_PLACEHOLDER_PREFIX,
    MAX_DEPTH,
    RAW_LANGUAGE,
    JsonDict,
    Placeholder,
    safe_href,
)
from reposix._formats.adf._reader import CHILDREN, LIST_ITEM_FIRST, MARK_RANK, to_markdown

VERBATIM = (
    "raw HTML, as a block or inline (ADF has no HTML node)",
    "a heading, block quote, thematic break or table inside a list item "
    "(an ADF listItem holds only paragraphs, lists, code blocks and images)",
    "a heading, block quote, thematic break or table inside a block quote",
    "a list item that starts with a nested list or is otherwise not led by a paragraph, "
    "code block or image (an ADF listItem must start with one)",
    "an empty block quote",
    "a code span inside emphasis, strong or strikethrough (ADF's code mark combines only "
    "with link)",
    "an image inside a link (ADF has no linked image inline)",
    "a body that is only whitespace or link reference definitions (it would store nothing)",
)
"""Markdown constructs ADF cannot express: the top-level block holding one is stored
verbatim (the whole body, for the last item)."""


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": 2 * MAX_DEPTH + 8})
    md.enable(["strikethrough", "table"])
    # Keep hrefs exactly as written: ADF stores the URL, not an HTML-normalized one.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.normalizeLinkText = lambda link: link  # type: ignore[method-assign]
    # Only http, https, mailto and relative links become links; others stay text.
    md.validateLink = safe_href  # type: ignore[method-assign]
    return md


MD = _parser()


def normalize_newlines(text: str) -> str:
    """CRLF and CR line endings as LF, NUL as U+FFFD (CommonMark §2.1 and §2.3:
    https://spec.commonmark.org/0.31.2/#line-ending, #insecure-characters)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


class Unrepresentable(Exception):
    """Markdown that ADF cannot express (the caller stores its block verbatim)."""


def _too_deep() -> InvalidRecord:
    return InvalidRecord(
        f"the Markdown body nests deeper than {MAX_DEPTH} levels",
        hint="flatten the nested lists or quotes",
    )


@dataclass
class Writer:
    """Builds ADF from markdown-it's token stream."""

    tokens: list[Token]
    lines: list[str]
    placeholders: bool
    fallback: bool
    pos: int = 0
    found_placeholder: bool = False
    verbatim: list[str] = field(default_factory=list)

    def doc(self) -> list[JsonDict]:
        out: list[JsonDict] = []
        while self.pos < len(self.tokens):
            start = self.pos
            tok = self.tokens[start]
            try:
                node = self.child(tok, "doc", 1, first=False)
            except Unrepresentable as exc:
                out.append(self.raw_block(start, str(exc)))
                continue
            out.append(node)
        return out

    def raw_block(self, start: int, why: str) -> JsonDict:
        """The top-level block opened at ``tokens[start]`` as a verbatim code block."""
        if not self.fallback:
            raise InvalidRecord(
                f"this Markdown has no ADF equivalent ({why})",
                hint="see reposix._formats.adf.VERBATIM for what ADF cannot express",
            )
        opening = self.tokens[start]
        level = 0
        self.pos = start
        while self.pos < len(self.tokens):
            level += self.tokens[self.pos].nesting
            self.pos += 1
            if level <= 0:
                break
        begin, end = opening.map or (0, len(self.lines))
        lines = self.lines[begin:end]
        while lines and not lines[-1].strip():
            lines.pop()
        text = "\n".join(lines)
        if placeholder_sources(text):
            raise InvalidRecord(
                f"a reposix-adf placeholder sits in Markdown ADF cannot hold ({why})",
                hint="keep the placeholders and remove the unsupported Markdown around them "
                "(raw HTML, headings or quotes inside lists…)",
            )
        self.verbatim.append(why)
        return {
            "type": "codeBlock",
            "attrs": {"language": RAW_LANGUAGE},
            "content": [{"type": "text", "text": text}],
        }

    def blocks(self, close: str, parent: str, depth: int) -> list[JsonDict]:
        if depth > MAX_DEPTH:
            raise _too_deep()
        out: list[JsonDict] = []
        while self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            if tok.type == close:
                self.pos += 1
                return out
            out.append(self.child(tok, parent, depth, first=not out))
        raise Unrepresentable("unbalanced tokens")  # pragma: no cover - markdown-it shape

    def child(self, tok: Token, parent: str, depth: int, *, first: bool) -> JsonDict:
        node = self.block(tok, depth)
        kind = node["type"]
        if node.pop("__placeholder__", False):
            return node
        if kind not in CHILDREN[parent]:
            raise Unrepresentable(f"{kind} inside {parent}")
        if parent == "listItem" and first and kind not in LIST_ITEM_FIRST:
            raise Unrepresentable(f"list item starting with {kind}")
        return node

    def block(self, tok: Token, depth: int) -> JsonDict:
        kind = tok.type
        self.pos += 1
        if kind == "paragraph_open":
            inline = self.tokens[self.pos]
            self.pos += 2
            image = _lone_image(inline)
            if image is not None:
                return image
            return {"type": "paragraph", "content": self.inline(inline, depth + 1)}
        if kind == "heading_open":
            level = int(tok.tag[1])
            content = self.inline(self.tokens[self.pos], depth + 1, heading=True)
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
            return self.list_block(tok, depth)
        if kind == "blockquote_open":
            content = self.blocks("blockquote_close", "blockquote", depth + 1)
            if not content:
                raise Unrepresentable("empty blockquote")
            return {"type": "blockquote", "content": content}
        if kind == "hr":
            return {"type": "rule"}
        if kind == "table_open":
            return self.table(depth)
        raise Unrepresentable(kind)

    def list_block(self, tok: Token, depth: int) -> JsonDict:
        ordered = tok.type == "ordered_list_open"
        close = "ordered_list_close" if ordered else "bullet_list_close"
        items = []
        while self.tokens[self.pos].type != close:
            if self.tokens[self.pos].type != "list_item_open":  # pragma: no cover
                raise Unrepresentable("list without items")
            self.pos += 1
            content = self.blocks("list_item_close", "listItem", depth + 2)
            items.append({"type": "listItem", "content": content or [{"type": "paragraph"}]})
        self.pos += 1
        if ordered:
            start = int(tok.attrs.get("start", 1))
            return {"type": "orderedList", "attrs": {"order": start}, "content": items}
        return {"type": "bulletList", "content": items}

    def table(self, depth: int) -> JsonDict:
        """A GFM table (https://github.github.com/gfm/#tables-extension-) as an ADF table
        (https://developer.atlassian.com/cloud/jira/platform/apis/document/nodes/table/).

        Column alignment has no ADF cell attribute and is dropped."""
        if depth + 3 > MAX_DEPTH:
            raise _too_deep()
        rows: list[JsonDict] = []
        row: list[JsonDict] = []
        while True:
            tok = self.tokens[self.pos]
            self.pos += 1
            if tok.type == "table_close":
                break
            if tok.type == "tr_close":
                rows.append({"type": "tableRow", "content": row})
                row = []
            elif tok.type in ("th_open", "td_open"):
                content = self.inline(self.tokens[self.pos], depth + 3)
                self.pos += 2
                para: JsonDict = {"type": "paragraph"}
                if content:
                    para["content"] = content
                cell = "tableHeader" if tok.type == "th_open" else "tableCell"
                row.append({"type": cell, "content": [para]})
        return {
            "type": "table",
            "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
            "content": rows,
        }

    def placeholder(self, source: str) -> list[JsonDict]:
        if not self.placeholders:
            raise InvalidRecord(
                "the body still contains a reposix-adf placeholder for an unsupported node",
                hint="remove the placeholder, or let the connector send it back unchanged",
            )
        self.found_placeholder = True
        return Placeholder.parse(source)

    def inline(self, tok: Token, depth: int, *, heading: bool = False) -> list[JsonDict]:
        if depth > MAX_DEPTH:
            raise _too_deep()
        out: list[JsonDict] = []
        marks: list[JsonDict] = []
        for child in tok.children or []:
            kind = child.type
            if kind == "text":
                _append_text(out, child.content, marks)
            elif kind in ("softbreak", "hardbreak"):
                if heading:
                    _append_text(out, " ", marks)  # a heading is one line in ADF and Markdown
                else:
                    out.append({"type": "hardBreak"})
            elif kind in _OPEN_MARKS:
                marks.append({"type": _OPEN_MARKS[kind]})
            elif kind in _CLOSE_MARKS:
                _pop_mark(marks, _CLOSE_MARKS[kind])
            elif kind == "link_open":
                href = str(child.attrs.get("href", ""))
                attrs: JsonDict = {"href": href}
                title = child.attrs.get("title")
                if title:
                    attrs["title"] = str(title)
                # An empty destination links nowhere: its text stays, as plain text.
                marks.append({"type": "link", "attrs": attrs} if href else {"type": "nolink"})
            elif kind == "link_close":
                for i in range(len(marks) - 1, -1, -1):
                    if marks[i]["type"] in ("link", "nolink"):
                        del marks[i]
                        break
            elif kind == "image":
                if any(m["type"] == "link" for m in marks):
                    raise Unrepresentable("image inside a link")
                # An image among text has no inline ADF form: its alt text links to it.
                src = str(child.attrs.get("src", ""))
                alt = _alt(child) or src
                _append_text(out, alt, [*marks, {"type": "link", "attrs": {"href": src}}])
            elif kind == "code_inline":
                if _is_inline_placeholder(child):
                    out.extend(self.placeholder(child.content[len(INLINE_PLACEHOLDER_PREFIX) :]))
                    continue
                if any(m["type"] not in ("link", "nolink") for m in marks):
                    raise Unrepresentable("inline code inside emphasis")
                _append_text(out, child.content, [*marks, {"type": "code"}])
            else:
                raise Unrepresentable(kind)
        return out


_OPEN_MARKS = {"strong_open": "strong", "em_open": "em", "s_open": "strike"}
_CLOSE_MARKS = {"strong_close": "strong", "em_close": "em", "s_close": "strike"}


def _alt(image: Token) -> str:
    """An image's alt text, as markdown-it's renderer computes it (children as plain text)."""
    out: list[str] = []
    stack = list(reversed(image.children or []))
    while stack:
        tok = stack.pop()
        if tok.type in ("text", "code_inline"):
            out.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif tok.type == "image":
            stack.extend(reversed(tok.children or []))
    return "".join(out)


def _lone_image(inline: Token) -> JsonDict | None:
    """A paragraph holding only an image, as an ADF ``mediaSingle`` with external media
    (https://developer.atlassian.com/cloud/jira/platform/apis/document/nodes/mediaSingle/).

    The image title has no ADF attribute and is dropped."""
    children = inline.children or []
    if len(children) != 1 or children[0].type != "image":
        return None
    src = str(children[0].attrs.get("src", ""))
    if not src or "\n" in src:
        return None
    media: JsonDict = {"type": "external", "url": src}
    alt = _alt(children[0])
    if alt:
        media["alt"] = alt
    return {
        "type": "mediaSingle",
        "attrs": {"layout": "center"},
        "content": [{"type": "media", "attrs": media}],
    }


def _is_inline_placeholder(tok: Token) -> bool:
    return (
        tok.type == "code_inline"
        and tok.markup == "`"
        and tok.content.startswith(INLINE_PLACEHOLDER_PREFIX)
    )


def _append_text(out: list[JsonDict], text: str, marks: list[JsonDict]) -> None:
    if not text:
        return
    # The same mark nested in itself (``*a *b* c*``) means the mark once in ADF.
    unique: dict[str, JsonDict] = {}
    for mark in marks:
        if mark["type"] != "nolink":
            unique.setdefault(mark["type"], mark)
    ordered = sorted((dict(m) for m in unique.values()), key=lambda m: MARK_RANK[m["type"]])
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


def structured(text: str, *, placeholders: bool, fallback: bool) -> tuple[JsonDict, Writer]:
    """The ADF document of ``text`` (blocks ADF cannot hold stored verbatim) and its writer."""
    src = normalize_newlines(text)
    writer = Writer(MD.parse(src), src.split("\n"), placeholders, fallback)
    content = writer.doc()
    return {"type": "doc", "version": 1, "content": content}, writer


def raw_doc(text: str) -> JsonDict:
    """A document storing ``text`` verbatim in one `RAW_LANGUAGE` code block."""
    block: JsonDict = {"type": "codeBlock", "attrs": {"language": RAW_LANGUAGE}}
    if text:
        block["content"] = [{"type": "text", "text": text}]
    return {"type": "doc", "version": 1, "content": [block]}


def from_markdown(text: str, *, placeholders: bool = True, fallback: bool = True) -> JsonDict:
    """Convert a Markdown body to an ADF document (see `reposix._formats.adf`).

    Every construct ADF can express is converted; a top-level block holding one it cannot
    (`VERBATIM`) is kept verbatim in a `RAW_LANGUAGE` code block
    (``fallback=False``: ``InvalidRecord`` instead). Placeholders turn back into their
    original nodes (``placeholders=False``: ``InvalidRecord``). ``InvalidRecord`` too for
    damaged placeholders and for nesting deeper than ``MAX_DEPTH``.
    """
    if not isinstance(text, str):
        raise InvalidRecord(f"a Markdown body must be a str, not {type(text).__name__}")
    if text == "":
        return {"type": "doc", "version": 1, "content": []}
    doc, writer = structured(text, placeholders=placeholders, fallback=fallback)
    if not doc["content"]:
        return _whole(text, writer, fallback, "the body stores nothing ADF can show")
    # Stored must equal what readers see: the reader's Markdown must write back to this
    # very document. Blocks stored verbatim next to each other can merge when read back;
    # then the whole body is stored verbatim.
    try:
        again, _ = structured(to_markdown(doc), placeholders=True, fallback=True)
    except ProtocolError as exc:  # pragma: no cover - both sides share MAX_DEPTH
        raise InvalidRecord(f"the Markdown body cannot be stored: {exc}") from None
    if again != doc:
        return _whole(text, writer, fallback, "verbatim blocks would not read back apart")
    return doc


def _whole(text: str, writer: Writer, fallback: bool, why: str) -> JsonDict:
    if writer.found_placeholder:
        raise InvalidRecord(
            f"a body with reposix-adf placeholders cannot be stored ({why})",
            hint="keep the placeholders and remove the unsupported Markdown around them",
        )
    if not fallback:
        raise InvalidRecord(f"this Markdown has no ADF equivalent ({why})")
    return raw_doc(text)


def find_tokens(text: str) -> list[Token]:
    """Every token of ``text``, inline children included (iteratively: no recursion)."""
    found: list[Token] = []
    stack = list(reversed(MD.parse(normalize_newlines(text))))
    while stack:
        tok = stack.pop()
        found.append(tok)
        if tok.children:
            stack.extend(reversed(tok.children))
    return found


def placeholder_sources(text: str) -> list[str]:
    """The JSON text of each placeholder in ``text`` (in order)."""
    out: list[str] = []
    if BLOCK_PLACEHOLDER_INFO not in text:
        return out
    for tok in find_tokens(text):
        if tok.type == "fence" and tok.info.strip() == BLOCK_PLACEHOLDER_INFO:
            out.append(tok.content[:-1] if tok.content.endswith("\n") else tok.content)
        elif _is_inline_placeholder(tok):
            out.append(tok.content[len(INLINE_PLACEHOLDER_PREFIX) :])
    return out


def find_placeholders(text: str) -> list[JsonDict]:
    """The original ADF nodes carried by the placeholders in ``text`` (in order).

    ``InvalidRecord`` if one was damaged."""
    found: list[JsonDict] = []
    for source in placeholder_sources(text):
        found.extend(Placeholder.parse(source))
    return found


def has_placeholder(text: str) -> bool:
    """Whether ``text`` contains a placeholder for an unsupported ADF node."""
    return bool(placeholder_sources(text))


def canonicalize(text: str) -> str:
    """What a reader sees once ``text`` is stored: ``to_markdown(from_markdown(text))``.

    Idempotent (a second pass changes nothing). A body that cannot be stored
    (``InvalidRecord``: damaged placeholders, nesting deeper than ``MAX_DEPTH``) is
    returned unchanged: storing it fails with that error instead.
    """
    try:
        return to_markdown(from_markdown(text))
    except InvalidRecord:
        return text
