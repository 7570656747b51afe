"""Linear workflow states ↔ reposix statuses, and the choice of a state to write.

Every Linear team has its own workflow states; each has a ``type`` (``triage``,
``backlog``, ``unstarted``, ``started``, ``completed``, ``canceled``, and
``duplicate`` for the state duplicates are moved to) and a ``position`` that orders the
board (https://linear.app/docs/configuring-workflows; the type list is the schema's
``WorkflowState.type`` description, quoted in ``linear-workflow-state.json``).

Read: ``triage``/``backlog``/``unstarted`` → ``open``; ``started`` → ``in_progress``,
or ``in_review`` when the state's name says review (Linear's default "In Review" is a
``started`` state); ``completed`` → ``done``; ``canceled``/``duplicate`` → ``wont_fix``.
An unknown type reads as ``open`` (a state Linear adds later must not lose the record).

Write: a state that already reads as the wanted status is kept (a ``backlog`` issue
stays in Backlog when written back as ``open``); otherwise the team's state of the
wanted type that comes first by ``position`` (see `choose_state`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, Protocol, TypeVar

from reposix import DeleteReason, RecordStatus

__all__ = ["StateLike", "choose_state", "close_types", "status_of"]

_REVIEW = re.compile(r"review", re.IGNORECASE)
OPEN_TYPES: Final = ("unstarted", "backlog", "triage")
"""Where an ``open`` record goes, in order of preference."""


class StateLike(Protocol):
    """What the choice needs of a workflow state (the wire model, or a test's tuple)."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def position(self) -> float: ...


S = TypeVar("S", bound=StateLike)


def status_of(state_type: str, name: str) -> RecordStatus:
    """The record status a workflow state reads as."""
    kind = state_type.lower()
    if kind == "started":
        return RecordStatus.IN_REVIEW if _REVIEW.search(name) else RecordStatus.IN_PROGRESS
    if kind == "completed":
        return RecordStatus.DONE
    if kind in ("canceled", "duplicate"):
        return RecordStatus.WONT_FIX
    return RecordStatus.OPEN


def _first(states: Sequence[S], kinds: Sequence[str], review: bool | None) -> S | None:
    for kind in kinds:
        fitting = [
            s
            for s in states
            if s.type.lower() == kind and (review is None or bool(_REVIEW.search(s.name)) is review)
        ]
        if fitting:
            return min(fitting, key=lambda s: s.position)
    return None


def choose_state(states: Sequence[S], status: RecordStatus, current: S | None = None) -> S | None:
    """The state to write for ``status``: ``current`` if it already reads so, else the
    team's first state (by ``position``) of the type the status maps to. None when the
    team has none (``in_review`` on a team without a review state)."""
    if current is not None and status_of(current.type, current.name) is status:
        return current
    if status is RecordStatus.OPEN:
        return _first(states, OPEN_TYPES, None)
    if status is RecordStatus.IN_PROGRESS:
        return _first(states, ("started",), False)
    if status is RecordStatus.IN_REVIEW:
        return _first(states, ("started",), True)
    if status is RecordStatus.DONE:
        return _first(states, ("completed",), None)
    return _first(states, ("canceled", "duplicate"), None)


def close_types(reason: DeleteReason) -> tuple[str, ...]:
    """State types that close an issue for ``reason``, in order of preference.

    ``COMPLETED`` → ``completed``; ``DUPLICATE`` → the team's ``duplicate`` state when it
    has one, else ``canceled``; ``NOT_PLANNED``/``ABANDONED`` → ``canceled``.
    """
    if reason is DeleteReason.COMPLETED:
        return ("completed",)
    if reason is DeleteReason.DUPLICATE:
        return ("duplicate", "canceled")
    return ("canceled",)


def close_state(states: Sequence[S], reason: DeleteReason) -> S | None:
    """The team's first state (by position) of the first fitting type of `close_types`."""
    return _first(states, close_types(reason), None)
