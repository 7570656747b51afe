"""GitLab issue state + labels ↔ reposix ``RecordStatus``, both directions.

GitLab issues are only ``opened`` or ``closed`` (https://docs.gitlab.com/api/issues/), with
no close reason, so the finer statuses live in labels of the ``status::`` scope (GitLab's
scoped-label syntax, https://docs.gitlab.com/user/project/labels/#scoped-labels; on tiers
without scoped labels they are plain labels with the same names):

| record status | GitLab ``state`` | label |
|---|---|---|
| ``open`` | ``opened`` | none |
| ``in_progress`` | ``opened`` | ``status::in-progress`` |
| ``in_review`` | ``opened`` | ``status::in-review`` |
| ``done`` | ``closed`` | none |
| ``wont_fix`` | ``closed`` | ``status::wont-fix`` |

Reading, ``state`` decides open versus closed first; then ``status::in-review`` wins over
``status::in-progress`` (open) and ``status::wont-fix`` makes a closed issue ``wont_fix``.
The ``status::`` scope belongs to this mapping: its labels never appear in ``Record.labels``,
a user may not set them through ``labels``, and writing a status adds or removes the three
mapped ones. Other ``status::*`` labels already on an issue (``status::blocked``) are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from reposix import InvalidRecord, RecordStatus

__all__ = [
    "IN_PROGRESS_LABEL",
    "IN_REVIEW_LABEL",
    "LABEL_PATTERN",
    "MAPPED_LABELS",
    "STATUS_SCOPE",
    "WONT_FIX_LABEL",
    "LabelChange",
    "check_labels",
    "is_status_label",
    "label_change",
    "mapped_label",
    "status_from_wire",
    "user_labels",
    "wire_state",
]

STATUS_SCOPE: Final = "status::"
IN_PROGRESS_LABEL: Final = "status::in-progress"
IN_REVIEW_LABEL: Final = "status::in-review"
WONT_FIX_LABEL: Final = "status::wont-fix"
MAPPED_LABELS: Final = frozenset({IN_PROGRESS_LABEL, IN_REVIEW_LABEL, WONT_FIX_LABEL})
_LABEL_FOR: Final = {
    RecordStatus.IN_PROGRESS: IN_PROGRESS_LABEL,
    RecordStatus.IN_REVIEW: IN_REVIEW_LABEL,
    RecordStatus.WONT_FIX: WONT_FIX_LABEL,
}

LABEL_PATTERN: Final = re.compile(r"(?!status::)[^,\s](?:[^,]*[^,\s])?")
"""Label names the connector can write: no comma (GitLab's ``labels``, ``add_labels`` and
``remove_labels`` are comma-separated strings, so ``a,b`` would become two labels), no
leading or trailing whitespace (GitLab strips it: the name would not read back), and not
in the ``status::`` scope this mapping owns."""


def is_status_label(name: str) -> bool:
    """Whether ``name`` is in the ``status::`` scope."""
    return name.startswith(STATUS_SCOPE)


def status_from_wire(state: str, labels: Iterable[str]) -> RecordStatus:
    """The record status of an issue from its ``state`` and labels."""
    names = set(labels)
    if state == "closed":
        return RecordStatus.WONT_FIX if WONT_FIX_LABEL in names else RecordStatus.DONE
    if IN_REVIEW_LABEL in names:
        return RecordStatus.IN_REVIEW
    if IN_PROGRESS_LABEL in names:
        return RecordStatus.IN_PROGRESS
    return RecordStatus.OPEN


def user_labels(labels: Iterable[str]) -> list[str]:
    """The labels shown in ``Record.labels``: every label outside the ``status::`` scope."""
    return [name for name in labels if not is_status_label(name)]


def wire_state(status: RecordStatus) -> Literal["opened", "closed"]:
    """The GitLab ``state`` that reads back as ``status``."""
    return "closed" if status in (RecordStatus.DONE, RecordStatus.WONT_FIX) else "opened"


def mapped_label(status: RecordStatus) -> str | None:
    """The ``status::`` label ``status`` needs, if any."""
    return _LABEL_FOR.get(status)


def check_labels(labels: Sequence[str]) -> None:
    """``InvalidRecord`` (before any I/O) for a label the connector cannot write."""
    bad = [name for name in labels if not LABEL_PATTERN.fullmatch(name)]
    if bad:
        raise InvalidRecord(
            f"gitlab cannot take labels {bad!r}",
            hint="GitLab label lists are comma-separated, so a label may not contain ','; "
            "names are stripped of surrounding whitespace; and 'status::' labels are derived "
            "from the record's status (in_progress, in_review, wont_fix)",
        )


@dataclass(frozen=True, slots=True)
class LabelChange:
    """What a write sends: the full label list (create) or ``add``/``remove`` (update)."""

    full: list[str]
    add: list[str]
    remove: list[str]


def label_change(
    status: RecordStatus, labels: Sequence[str], current: Sequence[str] = ()
) -> LabelChange:
    """The labels to write for a record with ``status`` and user ``labels``.

    ``current`` are the issue's labels on the server. ``add``/``remove`` are the
    differences, sent as ``add_labels``/``remove_labels`` so a label someone else added
    meanwhile survives (a full ``labels`` list would drop it). Unmapped ``status::*``
    labels already on the issue are kept.
    """
    check_labels(labels)
    want: list[str] = []
    for name in [*labels, *(n for n in current if is_status_label(n) and n not in MAPPED_LABELS)]:
        if name not in want:
            want.append(name)
    mapped = mapped_label(status)
    if mapped is not None:
        want.append(mapped)
    have = set(current)
    return LabelChange(
        full=want,
        add=[n for n in want if n not in have],
        remove=[n for n in current if n not in set(want)],
    )
