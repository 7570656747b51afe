"""Atlassian Document Format (ADF) ↔ Markdown, shared by the Jira and Confluence connectors.

Public API (stable)::

    to_markdown(doc: Mapping) -> str        # ADF doc from the server -> Markdown body
    from_markdown(text: str) -> dict        # Markdown body -> ADF doc to send
    canonicalize(text: str) -> str          # what a reader sees once text is stored
    has_placeholder(text: str) -> bool      # does the body carry unsupported-node placeholders?
    find_placeholders(text: str) -> list[dict]   # the original ADF nodes they carry
    loads(text: str) -> Any                 # json.loads that cannot hit the recursion limit
    Placeholder                             # the marker scheme, see below
    MAX_DEPTH                               # deepest node nesting accepted either way
    RAW_LANGUAGE                            # code-block language of the verbatim fallback
    VERBATIM                                # what ADF cannot express (stored verbatim)

Modules: `_reader` (ADF → Markdown), `_writer` (Markdown → ADF, walking
markdown-it-py's token stream), `_escape` (limits, placeholders, link safety, text
escaping shared by both).

Writing: any CommonMark
-----------------------
`from_markdown` parses CommonMark (https://spec.commonmark.org/0.31.2/) with the GFM
table and strikethrough extensions and converts every construct ADF can express
(https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/): ATX and
setext headings, paragraphs (every line break is an ADF ``hardBreak``), bullet lists
(``-``, ``*``, ``+``) and ordered lists (``1.``, ``1)``, any start) nested any way ADF
allows, block quotes, fenced code (language from the info string) and indented code,
thematic breaks, GFM tables, images (a paragraph holding only an image is a
``mediaSingle`` with external ``media``; an image among text becomes its alt text linked
to the image), emphasis, strong, strikethrough, code spans, links and autolinks. CRLF and
CR line endings read as LF; trailing newlines and blank lines are insignificant.

Links and images keep only safe destinations: ``http``, ``https``, ``mailto`` and
relative URLs (`safe_href`); any other scheme (``javascript:``, ``data:``…)
leaves the Markdown as plain text.

A top-level block holding a construct ADF cannot express (`VERBATIM`: raw HTML,
headings/quotes/rules/tables inside list items or quotes, a list item led by a nested
list, code spans inside emphasis, images inside links, an empty quote) is stored verbatim
as a code block whose language is `RAW_LANGUAGE`; the rest of the body stays
structured. A body that is only whitespace or link reference definitions, or whose
verbatim blocks would not read back apart, is stored whole that way.

Reading: canonical Markdown
---------------------------
`to_markdown` writes:

* blocks separated by exactly one blank line; no leading or trailing blank line and no
  trailing newline;
* ATX headings; fenced code with backticks (longer fences when the code holds backtick
  runs) and the language as info string; ``---`` for a rule; ``![alt](url)`` for an image;
  GFM tables with a ``| --- |`` delimiter row;
* bullet items ``- item``, ordered items ``1. item`` from the list's start; items separated
  by a newline, blocks inside an item by a blank line except that a nested list directly
  follows its item's paragraph; a list right after a sibling list of the same kind
  switches marker (``-``/``*``, ``.``/``)``) so the two stay two lists;
* ``> `` before every line of a block quote;
* a hardBreak as a plain newline (a second consecutive one as ``\\`` + newline);
* ``**strong**``, ``*em*``, ``~~strike~~``, `` `code` ``, ``[text](href "title")``;
* text escaped minimally so it reads naturally and parses back to the same characters
  (`escape`);
* a top-level `RAW_LANGUAGE` code block as the Markdown it holds.

Round trips. For every ADF document ``d`` that `from_markdown` returns,
``from_markdown(to_markdown(d)) == d`` (exact; checked on every write, so a body whose
verbatim blocks would merge is stored whole instead). Hence ``canonicalize`` is
idempotent: ``Markdown → ADF → Markdown`` yields a normalized form that a second pass
leaves unchanged. ADF from elsewhere (Jira's editor) converts exactly back too when it
is in the canonical shape; these differences are normalized away: ``localId`` attributes,
default attribute values (``table`` ``isNumberColumnEnabled: false``/``layout: default``,
cell ``colspan``/``rowspan`` 1, ``mediaSingle`` ``layout: center``), empty paragraphs,
hard breaks at the edges of a paragraph or inside a heading, adjacent text nodes with equal
marks (merged) and mark order. A document stored by older versions as one
`RAW_LANGUAGE` block reads as its Markdown and is stored structured on the next
write.

Normalized (not preserved) by the writer: setext headings become ATX, indented code
becomes fenced, list markers and numbering style, emphasis delimiters (``_``/``__``),
escapes and entities, link reference definitions (inlined), table column alignment and
image titles (no ADF attribute), the same mark nested in itself.

Unsupported nodes: placeholders
-------------------------------
Nodes outside the subset (panels, mentions, emoji, uploaded media, status, dates, text with
colour/underline marks, links with unsafe schemes, tables GFM cannot write, nodes with
extra attributes…) are never dropped. They become a visible `Placeholder` carrying
the original node as JSON: a fenced code block with info string ``reposix-adf`` (block
level) or a code span ``reposix-adf:{…}`` (inline). `from_markdown` turns an intact
placeholder back into exactly the original node. A damaged placeholder is refused with
[`InvalidRecord`][reposix.InvalidRecord]; so is one inside a block that would be stored
verbatim (it would turn into literal JSON). ``from_markdown(..., placeholders=False)``
refuses every placeholder.

Depth: nesting deeper than `MAX_DEPTH` raises [`ProtocolError`][reposix.ProtocolError]
from `to_markdown` (server data) and [`InvalidRecord`][reposix.InvalidRecord] from
`from_markdown` (user data), checked before any recursion; `loads` refuses
JSON text nested deeper than `MAX_JSON_DEPTH` with ``ValueError`` (the standard
decoder would raise ``RecursionError``).
"""

from __future__ import annotations

from reposix._formats.adf._escape import (
    BLOCK_PLACEHOLDER_INFO,
    INLINE_PLACEHOLDER_PREFIX,
    MAX_DEPTH,
    MAX_JSON_DEPTH,
    RAW_LANGUAGE,
    SAFE_SCHEMES,
    Placeholder,
    loads,
    safe_href,
)
from reposix._formats.adf._reader import to_markdown
from reposix._formats.adf._writer import (
    VERBATIM,
    canonicalize,
    find_placeholders,
    from_markdown,
    has_placeholder,
)

__all__ = [
    "BLOCK_PLACEHOLDER_INFO",
    "INLINE_PLACEHOLDER_PREFIX",
    "MAX_DEPTH",
    "MAX_JSON_DEPTH",
    "RAW_LANGUAGE",
    "SAFE_SCHEMES",
    "VERBATIM",
    "Placeholder",
    "canonicalize",
    "find_placeholders",
    "from_markdown",
    "has_placeholder",
    "loads",
    "safe_href",
    "to_markdown",
]
