"""Taint types: data from the network or a user is ``Tainted`` until ``sanitize`` vets it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar, final

from reposix._records import Record, RecordDraft, RecordId, UtcDatetime

__all__ = ["ServerMetadata", "Tainted", "Untainted", "sanitize", "sanitize_for_create"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@final
class Tainted(Generic[T_co]):
    """A value that came from the network or from user-authored text; not yet trusted."""

    __slots__ = ("_value",)

    def __init__(self, value: T_co) -> None:
        self._value = value

    @property
    def value(self) -> T_co:
        """The raw, untrusted value (read it, but write only its sanitized form)."""
        return self._value

    def __repr__(self) -> str:
        return f"Tainted({self._value!r})"


class _Seal:
    """Private proof that a value went through [`sanitize`][reposix.sanitize]."""

    __slots__ = ()


_SEAL = _Seal()


@final
class Untainted(Generic[T_co]):
    """A value whose server-controlled fields were replaced by [`sanitize`][reposix.sanitize].

    Write methods accept only this type, so a caller cannot smuggle an ``id``,
    ``version`` or timestamp of its own choosing onto the wire.
    """

    __slots__ = ("_value",)

    def __init__(self, value: T_co, _seal: _Seal) -> None:
        if _seal is not _SEAL:
            raise TypeError("Untainted values are made only by reposix.sanitize()")
        self._value = value

    @property
    def value(self) -> T_co:
        """The vetted value."""
        return self._value

    def __repr__(self) -> str:
        return f"Untainted({self._value!r})"


@dataclass(frozen=True, slots=True)
class ServerMetadata:
    """The server's own values for the fields only the server may set."""

    id: RecordId
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


def sanitize(tainted: Tainted[Record], meta: ServerMetadata) -> Untainted[Record]:
    """Vet a record for an update: server-controlled fields come from ``meta``, not the input."""
    if not isinstance(tainted, Tainted):
        raise TypeError("sanitize() takes a Tainted[Record]")
    record = tainted.value.replace(
        id=meta.id, created_at=meta.created_at, updated_at=meta.updated_at, version=meta.version
    )
    return Untainted(record, _SEAL)


def sanitize_for_create(tainted: Tainted[Record] | Tainted[RecordDraft]) -> Untainted[RecordDraft]:
    """Vet a record for a create: keep only user-controlled fields, no server values at all."""
    if not isinstance(tainted, Tainted):
        raise TypeError("sanitize_for_create() takes a Tainted[Record] or Tainted[RecordDraft]")
    value = tainted.value
    draft = value.draft() if isinstance(value, Record) else RecordDraft.model_validate(value)
    return Untainted(draft, _SEAL)


def require_untainted(value: object, expected: type[T]) -> T:
    """Run-time half of the taint check: unwrap an ``Untainted`` made by sanitize, or refuse."""
    if not isinstance(value, Untainted):
        raise TypeError(
            f"expected Untainted[{expected.__name__}] from reposix.sanitize(), "
            f"got {type(value).__name__}"
        )
    inner = value.value
    if not isinstance(inner, expected):
        raise TypeError(
            f"expected Untainted[{expected.__name__}], got Untainted[{type(inner).__name__}]"
        )
    return inner
