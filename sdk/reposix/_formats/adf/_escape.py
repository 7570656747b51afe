"""Shared pieces of the ADF ↔ Markdown converter: limits, placeholders, escaping, link safety.

Everything here is pure string work used by both directions: the reader (ADF → Markdown,
`_reader`) escapes text with it, the writer (Markdown → ADF, `_writer`) checks
links and parses placeholders with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reposix._errors import InvalidRecord

MAX_DEPTH = 32
"""Deepest node nesting accepted (the doc is depth 0, its children depth 1 …)."""

MAX_JSON_DEPTH = 4 * MAX_DEPTH + 8
"""Deepest JSON container nesting `loads` accepts (an ADF level is about two JSON
levels: a node object and its ``content`` list, plus ``attrs``/``marks``)."""

RAW_LANGUAGE = "reposix-markdown"
"""Language of a code block that stores Markdown verbatim (a construct ADF cannot hold)."""

BLOCK_PLACEHOLDER_INFO = "reposix-adf"
"""Info string of the fenced code block that carries an unsupported block node."""

INLINE_PLACEHOLDER_PREFIX = "reposix-adf:"
"""Prefix of the code span that carries an unsupported inline node."""

JsonDict = dict[str, Any]

# -- JSON ----------------------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_text_depth(text: str) -> int:
    """Nesting depth of the JSON containers in ``text``, counted without parsing (no recursion)."""
    deepest = depth = 0
    for ch in _JSON_STRING.sub('""', text):
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads(text: str | bytes) -> Any:
    """``json.loads`` for ADF documents that cannot hit Python's recursion limit.

    JSON nested deeper than `MAX_JSON_DEPTH` raises ``ValueError`` (as malformed JSON
    does) instead of ``RecursionError``: the standard decoder recurses once per level, so a
    body nested thousands of levels deep would otherwise crash the caller.
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    depth = json_text_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"JSON nests {depth} levels deep, more than the {MAX_JSON_DEPTH} allowed")
    return json.loads(text)


def json_depth(value: Any) -> int:
    """Nesting depth of JSON containers in a decoded value, iteratively (no recursion limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Sequence[Any] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def clip(text: str, limit: int = 80) -> str:
    """``repr`` of ``text`` cut to ``limit`` characters (for error messages)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def longest_run(text: str, char: str) -> int:
    """Length of the longest run of ``char`` in ``text``."""
    runs = re.findall(re.escape(char) + "+", text)
    return max((len(r) for r in runs), default=0)


# -- the placeholder scheme ----------------------------------------------------------------------


def _compact_json(node: Any) -> str:
    text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
    # Backticks would end the code span, pipes would split a table cell: escape them inside
    # JSON strings (only there can they occur).
    return _JSON_STRING.sub(
        lambda m: m.group(0).replace("`", "\\u0060").replace("|", "\\u007c"), text
    )


@dataclass(frozen=True)
class Placeholder:
    """A visible stand-in for an ADF node outside the supported subset.

    ``render()`` gives its Markdown; the writer restores ``node`` exactly.
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
        fence = "`" * max(3, longest_run(body, "`") + 1)
        return f"{fence}{BLOCK_PLACEHOLDER_INFO}\n{body}\n{fence}"

    @staticmethod
    def parse(source: str) -> list[JsonDict]:
        """The nodes a placeholder's JSON text carries; ``InvalidRecord`` if it was damaged."""
        try:
            node = loads(source)
        except (ValueError, RecursionError):
            raise InvalidRecord(
                "an ADF placeholder's JSON is damaged or nests too deep: " + clip(source),
                hint="restore the placeholder as it was read, or delete it to drop the node",
            ) from None
        nodes = node if isinstance(node, list) and node else [node]
        if not all(isinstance(n, dict) and isinstance(n.get("type"), str) for n in nodes):
            raise InvalidRecord(
                "an ADF placeholder must hold a JSON object with a string 'type': " + clip(source),
                hint="restore the placeholder as it was read, or delete it to drop the node",
            )
        if json_depth(node) > 2 * MAX_DEPTH + 2:
            raise InvalidRecord(
                f"an ADF placeholder nests deeper than {MAX_DEPTH} levels",
                hint="simplify the node or delete the placeholder",
            )
        return nodes


# -- links -----------------------------------------------------------------------------------

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
"""URL schemes a link or image may carry; a URL without a scheme (relative) is safe too."""

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def safe_href(url: str) -> bool:
    """Whether ``url`` is relative or uses an http, https or mailto scheme.

    Browsers strip ASCII tabs and newlines anywhere in a URL and C0 controls or spaces at
    its ends before reading the scheme (WHATWG URL standard,
    https://url.spec.whatwg.org/#concept-basic-url-parser), so ``java\\tscript:`` is
    judged as ``javascript:``. Any ``:`` before the first ``/``, ``?`` or ``#`` means a
    scheme; it must be one of `SAFE_SCHEMES`.
    """
    probe = re.sub(r"[\t\n\r]", "", url).strip("".join(map(chr, range(0x21))))
    head = re.split(r"[/?#]", probe, maxsplit=1)[0]
    if ":" not in head:
        return True
    match = _SCHEME.match(head)
    return match is not None and match.group(1).lower() in SAFE_SCHEMES


def link_dest(href: str, title: str | None) -> str:
    """The ``(…)`` part of a Markdown link or image: destination and optional title."""
    if re.fullmatch(r"[^\s()<>\\]+", href):
        dest = href
    else:
        dest = "<" + re.sub(r"([<>\\])", r"\\\1", href) + ">"
    if title:
        dest += ' "' + re.sub(r'(["\\])', r"\\\1", title) + '"'
    return dest


# -- text ------------------------------------------------------------------------------------


def code_span(text: str, *, in_table: bool = False) -> str:
    """``text`` as a code span that parses back to exactly ``text``.

    In a GFM table cell a ``|`` is written ``\\|`` (the cell splitter removes the backslash
    even inside code spans: https://github.github.com/gfm/#example-200).
    """
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (longest_run(text, "`") + 1)
    if fence == "`" and text.startswith(INLINE_PLACEHOLDER_PREFIX):
        fence = "``"  # a single-backtick span with this prefix is a placeholder
    pad = (
        text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip(" ") != "")
    )
    return f"{fence} {text} {fence}" if pad else f"{fence}{text}{fence}"


_ALWAYS = frozenset("\\`*[]|")
_ENTITY_LIKE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_ORDERED_START = re.compile(r"[0-9]{1,9}[.)]")


def _ref(ch: str) -> str:
    return f"&#{ord(ch)};"


def escape(
    text: str,
    *,
    block_start: bool,
    strip_lead: bool,
    strip_trail: bool,
    heading_end: bool,
    tilde_before: bool,
    followed: bool,
) -> str:
    """Escape ``text`` so CommonMark (with GFM tables and strikethrough) reads back exactly
    these characters.

    ``block_start``: the text begins a line (block syntax could trigger);
    ``strip_lead``/``strip_trail``: whitespace at that edge would be stripped or break a
    delimiter's flanking, so it is written as a character reference; ``followed``: more
    inline content comes after ``text``. ``|`` is always escaped (it could make a GFM table
    row of a paragraph line, or split a cell).
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
