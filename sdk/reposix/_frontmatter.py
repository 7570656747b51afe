"""Records as text: YAML frontmatter between ``---`` fences, then the body."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from reposix._errors import InvalidRecord
from reposix._records import Record, invalid_record

__all__ = ["parse", "render"]

_FENCE = "---"
# YAML folds these when they appear raw in a plain or single-quoted scalar (NEL, LS, PS,
# CR, BOM); double quotes make PyYAML escape them so the value survives a round trip.
_FRAGILE = frozenset("\x85\u2028\u2029\r\ufeff")


class _Dumper(yaml.SafeDumper):
    """SafeDumper that double-quotes strings YAML would otherwise mangle."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(ch in _FRAGILE or not ch.isprintable() for ch in value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)


def render(record: Record) -> str:
    """The record as a frontmatter document; ``parse(render(r)) == r``."""
    meta = record.model_dump(mode="json", exclude={"body"})
    text = yaml.dump(meta, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)
    return f"{_FENCE}\n{text}{_FENCE}\n{record.body}"


def parse(text: str) -> Record:
    """Parse a frontmatter document back into a [`Record`][reposix.Record]."""
    if not text.startswith(_FENCE + "\n"):
        raise InvalidRecord(
            "missing opening '---' fence on the first line",
            hint="start the file with a line containing only ---",
        )
    rest = text[len(_FENCE) + 1 :]
    # The header is our own YAML dump: no line in it is exactly '---', so the first such
    # line closes it and everything after belongs to the body, verbatim.
    if rest.startswith(_FENCE + "\n"):
        header, body = "", rest[len(_FENCE) + 1 :]
    else:
        head, sep, body = rest.partition("\n" + _FENCE + "\n")
        if not sep:
            if rest.endswith("\n" + _FENCE):
                head, body = rest[: -len(_FENCE) - 1], ""
            else:
                raise InvalidRecord(
                    "missing closing '---' fence after the frontmatter",
                    hint="end the frontmatter with a line containing only ---",
                )
        header = head
    try:
        meta: Any = yaml.safe_load(header) if header.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise InvalidRecord(f"frontmatter is not valid YAML{where}") from None
    if not isinstance(meta, dict):
        raise InvalidRecord("frontmatter must be a YAML mapping of field: value")
    try:
        return Record.model_validate({**meta, "body": body})
    except ValidationError as exc:
        raise invalid_record(exc, "frontmatter fields are wrong") from None
