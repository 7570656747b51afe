"""reposix: write issue-tracker connectors once, prove them with a conformance kit.

The public API is re-exported here and imported lazily, so ``import reposix``
stays cheap (the HTTP stack, pydantic models and the simulator load on first use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reposix._version import __version__

if TYPE_CHECKING:
    from reposix._audit import AuditEvent, AuditSink, MemoryAuditSink, SqliteAuditSink
    from reposix._backend import (
        BackendConnector,
        Capabilities,
        CommentSupport,
        DeleteModel,
        DeleteReason,
        Listing,
        VersioningModel,
    )
    from reposix._clock import Clock, SystemClock, VirtualClock
    from reposix._connector_base import HttpConnector
    from reposix._credentials import Credentials, from_env
    from reposix._errors import (
        AuthError,
        ConfigError,
        EgressDenied,
        InvalidRecord,
        MissingCredentials,
        NotFound,
        NotSupported,
        ProtocolError,
        RateLimited,
        ReposixError,
        TransportError,
        VersionMismatch,
    )
    from reposix._frontmatter import parse, render
    from reposix._http import (
        BasicAuth,
        BearerAuth,
        ClientOpts,
        HeaderAuth,
        HttpClient,
        client,
        decode,
        protocol_error,
    )
    from reposix._pagination import Page, Paginator, paginate_cursor_url, paginate_link
    from reposix._plugin import ConnectorPlugin, load_plugins
    from reposix._records import Record, RecordDraft, RecordId, RecordStatus
    from reposix._runtime import Runtime
    from reposix._secret import Secret
    from reposix._taint import (
        ServerMetadata,
        Tainted,
        Untainted,
        require_untainted,
        sanitize,
        sanitize_for_create,
    )

_EXPORTS: dict[str, str] = {
    "AuditEvent": "reposix._audit",
    "AuditSink": "reposix._audit",
    "MemoryAuditSink": "reposix._audit",
    "SqliteAuditSink": "reposix._audit",
    "BackendConnector": "reposix._backend",
    "Capabilities": "reposix._backend",
    "CommentSupport": "reposix._backend",
    "DeleteModel": "reposix._backend",
    "DeleteReason": "reposix._backend",
    "Listing": "reposix._backend",
    "VersioningModel": "reposix._backend",
    "Clock": "reposix._clock",
    "SystemClock": "reposix._clock",
    "VirtualClock": "reposix._clock",
    "HttpConnector": "reposix._connector_base",
    "Credentials": "reposix._credentials",
    "from_env": "reposix._credentials",
    "AuthError": "reposix._errors",
    "ConfigError": "reposix._errors",
    "EgressDenied": "reposix._errors",
    "InvalidRecord": "reposix._errors",
    "MissingCredentials": "reposix._errors",
    "NotFound": "reposix._errors",
    "NotSupported": "reposix._errors",
    "ProtocolError": "reposix._errors",
    "RateLimited": "reposix._errors",
    "ReposixError": "reposix._errors",
    "TransportError": "reposix._errors",
    "VersionMismatch": "reposix._errors",
    "parse": "reposix._frontmatter",
    "render": "reposix._frontmatter",
    "BasicAuth": "reposix._http",
    "BearerAuth": "reposix._http",
    "ClientOpts": "reposix._http",
    "HeaderAuth": "reposix._http",
    "decode": "reposix._http",
    "protocol_error": "reposix._http",
    "Page": "reposix._pagination",
    "Paginator": "reposix._pagination",
    "paginate_cursor_url": "reposix._pagination",
    "paginate_link": "reposix._pagination",
    "HttpClient": "reposix._http",
    "client": "reposix._http",
    "ConnectorPlugin": "reposix._plugin",
    "load_plugins": "reposix._plugin",
    "Record": "reposix._records",
    "RecordDraft": "reposix._records",
    "RecordId": "reposix._records",
    "RecordStatus": "reposix._records",
    "Runtime": "reposix._runtime",
    "Secret": "reposix._secret",
    "ServerMetadata": "reposix._taint",
    "Tainted": "reposix._taint",
    "Untainted": "reposix._taint",
    "require_untainted": "reposix._taint",
    "sanitize": "reposix._taint",
    "sanitize_for_create": "reposix._taint",
}

__all__ = [
    "AuditEvent",
    "AuditSink",
    "AuthError",
    "BackendConnector",
    "BasicAuth",
    "BearerAuth",
    "Capabilities",
    "ClientOpts",
    "Clock",
    "CommentSupport",
    "ConfigError",
    "ConnectorPlugin",
    "Credentials",
    "DeleteModel",
    "DeleteReason",
    "EgressDenied",
    "HeaderAuth",
    "HttpClient",
    "HttpConnector",
    "InvalidRecord",
    "Listing",
    "MemoryAuditSink",
    "MissingCredentials",
    "NotFound",
    "NotSupported",
    "Page",
    "Paginator",
    "ProtocolError",
    "RateLimited",
    "Record",
    "RecordDraft",
    "RecordId",
    "RecordStatus",
    "ReposixError",
    "Runtime",
    "Secret",
    "ServerMetadata",
    "SqliteAuditSink",
    "SystemClock",
    "Tainted",
    "TransportError",
    "Untainted",
    "VersionMismatch",
    "VersioningModel",
    "VirtualClock",
    "__version__",
    "client",
    "decode",
    "from_env",
    "load_plugins",
    "paginate_cursor_url",
    "paginate_link",
    "parse",
    "protocol_error",
    "render",
    "require_untainted",
    "sanitize",
    "sanitize_for_create",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'reposix' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
