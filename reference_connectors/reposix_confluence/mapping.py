"""Confluence page ↔ reposix record: status, labels, parent, body, extensions.

Status (both directions):

* a page carrying exactly the reposix status label below reads as that status
  (``reposix-status-in-progress`` → ``in_progress``, ``…-in-review`` → ``in_review``,
  ``…-done`` → ``done``, ``…-wont-fix`` → ``wont_fix``; several: the last in that order);
* otherwise page status ``archived`` → ``done``; ``current`` and ``draft`` → ``open``.

Writing a status sets or removes those labels (mutually exclusive); the page itself stays
``current``. Confluence v2 cannot archive a page (``PUT /pages/{id}`` accepts only
``current``/``draft``; archiving is v1's asynchronous, plan-restricted bulk long task,
with no REST unarchive), so reposix never archives: ``done`` written by reposix is a label.
The ``reposix-status-*`` labels belong to this mapping: they never appear in
``Record.labels``, and a user label in that namespace is refused.

Labels: only ``global`` labels are reposix labels (``my``/``team``/``system`` ones are
neither shown nor touched). Confluence stores label names lowercase (``stored_labels``)
and refuses whitespace and ``: ; , . ? & [ ] ( ) # ^ * @ !`` (``LABEL_PATTERN``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

from pydantic import JsonValue

from reposix import InvalidRecord, ProtocolError, Record, RecordStatus, adf, parse_id
from reposix_confluence.wire import CfLabel, CfPage

__all__ = [
    "GLOBAL_PREFIX",
    "LABEL_PATTERN",
    "STATUS_LABELS",
    "STATUS_LABEL_PREFIX",
    "body_markdown",
    "check_user_labels",
    "extensions_for",
    "label_changes",
    "parent_for",
    "record_from_page",
    "status_from_wire",
    "status_label",
    "stored_labels",
    "user_labels",
    "wire_labels",
]

GLOBAL_PREFIX: Final = "global"
STATUS_LABEL_PREFIX: Final = "reposix-status-"
STATUS_LABELS: Final[dict[RecordStatus, str]] = {
    RecordStatus.IN_PROGRESS: "reposix-status-in-progress",
    RecordStatus.IN_REVIEW: "reposix-status-in-review",
    RecordStatus.DONE: "reposix-status-done",
    RecordStatus.WONT_FIX: "reposix-status-wont-fix",
}
"""The label that carries each non-open status, in precedence order (last wins)."""
_BY_LABEL: Final = {label: status for status, label in STATUS_LABELS.items()}
FORBIDDEN_LABEL_CHARS: Final = ":;,.?&[]()#^*@!"
"""Characters Confluence refuses in a label name (besides whitespace)."""
LABEL_PATTERN: Final = re.compile(r"(?i)(?!reposix-status-)[^\s:;,.?&\[\]()#^*@!]{1,255}")
"""A user label this connector writes: 1-255 characters, no whitespace or forbidden
character, not in the ``reposix-status-`` namespace (``check_user_labels`` enforces it)."""


def wire_labels(labels: Iterable[CfLabel]) -> list[str]:
    """Names of the ``global`` labels (a label without a prefix counts as global), in order."""
    out: list[str] = []
    for label in labels:
        if (label.prefix or GLOBAL_PREFIX) == GLOBAL_PREFIX and label.name not in out:
            out.append(label.name)
    return out


def is_status_label(name: str) -> bool:
    """Whether ``name`` is in the ``reposix-status-`` namespace this mapping owns."""
    return name.lower().startswith(STATUS_LABEL_PREFIX)


def user_labels(names: Iterable[str]) -> list[str]:
    """The labels shown in ``Record.labels``: every global label outside the status namespace."""
    return [n for n in names if not is_status_label(n)]


def status_from_wire(page_status: str, names: Iterable[str]) -> RecordStatus:
    """The record status of a page, from its v2 ``status`` and its global label names."""
    found = {_BY_LABEL[n.lower()] for n in names if n.lower() in _BY_LABEL}
    for status in reversed(list(STATUS_LABELS)):
        if status in found:
            return status
    return RecordStatus.DONE if page_status == "archived" else RecordStatus.OPEN


def status_label(status: RecordStatus) -> str | None:
    """The label that carries ``status`` on a ``current`` page (None for ``open``)."""
    return STATUS_LABELS.get(status)


def stored_labels(names: Iterable[str]) -> list[str]:
    """Label names as Confluence keeps them: lowercased, each once (first occurrence wins)."""
    return list(dict.fromkeys(name.lower() for name in names))


def check_user_labels(labels: Sequence[str]) -> None:
    """Refuse labels Confluence cannot store or that collide with the status namespace
    (before any request: a create would otherwise leave a page without its labels)."""
    for name in labels:
        if not name or any(c.isspace() for c in name):
            raise InvalidRecord(
                f"confluence labels cannot be empty or contain whitespace: {name!r}",
                hint="use one word per label, e.g. 'needs-review'",
            )
        bad = "".join(sorted({c for c in name if c in FORBIDDEN_LABEL_CHARS}))
        if bad:
            raise InvalidRecord(
                f"confluence labels cannot contain {' '.join(bad)}: {name!r}",
                hint="use letters, digits, '-' and '_', e.g. 'kind-test' for 'kind:test'",
            )
        if len(name) > 255:
            raise InvalidRecord(f"confluence labels are at most 255 characters: {name[:40]!r}…")
        if is_status_label(name):
            raise InvalidRecord(
                f"label {name!r} is in the reposix-status- namespace the status mapping owns",
                hint="set Record.status instead of adding reposix-status-* labels",
            )


def label_changes(
    have: Sequence[str], status: RecordStatus, wanted_user: Sequence[str]
) -> tuple[list[str], list[str]]:
    """``(to_add, to_remove)`` turning the page's global labels ``have`` into the wanted set.

    Comparison is case-insensitive (Confluence stores labels lowercase), so writing
    ``Bug`` over ``bug`` changes nothing.
    """
    wanted = list(wanted_user)
    tag = status_label(status)
    if tag is not None:
        wanted.append(tag)
    have_keys = {n.lower() for n in have}
    want_keys = {n.lower() for n in wanted}
    add: list[str] = []
    for name in wanted:
        if name.lower() not in have_keys and name.lower() not in {a.lower() for a in add}:
            add.append(name)
    remove = [n for n in have if n.lower() not in want_keys]
    return add, remove


def body_markdown(page: CfPage) -> str:
    """The page body as Markdown, from its ``atlas_doc_format`` representation.

    The v2 API carries ADF as a JSON document *inside a string*; a missing body,
    unparsable JSON or a non-document is a ``ProtocolError`` (never an empty body).
    """
    body = page.body.atlas_doc_format if page.body is not None else None
    if body is None or body.value is None:
        raise ProtocolError(
            f"confluence page {page.id} came without its atlas_doc_format body",
            hint="request it with body-format=atlas_doc_format",
        )
    if body.value == "":
        return ""
    try:
        doc: Any = adf.loads(body.value)
    except ValueError as exc:
        raise ProtocolError(f"confluence page {page.id}: body is not ADF JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        raise ProtocolError(f"confluence page {page.id}: body is not an ADF document")
    return adf.to_markdown(doc)


def parent_for(page: CfPage, homepage_id: str | None) -> int | None:
    """``Record.parent_id``: the parent page's id, or None.

    None when the page has no parent, when the parent is the space homepage (Confluence
    files every top-level page under it), or when the parent is not a page (folder,
    whiteboard, database, embed; kept in ``extensions``).
    """
    parent = page.parentId
    if not parent or parent == homepage_id:
        return None
    if page.parentType not in (None, "page"):
        return None
    return parse_id(parent, what=f"confluence page {page.id}: parentId")


def extensions_for(page: CfPage, homepage_id: str | None) -> dict[str, JsonValue]:
    """``{"confluence": {...}}``: space id, raw page status, owner and non-page parents.

    No URL field (``_links``, ``webui``) is ever copied here.
    """
    info: dict[str, JsonValue] = {"space_id": page.spaceId, "status": page.status}
    if page.ownerId:
        info["owner_id"] = page.ownerId
    if page.parentId and page.parentId != homepage_id and page.parentType not in (None, "page"):
        info["parent"] = {"id": page.parentId, "type": page.parentType}
    return {"confluence": info}


def record_from_page(page: CfPage, labels: Sequence[str], homepage_id: str | None) -> Record:
    """The reposix record of a page, given its global label names and the space homepage."""
    return Record(
        id=page.id,
        title=page.title,
        status=status_from_wire(page.status, labels),
        assignee=None,
        labels=user_labels(labels),
        created_at=page.createdAt,
        updated_at=page.version.createdAt,
        version=page.version.number,
        body=body_markdown(page),
        parent_id=parent_for(page, homepage_id),
        extensions=extensions_for(page, homepage_id),
    )
