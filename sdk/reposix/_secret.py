"""``Secret``: a credential that refuses to be printed, formatted, interpolated or pickled."""

from __future__ import annotations

import hmac
from typing import Any, NoReturn, final

__all__ = ["Secret"]

_REFUSAL = "pass it to an auth hook (reposix._http.BearerAuth, BasicAuth, HeaderAuth) instead"


@final
class Secret:
    """A credential value. ``str()``, ``format()``, f-strings, ``%s`` and pickle refuse it.

    ``repr`` shows ``Secret('***')``. Only the SDK's auth hooks call
    `reveal`, at the moment a request is signed, so the raw value never
    reaches a URL, a log line or an error message by accident. Instances are
    immutable and cannot be subclassed.
    """

    __slots__ = ("__value",)
    __value: str

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        object.__setattr__(self, "_Secret__value", value)

    def __init_subclass__(cls, **kwargs: Any) -> NoReturn:
        raise TypeError("Secret cannot be subclassed")

    def reveal(self) -> str:
        """The raw value. Call it only where the credential goes onto the wire."""
        return self.__value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> NoReturn:
        raise TypeError(f"a Secret cannot be turned into a str; {_REFUSAL}")

    def __format__(self, spec: str) -> NoReturn:
        raise TypeError(f"a Secret cannot be formatted or interpolated; {_REFUSAL}")

    def __bool__(self) -> bool:
        return bool(self.__value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        # Constant time: equality must not leak the value through timing.
        return hmac.compare_digest(self.__value.encode(), other.__value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self.__value))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __copy__(self) -> Secret:
        return self  # immutable: a copy may share the value without revealing it

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")
