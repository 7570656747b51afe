"""Reading values a server sent: timestamps, ids and time-zone names, or a typed error.

Every connector reads these three kinds of value, and each has an edge where Python's
own parser raises something other than ``ValueError`` or quietly accepts garbage:

* a timestamp whose UTC conversion leaves ``datetime``'s range
  (``9999-12-31T23:59:59-14:00``) raises ``OverflowError``;
* ``str.isdigit()`` accepts ``²`` and other non-ASCII digits that ``int()`` refuses, and
  ``int()`` refuses strings above Python's 4,300-digit limit with ``ValueError``
  (`int max str digits <https://docs.python.org/3/library/stdtypes.html#int-max-str-digits>`_);
* ``zoneinfo.ZoneInfo`` raises ``IsADirectoryError`` for ``"America"`` and ``OSError``
  for a name longer than the file system allows.

Every connector's wire models share one base, [`WireModel`][reposix.WireModel], and build
their module-level adapters with [`wire_adapter`][reposix.wire_adapter]: both defer
pydantic's schema build to first use, so importing a connector builds no validator.

The functions here raise [`ProtocolError`][reposix.ProtocolError] naming ``what`` (the record or
page) instead; the ``Wire*`` annotated types do the same inside pydantic wire models,
where [`decode`][reposix.decode] turns the failure into a ``ProtocolError`` naming the
field's location.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final, TypeVar, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, TypeAdapter

from reposix._errors import ProtocolError

__all__ = [
    "MAX_ID",
    "WireId",
    "WireIdText",
    "WireModel",
    "WireTime",
    "parse_id",
    "parse_timestamp",
    "parse_zone",
    "wire_adapter",
]

T = TypeVar("T")

MAX_ID: Final = 2**63 - 1
"""The largest id a server may send: a signed 64-bit integer (every tracker's id type)."""
_MAX_TIME_LEN: Final = 64
_MAX_ZONE_LEN: Final = 64
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
"""IANA zone names: ``/``-separated parts of ASCII letters, digits, ``_``, ``+``, ``-``
(https://data.iana.org/time-zones/theory.html#naming)."""


def _show(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _timestamp(value: object) -> datetime:
    """An aware UTC datetime, or ``ValueError`` saying why not (pydantic-friendly)."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_TIME_LEN:
            raise ValueError(f"a timestamp is at most {_MAX_TIME_LEN} characters")
        # Python 3.11+ reads every ISO 8601 form servers send: Z, +00:00, +0000, fractions.
        when = datetime.fromisoformat(text)
        if when.tzinfo is UTC:  # "...Z" (GitHub, GitLab): already UTC, nothing to convert
            return when
    else:
        raise ValueError(f"expected an ISO 8601 timestamp string, got {type(value).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("the timestamp has no UTC offset")
    try:
        return when.astimezone(UTC)
    except OverflowError:
        raise ValueError("the timestamp is out of range once converted to UTC") from None


def parse_timestamp(value: object, *, what: str) -> datetime:
    """``value`` (an ISO 8601 string or an aware datetime) as an aware UTC datetime.

    ``ProtocolError`` naming ``what`` for anything else: naive times, garbage, strings
    over 64 characters, and times whose UTC conversion overflows.
    """
    try:
        return _timestamp(value)
    except (ValueError, OverflowError) as exc:
        raise ProtocolError(f"{what}: unusable timestamp {_show(value)}: {exc}") from None


def _wire_id(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a positive integer id, got a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > len(str(MAX_ID)):
            raise ValueError("expected a positive integer id of ASCII digits")
        number = int(value)
    else:
        raise ValueError(f"expected a positive integer id, got {type(value).__name__}")
    if not 0 < number <= MAX_ID:
        raise ValueError(f"an id must be between 1 and {MAX_ID}")
    return number


def parse_id(value: object, *, what: str) -> int:
    """A server's record id (an int, or a string of ASCII digits) as a positive int.

    ``ProtocolError`` naming ``what`` for anything else: ``"²"``, ``"-1"``, ``"0"``, a
    5,000-digit string, ``True``, or a value above [`MAX_ID`][reposix.MAX_ID].
    """
    try:
        return _wire_id(value)
    except ValueError as exc:
        raise ProtocolError(f"{what}: {_show(value)} is not an id ({exc})") from None


def parse_zone(name: object, *, what: str) -> ZoneInfo | None:
    """The IANA time zone a server names (a user's profile zone), or None.

    None when ``name`` is empty or a well-formed name this machine does not know
    (``"America"`` is a directory of zones, not a zone): callers widen their window
    instead. ``ProtocolError`` naming ``what`` when ``name`` is not a zone name at all
    (not a string, over 64 characters, characters outside the IANA alphabet).
    """
    if name is None or name == "":
        return None
    if not isinstance(name, str) or len(name) > _MAX_ZONE_LEN or not _ZONE_NAME.fullmatch(name):
        raise ProtocolError(
            f"{what}: {_show(name)} is not an IANA time zone name",
            hint="set the user's time zone in their profile (e.g. Europe/Paris)",
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


WireTime = Annotated[
    datetime,
    PlainValidator(_timestamp),
    PlainSerializer(lambda v: v.isoformat(), return_type=str, when_used="json"),
]
"""A server timestamp in a pydantic wire model: ISO 8601 with an offset, normalized to UTC.
Naive, unparsable or overflowing values fail validation (``ProtocolError`` via ``decode``)."""

WireId = Annotated[int, PlainValidator(_wire_id)]
"""A server id in a pydantic wire model: an int or a string of ASCII digits, 1..MAX_ID."""

WireIdText = Annotated[str, PlainValidator(lambda value: str(_wire_id(value)))]
"""A server id kept as its canonical digit string (ids compared as text, e.g. Confluence's
``spaceId`` and ``parentId``); validated like [`WireId`][reposix.WireId]."""


class WireModel(BaseModel):
    """Base of a connector's pydantic wire models (the JSON a vendor sends).

    Tolerant of every field it does not model (``extra="ignore"``: vendors add fields
    often), immutable (``frozen``), and built on first use (``defer_build``): the core
    schema and validator are made when a model first validates, not when the connector
    is imported. A schema mistake therefore surfaces at first use, not at import; the
    connectors' tests build every wire model's schema up front
    (``tests/connectors/test_wire_schemas.py``). Subclasses add to the config
    (``model_config = ConfigDict(populate_by_name=True)``); pydantic merges it with this one.
    Prefer concrete models to a generic ``Nodes[T]``: pydantic builds a deferred generic
    model when it is parametrized, so a ``Nodes[Issue]`` field builds at import.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


@overload
def wire_adapter(tp: type[T]) -> TypeAdapter[T]: ...
@overload
def wire_adapter(tp: Any) -> TypeAdapter[Any]: ...
def wire_adapter(tp: Any) -> TypeAdapter[Any]:
    """A ``TypeAdapter`` for ``tp`` (a model, ``list[Model]`` ...) built on first use.

    pydantic refuses a ``config`` for a model type (the model's own ``defer_build``
    applies), so this passes ``defer_build`` only for other types.
    """
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return TypeAdapter(tp)
    return TypeAdapter(tp, config=ConfigDict(defer_build=True))
