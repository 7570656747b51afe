"""Rhythm ↔ reposix field mapping (statuses, the in-review tag, extensions).

Statuses: ``open`` ↔ open, ``in_progress`` ↔ in progress, ``resolved`` ↔ done,
``closed`` ↔ won't fix. Rhythm has no review state, so ``in_review`` is written as
``in_progress`` plus the reserved tag `IN_REVIEW_TAG` (hidden from labels), and read
back the same way: all five reposix statuses round-trip exactly.
"""

from __future__ import annotations

from typing import Any, Final

from reposix import RecordStatus

__all__ = [
    "EXTENSION_DEFAULTS",
    "IN_REVIEW_TAG",
    "status_from_wire",
    "tags_for_write",
    "user_labels",
    "wire_status",
]

IN_REVIEW_TAG: Final = "status:in-review"

_TO_WIRE: Final = {
    RecordStatus.OPEN: "open",
    RecordStatus.IN_PROGRESS: "in_progress",
    RecordStatus.IN_REVIEW: "in_progress",
    RecordStatus.DONE: "resolved",
    RecordStatus.WONT_FIX: "closed",
}
_FROM_WIRE: Final = {
    "open": RecordStatus.OPEN,
    "in_progress": RecordStatus.IN_PROGRESS,
    "resolved": RecordStatus.DONE,
    "closed": RecordStatus.WONT_FIX,
}

EXTENSION_DEFAULTS: Final[dict[str, Any]] = {
    "priority": "normal",
    "issue_type": "task",
    "stage_id": None,
    "sprint_id": None,
}
"""The extensions Rhythm carries and the server's defaults (a default is not shown)."""


def wire_status(status: RecordStatus) -> str:
    """Rhythm's ``status`` for a reposix status."""
    return _TO_WIRE[status]


def status_from_wire(status: str, tags: list[str]) -> RecordStatus:
    """The reposix status for Rhythm's ``status`` and the issue's tag names."""
    base = _FROM_WIRE[status]
    if base is RecordStatus.IN_PROGRESS and IN_REVIEW_TAG in tags:
        return RecordStatus.IN_REVIEW
    return base


def user_labels(tags: list[str]) -> list[str]:
    """Tag names minus the reserved status tag."""
    return [t for t in tags if t != IN_REVIEW_TAG]


def tags_for_write(status: RecordStatus, labels: list[str]) -> list[str]:
    """The issue's tag names for ``status`` and the user's ``labels``."""
    out = list(dict.fromkeys(t for t in labels if t != IN_REVIEW_TAG))
    if status is RecordStatus.IN_REVIEW:
        out.append(IN_REVIEW_TAG)
    return out
