"""``Secret``: a credential that refuses to be printed, formatted or interpolated."""

from __future__ import annotations

from typing import NoReturn, final

__all__ = ["Secret"]


@final
class Secret:
    """A credential value. ``str()``, ``format()`` and f-strings refuse it; repr is redacted.

    Only the SDK's auth hooks call :meth:`reveal`, at the moment a request is signed.
    """

    __slots__ = ("__value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self.__value = value

    def reveal(self) -> str:
        """The raw value. Call it only where the credential goes onto the wire."""
        return self.__value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> NoReturn:
        raise TypeError("a Secret cannot be turned into a str; pass it to an auth hook instead")

    def __format__(self, spec: str) -> NoReturn:
        raise TypeError("a Secret cannot be formatted; pass it to an auth hook instead")

    def __bool__(self) -> bool:
        return bool(self.__value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.__value == self.__value

    def __hash__(self) -> int:
        return hash(("Secret", self.__value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")
