"""Bitbucket issue ``state`` ↔ reposix ``RecordStatus``, both directions, exactly.

The nine states of the swagger's ``issue.state`` enum (https://api.bitbucket.org/swagger.json)
read as follows; writing a status sends the state in the last column unless the record's
``extensions["bitbucket"]["state"]`` names another state of the same status (so ``closed``,
``on hold``, ``duplicate`` and ``invalid`` survive a round trip):

| Bitbucket state | reposix status | written for the status |
|---|---|---|
| ``new`` | ``open`` | yes |
| ``on hold`` | ``open`` | |
| ``open`` | ``in_progress`` | yes |
| ``submitted`` | ``in_review`` | yes |
| ``resolved`` | ``done`` | yes |
| ``closed`` | ``done`` | |
| ``wontfix`` | ``wont_fix`` | yes |
| ``invalid`` | ``wont_fix`` | |
| ``duplicate`` | ``wont_fix`` | |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from reposix import InvalidRecord, RecordStatus

__all__ = [
    "EXTENSION",
    "KINDS",
    "PRIORITIES",
    "STATE_FOR",
    "STATUS_OF",
    "extension_fields",
    "state_to_write",
]

STATUS_OF: Final[Mapping[str, RecordStatus]] = {
    "new": RecordStatus.OPEN,
    "on hold": RecordStatus.OPEN,
    "open": RecordStatus.IN_PROGRESS,
    "submitted": RecordStatus.IN_REVIEW,
    "resolved": RecordStatus.DONE,
    "closed": RecordStatus.DONE,
    "wontfix": RecordStatus.WONT_FIX,
    "invalid": RecordStatus.WONT_FIX,
    "duplicate": RecordStatus.WONT_FIX,
}
STATE_FOR: Final[Mapping[RecordStatus, str]] = {
    RecordStatus.OPEN: "new",
    RecordStatus.IN_PROGRESS: "open",
    RecordStatus.IN_REVIEW: "submitted",
    RecordStatus.DONE: "resolved",
    RecordStatus.WONT_FIX: "wontfix",
}
KINDS: Final = frozenset({"bug", "enhancement", "proposal", "task"})
PRIORITIES: Final = frozenset({"trivial", "minor", "major", "critical", "blocker"})
EXTENSION: Final = "bitbucket"
"""``Record.extensions["bitbucket"]`` = ``{"kind": …, "priority": …, "state": …}``."""


def extension_fields(extensions: Mapping[str, Any]) -> dict[str, str]:
    """The Bitbucket fields a record's ``extensions`` set, validated before any I/O.

    Only ``extensions["bitbucket"]`` with ``kind``, ``priority`` and ``state`` is understood;
    any other key or value is an ``InvalidRecord`` (it would otherwise be silently lost).
    """
    unknown = set(extensions) - {EXTENSION}
    raw = extensions.get(EXTENSION, {})
    if unknown or not isinstance(raw, Mapping):
        raise InvalidRecord(
            f"bitbucket records carry only extensions['bitbucket'], got keys {sorted(extensions)}",
            hint="put kind, priority and state under extensions['bitbucket']; drop the rest",
        )
    allowed = {"kind": KINDS, "priority": PRIORITIES, "state": frozenset(STATUS_OF)}
    out: dict[str, str] = {}
    for key, value in raw.items():
        if key not in allowed or value not in allowed[key]:
            choices = sorted(allowed.get(key, allowed))
            raise InvalidRecord(
                f"extensions['bitbucket'][{key!r}] = {value!r} is not a bitbucket value",
                hint=f"use one of {choices}",
            )
        out[key] = str(value)
    return out


def state_to_write(status: RecordStatus, wanted: str | None, current: str | None) -> str:
    """The state that reads back as ``status``: ``wanted`` (the record's extension) if it
    is a state of that status, else the issue's ``current`` state if it already is one,
    else the status's own state from the table."""
    for candidate in (wanted, current):
        if candidate is not None and STATUS_OF.get(candidate) is status:
            return candidate
    return STATE_FOR[status]
