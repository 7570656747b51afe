"""The reposix conformance kit: ``pytest --reposix-contract``.

The names a connector's wire fake needs are re-exported here and imported lazily, so a
fake imports kit names only from ``reposix_contract`` (the public API).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reposix_contract._fakes.auth import basic, bearer, check_auth
    from reposix_contract._fakes.base import (
        DECOY_ORIGIN,
        FOREIGN_ORIGIN,
        FakeConflict,
        FakeProjects,
        FakeStore,
        Knobs,
        Served,
        WireFake,
    )
    from reposix_contract._fakes.pagination import (
        BadCursor,
        cursor_page,
        decode_token,
        encode_token,
        graphql_page,
        link_page,
        offset_page,
        plan_pages,
        token_page,
    )
    from reposix_contract._fakes.wire import (
        Routes,
        decoy,
        iso_ms,
        iso_seconds,
        iso_z,
        json_response,
        parse_iso,
        read_json,
    )

_EXPORTS: dict[str, str] = {
    "basic": "reposix_contract._fakes.auth",
    "bearer": "reposix_contract._fakes.auth",
    "check_auth": "reposix_contract._fakes.auth",
    "DECOY_ORIGIN": "reposix_contract._fakes.base",
    "FOREIGN_ORIGIN": "reposix_contract._fakes.base",
    "FakeConflict": "reposix_contract._fakes.base",
    "FakeProjects": "reposix_contract._fakes.base",
    "FakeStore": "reposix_contract._fakes.base",
    "Knobs": "reposix_contract._fakes.base",
    "Served": "reposix_contract._fakes.base",
    "WireFake": "reposix_contract._fakes.base",
    "BadCursor": "reposix_contract._fakes.pagination",
    "cursor_page": "reposix_contract._fakes.pagination",
    "decode_token": "reposix_contract._fakes.pagination",
    "encode_token": "reposix_contract._fakes.pagination",
    "link_page": "reposix_contract._fakes.pagination",
    "offset_page": "reposix_contract._fakes.pagination",
    "plan_pages": "reposix_contract._fakes.pagination",
    "graphql_page": "reposix_contract._fakes.pagination",
    "token_page": "reposix_contract._fakes.pagination",
    "Routes": "reposix_contract._fakes.wire",
    "decoy": "reposix_contract._fakes.wire",
    "iso_ms": "reposix_contract._fakes.wire",
    "iso_seconds": "reposix_contract._fakes.wire",
    "iso_z": "reposix_contract._fakes.wire",
    "json_response": "reposix_contract._fakes.wire",
    "parse_iso": "reposix_contract._fakes.wire",
    "read_json": "reposix_contract._fakes.wire",
}

__all__ = [
    "DECOY_ORIGIN",
    "FOREIGN_ORIGIN",
    "BadCursor",
    "FakeConflict",
    "FakeProjects",
    "FakeStore",
    "Knobs",
    "Routes",
    "Served",
    "WireFake",
    "basic",
    "bearer",
    "check_auth",
    "cursor_page",
    "decode_token",
    "decoy",
    "encode_token",
    "graphql_page",
    "iso_ms",
    "iso_seconds",
    "iso_z",
    "json_response",
    "link_page",
    "offset_page",
    "parse_iso",
    "plan_pages",
    "read_json",
    "token_page",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'reposix_contract' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
