"""A tolerant reader for the HTTP Structured Field lists the IETF RateLimit fields use.

Hand-written on purpose: the stdlib has no RFC 8941/9651 parser, and the SDK keeps
its runtime dependencies small (a dependency for ~60 lines is not worth it). It
reads only what ``RateLimit`` / ``RateLimit-Policy`` need -- a List (or a
Dictionary) of bare items with parameters -- and skips what it cannot read
instead of raising, because a malformed header must never break a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Member", "parse_members"]

BareItem = str | int | float | bool

_INTEGER = re.compile(r"-?\d{1,15}")
_DECIMAL = re.compile(r"-?\d{1,12}\.\d{1,3}")
_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_MAX_FIELD = 4096


@dataclass(frozen=True, slots=True)
class Member:
    """One list member (``key`` None) or dictionary member, with its parameters."""

    key: str | None
    value: BareItem
    params: dict[str, BareItem] = field(default_factory=dict)


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside double-quoted strings (backslash escapes honoured)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _bare_item(text: str) -> BareItem | None:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    if text in ("?1", "?0"):
        return text == "?1"
    if text and (text[0].isalpha() or text[0] == "*") and '"' not in text:
        return text  # a token
    return None


def parse_members(value: str) -> list[Member]:
    """The members of a list or dictionary field; unreadable members are skipped."""
    if len(value) > _MAX_FIELD:
        return []
    members: list[Member] = []
    for raw in _split(value, ","):
        pieces = _split(raw, ";")
        head = pieces[0].strip()
        key: str | None = None
        name, eq, rest = head.partition("=")
        if eq and _KEY.fullmatch(name.strip()):
            key, head = name.strip(), rest
        item = _bare_item(head)
        if item is None:
            continue
        params: dict[str, BareItem] = {}
        for piece in pieces[1:]:
            pname, peq, pvalue = piece.partition("=")
            pname = pname.strip()
            if not _KEY.fullmatch(pname):
                continue
            if not peq:
                params[pname] = True
                continue
            parsed = _bare_item(pvalue)
            if parsed is not None:
                params[pname] = parsed
        members.append(Member(key, item, params))
    return members
