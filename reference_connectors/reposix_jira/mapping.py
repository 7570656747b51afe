"""Jira ↔ reposix record mapping: status (both directions), fields, transitions.

Read: a resolution named like "Won't Do", "Won't Fix", "Duplicate", "Cannot Reproduce"
(…) → ``wont_fix``; otherwise the status category: ``new`` → open, ``indeterminate`` →
``in_review`` if the status name contains "review" else ``in_progress``, ``done`` →
done. Atlassian's own examples use ``in-flight``/``completed`` (and the newer statuses
API ``TODO``/``IN_PROGRESS``/``DONE``): they are read as the same categories.

Write: a status is reached by a workflow transition whose target has the right category
(and, for review and won't-fix, the right kind of name); see `choose_transition`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from reposix import ProtocolError, Record, RecordStatus, adf, parse_id
from reposix_jira.wire import Issue, Named, Status, Transition

__all__ = [
    "WONT_FIX_RESOLUTIONS",
    "category",
    "choose_transition",
    "record_from_issue",
    "status_from_wire",
    "version_of",
    "wont_fix_name",
]

WONT_FIX_RESOLUTIONS = (
    "won't do",
    "wont do",
    "won't fix",
    "wont fix",
    "duplicate",
    "cannot reproduce",
    "can't reproduce",
    "not a bug",
    "rejected",
    "declined",
    "incomplete",
    "obsolete",
    "abandoned",
)
"""Resolution names (lower-case, apostrophes normalized) that read as ``wont_fix``."""

_WONT_NAME_HINTS = ("won't", "wont", "not do", "reject", "declin", "cancel", "duplicate", "abandon")
_CATEGORIES = {
    "new": "new",
    "todo": "new",
    "to-do": "new",
    "undefined": "new",
    "indeterminate": "indeterminate",
    "in-flight": "indeterminate",
    "in_progress": "indeterminate",
    "done": "done",
    "completed": "done",
}


def _norm(text: str) -> str:
    return text.strip().lower().replace("\u2019", "'")


def category(key: str) -> str:
    """The canonical category (new / indeterminate / done) of a ``statusCategory.key``."""
    return _CATEGORIES.get(_norm(key), "new")


def wont_fix_name(name: str) -> bool:
    """Whether a resolution, status or transition name means "closed without doing it"."""
    text = _norm(name)
    return text in WONT_FIX_RESOLUTIONS or any(h in text for h in _WONT_NAME_HINTS)


def status_from_wire(status: Status, resolution: Named | None) -> RecordStatus:
    """The record status of an issue's ``status`` and ``resolution`` (see module docstring)."""
    cat = category(status.statusCategory.key)
    if resolution is not None and wont_fix_name(resolution.name):
        return RecordStatus.WONT_FIX
    if cat == "done":
        return RecordStatus.WONT_FIX if wont_fix_name(status.name) else RecordStatus.DONE
    if cat == "indeterminate":
        if "review" in _norm(status.name):
            return RecordStatus.IN_REVIEW
        return RecordStatus.IN_PROGRESS
    return RecordStatus.OPEN


def _target_status(t: Transition) -> RecordStatus:
    return status_from_wire(Status(name=t.to.name, statusCategory=t.to.statusCategory), None)


def choose_transition(transitions: Sequence[Transition], want: RecordStatus) -> Transition | None:
    """The transition that leads to ``want``: right category, and for review / won't-fix a
    matching name. Transitions whose own name says won't-fix count for ``wont_fix``."""
    usable = [t for t in transitions if t.isAvailable]
    exact = [t for t in usable if _target_status(t) is want]
    if want is RecordStatus.WONT_FIX:
        exact += [
            t
            for t in usable
            if t not in exact
            and category(t.to.statusCategory.key) == "done"
            and wont_fix_name(t.name)
        ]
    if want is RecordStatus.DONE:
        exact = [t for t in exact if not wont_fix_name(t.name)]
    return exact[0] if exact else None


def version_of(updated: datetime) -> int:
    """``Record.version``: ``updated`` in epoch milliseconds (Jira has no issue ETag)."""
    return int(updated.astimezone(UTC).timestamp() * 1000)


def record_from_issue(issue: Issue) -> Record:
    """The reposix record of an IssueBean fetched with `FIELDS`.

    ``ProtocolError`` if a field we rely on is missing or the description is not ADF.
    """
    f = issue.fields
    missing = [name for name in ("status", "created", "updated") if getattr(f, name) is None]
    if missing:
        raise ProtocolError(f"jira issue {issue.key} lacks required field(s): {', '.join(missing)}")
    assert f.status is not None
    assert f.created is not None
    assert f.updated is not None
    if f.summary is None:
        raise ProtocolError(
            f"jira issue {issue.key} has a null summary (every Jira issue has one)",
            hint="request the summary field; a null one means the server answered wrongly",
        )
    what = f"jira issue {issue.key} parent"
    parent_id = parse_id(f.parent.id, what=what) if f.parent is not None else None
    extensions: dict[str, Any] = {
        "key": issue.key,
        "issue_type": f.issuetype.name if f.issuetype else None,
        "priority": f.priority.name if f.priority else None,
        "status_name": f.status.name,
    }
    if f.resolution is not None:
        extensions["resolution"] = f.resolution.name
    try:
        return Record(
            id=issue.id,
            title=f.summary,
            status=status_from_wire(f.status, f.resolution),
            assignee=f.assignee.accountId if f.assignee else None,
            labels=list(f.labels),
            created_at=f.created,
            updated_at=f.updated,
            version=version_of(f.updated),
            body=adf.to_markdown(f.description) if f.description is not None else "",
            parent_id=parent_id,
            extensions={"jira": extensions},
        )
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        raise ProtocolError(f"jira issue {issue.key} does not fit a record: {exc}") from None
