"""GitHub issue state ↔ reposix ``RecordStatus``, both directions (ADR-001).

Reading a closed issue goes by ``state_reason``, every value GitHub documents
(https://docs.github.com/en/rest/issues/issues#update-an-issue: ``completed``,
``not_planned``, ``duplicate``, ``reopened``, or null): ``not_planned`` and
``duplicate`` → ``wont_fix``; ``completed``, null (closed before reasons existed:
GitHub's default reason is ``completed``) and ``reopened`` (only ever on open
issues; GitHub's default) → ``done``. A value GitHub adds later parses as
`UNRECOGNIZED` and reads as ``wont_fix`` (closed, but not claimed
complete), with a warning naming it. ``open`` with label ``status/in-review`` →
``in_review`` (checked first), ``status/in-progress`` → ``in_progress``, else ``open``.

Writing: ``done`` closes as ``completed`` and ``wont_fix`` as ``not_planned``;
closing with a ``DeleteReason`` sends its own value (``DUPLICATE`` → ``duplicate``),
and an issue already closed with a reason of the same status is never reopened to
rewrite it, so ``duplicate`` round-trips exactly.

``status/*`` labels belong to this mapping: they never appear in
``Record.labels``, a user may not set them through ``labels``, and writing a
status adds or removes the two mapped ones mutually exclusively. Other
``status/*`` labels already on an issue (``status/blocked`` …) are kept as they
are. GitHub compares label names case-insensitively, and so does this module.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from reposix import DeleteReason, InvalidRecord, RecordStatus

__all__ = [
    "IN_PROGRESS_LABEL",
    "IN_REVIEW_LABEL",
    "LABEL_PATTERN",
    "STATUS_LABEL_PREFIX",
    "StateReason",
    "WireState",
    "assignees_for_write",
    "close_reason",
    "closed_status",
    "is_status_label",
    "labels_for_write",
    "read_labels",
    "status_from_wire",
    "user_labels",
    "wire_state",
]

STATUS_LABEL_PREFIX: Final = "status/"
IN_PROGRESS_LABEL: Final = "status/in-progress"
IN_REVIEW_LABEL: Final = "status/in-review"
_LABEL_FOR: Final = {
    RecordStatus.IN_PROGRESS: IN_PROGRESS_LABEL,
    RecordStatus.IN_REVIEW: IN_REVIEW_LABEL,
}
_MAPPED: Final = frozenset({IN_PROGRESS_LABEL, IN_REVIEW_LABEL})
LABEL_PATTERN: Final = re.compile(r"(?!(?i:status/)).+", re.DOTALL)
"""User label names the connector writes: any name outside the ``status/`` namespace
(case-insensitive, as GitHub compares label names), which the status mapping owns; a
write with one is refused with ``InvalidRecord`` (``labels_for_write``)."""

log = logging.getLogger("reposix.github")


class StateReason(StrEnum):
    """GitHub's ``state_reason`` values, plus the fallback for ones it adds later.

    Source: https://docs.github.com/en/rest/issues/issues#update-an-issue (``state_reason``:
    ``completed``, ``not_planned``, ``duplicate``, ``reopened``, null).
    """

    COMPLETED = "completed"
    NOT_PLANNED = "not_planned"
    DUPLICATE = "duplicate"
    REOPENED = "reopened"
    UNRECOGNIZED = "unrecognized"
    """Not a wire value: any reason this version of the connector does not know."""

    @classmethod
    def parse(cls, raw: str | None) -> StateReason | None:
        """The reason for a wire value (None for null); unknown values → ``UNRECOGNIZED``."""
        if raw is None:
            return None
        try:
            reason = cls(raw)
        except ValueError:
            return cls.UNRECOGNIZED
        return cls.UNRECOGNIZED if reason is cls.UNRECOGNIZED else reason


_CLOSED_STATUS: Final = {
    None: RecordStatus.DONE,
    StateReason.COMPLETED: RecordStatus.DONE,
    StateReason.REOPENED: RecordStatus.DONE,
    StateReason.NOT_PLANNED: RecordStatus.WONT_FIX,
    StateReason.DUPLICATE: RecordStatus.WONT_FIX,
    StateReason.UNRECOGNIZED: RecordStatus.WONT_FIX,
}
"""The status of a closed issue, by reason: every documented value, and the fallback."""

CloseReason = Literal["completed", "not_planned", "duplicate"]
_CLOSE_FOR: Final[dict[DeleteReason, CloseReason]] = {
    DeleteReason.COMPLETED: "completed",
    DeleteReason.NOT_PLANNED: "not_planned",
    DeleteReason.DUPLICATE: "duplicate",
    DeleteReason.ABANDONED: "not_planned",
}


def is_status_label(name: str) -> bool:
    """Whether ``name`` is in the ``status/`` namespace the mapping owns."""
    return name.lower().startswith(STATUS_LABEL_PREFIX)


def status_from_wire(state: str, state_reason: str | None, labels: Iterable[str]) -> RecordStatus:
    """The record status of an issue, from its ``state``, ``state_reason`` and labels."""
    if state == "closed":
        return closed_status(state_reason)
    names = {name.lower() for name in labels}
    if IN_REVIEW_LABEL in names:
        return RecordStatus.IN_REVIEW
    if IN_PROGRESS_LABEL in names:
        return RecordStatus.IN_PROGRESS
    return RecordStatus.OPEN


def closed_status(state_reason: str | None) -> RecordStatus:
    """The status of a closed issue with ``state_reason`` (see the module docstring)."""
    reason = StateReason.parse(state_reason)
    if reason is StateReason.UNRECOGNIZED:
        shown = "".join(c for c in str(state_reason)[:40] if c.isprintable())
        log.warning(
            "github: unknown state_reason %r on a closed issue; reading it as wont_fix", shown
        )
    return _CLOSED_STATUS[reason]


def user_labels(labels: Iterable[str]) -> list[str]:
    """The labels shown in ``Record.labels``: every label outside ``status/``, in order."""
    return [name for name in labels if not is_status_label(name)]


def read_labels(
    state: str, state_reason: str | None, labels: list[str]
) -> tuple[RecordStatus, list[str]]:
    """``(status_from_wire(...), user_labels(labels))`` in one look at the labels.

    Most issues carry no ``status/`` label: then the user labels are ``labels`` itself
    (the caller's fresh list, not copied) and an open issue is ``open``.
    """
    for name in labels:
        if is_status_label(name):
            return status_from_wire(state, state_reason, labels), user_labels(labels)
    status = closed_status(state_reason) if state == "closed" else RecordStatus.OPEN
    return status, labels


@dataclass(frozen=True, slots=True)
class WireState:
    """What a status means on the wire: ``state`` and, when closed, ``state_reason``."""

    state: Literal["open", "closed"]
    state_reason: CloseReason | None

    @property
    def closed(self) -> bool:
        """Whether the issue is closed in this state."""
        return self.state == "closed"


def wire_state(status: RecordStatus) -> WireState:
    """The GitHub ``state``/``state_reason`` that reads back as ``status``."""
    if status is RecordStatus.DONE:
        return WireState("closed", "completed")
    if status is RecordStatus.WONT_FIX:
        return WireState("closed", "not_planned")
    return WireState("open", None)


def close_reason(reason: DeleteReason) -> CloseReason:
    """``state_reason`` for closing with ``reason`` (reads back as ``reason.closed_status``).

    ``DUPLICATE`` closes as GitHub's own ``duplicate``; ``ABANDONED``, which GitHub has
    no word for, as ``not_planned``.
    """
    return _CLOSE_FOR[reason]


def labels_for_write(
    status: RecordStatus, labels: Sequence[str], current: Sequence[str] = ()
) -> list[str]:
    """The full label set to send for a record with ``status`` and user ``labels``.

    ``current`` are the issue's labels on the server: its unmapped ``status/*``
    labels are kept. Duplicates (case-insensitive, as GitHub stores them) are
    dropped, first spelling wins. A user label in the ``status/`` namespace is an
    ``InvalidRecord``: the status field owns it.
    """
    owned = [name for name in labels if is_status_label(name)]
    if owned:
        raise InvalidRecord(
            f"labels {owned!r} are in the status/ namespace, which the github connector "
            "derives from the record's status",
            hint="remove them from labels and set the record's status instead "
            "(in_progress → status/in-progress, in_review → status/in-review)",
        )
    out: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)

    for name in labels:
        add(name)
    for name in current:
        if is_status_label(name) and name.lower() not in _MAPPED:
            add(name)
    mapped = _LABEL_FOR.get(status)
    if mapped is not None:
        add(mapped)
    return out


def assignees_for_write(assignee: str | None, current: Sequence[str] = ()) -> list[str] | None:
    """The ``assignees`` to send, or None to leave them untouched.

    reposix models one assignee; GitHub allows up to ten. When the record's
    assignee is already the issue's first assignee nothing is sent, so editing a
    title never unassigns co-assignees. Otherwise the list is replaced by the one
    login (``[]`` for None), so the issue reads back exactly as written.
    """
    if current and assignee is not None and current[0].lower() == assignee.lower():
        return None
    if not current and assignee is None:
        return None
    return [] if assignee is None else [assignee]
