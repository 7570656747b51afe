"""The normalized record vocabulary every connector translates to and from."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
)

from reposix._errors import InvalidRecord

__all__ = [
    "SERVER_FIELDS",
    "Record",
    "RecordDraft",
    "RecordId",
    "RecordStatus",
    "UtcDatetime",
    "invalid_record",
]


def _to_utc(value: datetime) -> datetime:
    # Already UTC (a record built from another record or a converted wire value): no copy.
    if value.tzinfo is UTC:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00: pydantic only reports ValueError
        raise ValueError("the timestamp is out of range once converted to UTC") from None


RecordId = Annotated[int, Field(gt=0, strict=True)]
"""A backend's record identifier: a positive integer."""

UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware timestamp, normalized to UTC. Naive datetimes are rejected."""


class RecordStatus(StrEnum):
    """The closed set of workflow states every backend maps onto."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    DONE = "done"
    WONT_FIX = "wont_fix"


SERVER_FIELDS: frozenset[str] = frozenset({"id", "created_at", "updated_at", "version"})
"""Fields only the server may set; writes never send them."""


class RecordDraft(BaseModel):
    """The user-controlled part of a record: what a create or update may send."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    title: str
    status: RecordStatus = RecordStatus.OPEN
    assignee: str | None = None
    labels: list[str] = Field(default_factory=list)
    body: str = ""
    parent_id: RecordId | None = None
    extensions: dict[str, JsonValue] = Field(default_factory=dict)


class Record(BaseModel):
    """One issue, page or ticket, in the vocabulary shared by every connector."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: RecordId
    title: str
    status: RecordStatus
    assignee: str | None = None
    labels: list[str] = Field(default_factory=list)
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: Annotated[int, Field(ge=0)]
    body: str = ""
    parent_id: RecordId | None = None
    extensions: dict[str, JsonValue] = Field(default_factory=dict)

    def draft(self) -> RecordDraft:
        """The user-controlled fields of this record, without server metadata."""
        return RecordDraft.model_validate(self.model_dump(exclude=set(SERVER_FIELDS)))

    def replace(self, **changes: Any) -> Record:
        """A validated copy with some fields changed (``model_copy`` skips validation).

        Raises [`InvalidRecord`][reposix.InvalidRecord] naming each refused field and
        how to fix it (never the refused value: it may be a secret or tainted text).
        """
        try:
            return Record.model_validate({**self.model_dump(), **changes})
        except ValidationError as exc:
            raise invalid_record(exc, "Record.replace()") from None


_FIELD_HINTS: dict[str, str] = {
    "id": "a positive int",
    "parent_id": "a positive int or None",
    "version": "an int >= 0",
    "title": "a str",
    "body": "a str",
    "assignee": "a str or None",
    "labels": "a list of str",
    "status": "one of " + ", ".join(s.value for s in RecordStatus),
    "created_at": "a timezone-aware datetime (e.g. datetime(..., tzinfo=UTC))",
    "updated_at": "a timezone-aware datetime (e.g. datetime(..., tzinfo=UTC))",
    "extensions": "a dict of JSON values",
}


def invalid_record(exc: ValidationError, what: str) -> InvalidRecord:
    """``exc`` (a refused Record/RecordDraft) as an `InvalidRecord` that names each field.

    The message lists ``field: problem`` for every error pydantic found; the hint says
    what each named field takes, or which fields exist for an unknown one. Neither
    quotes the refused input (pydantic's own text does), so a secret or tainted value
    passed by mistake never reaches a log or a traceback.
    """
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    problems: list[str] = []
    fixes: list[str] = []
    for error in errors:
        loc = ".".join(str(p) for p in error["loc"]) or "<record>"
        field = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "extra_forbidden":
            problems.append(f"{loc}: not a field of the record")
            fix = "use only the fields " + ", ".join(Record.model_fields)
        else:
            problems.append(f"{loc}: {error['msg']}")
            fix = f"{field} takes {_FIELD_HINTS[field]}" if field in _FIELD_HINTS else ""
        if fix and fix not in fixes:
            fixes.append(fix)
    return InvalidRecord(
        f"{what}: {'; '.join(problems) or 'the values do not fit the record schema'}",
        hint="; ".join(fixes) or "pass values of the Record schema's types",
    )
