"""reposix: write issue-tracker connectors once, prove them with a conformance kit.

The public API is re-exported here and imported lazily, so ``import reposix``
stays cheap (the HTTP stack, pydantic models and the simulator load on first use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reposix._version import __version__

if TYPE_CHECKING:
    from reposix.audit import AuditEvent, AuditSink, MemoryAuditSink, SqliteAuditSink
    from reposix.backend import (
        BackendConnector,
        BackendFeature,
        Capabilities,
        CommentSupport,
        DeleteReason,
        Listing,
        VersioningModel,
    )
    from reposix.clock import Clock, SystemClock, VirtualClock
    from reposix.connector_base import HttpConnector
    from reposix.credentials import Credentials, from_env
    from reposix.errors import (
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
    from reposix.frontmatter import parse, render
    from reposix.http import ClientOpts, HttpClient, client
    from reposix.plugin import ConnectorPlugin, load_plugins
    from reposix.records import Record, RecordDraft, RecordId, RecordStatus
    from reposix.runtime import Runtime
    from reposix.secret import Secret
    from reposix.taint import ServerMetadata, Tainted, Untainted, sanitize, sanitize_for_create

_EXPORTS: dict[str, str] = {
    "AuditEvent": "reposix.audit",
    "AuditSink": "reposix.audit",
    "MemoryAuditSink": "reposix.audit",
    "SqliteAuditSink": "reposix.audit",
    "BackendConnector": "reposix.backend",
    "BackendFeature": "reposix.backend",
    "Capabilities": "reposix.backend",
    "CommentSupport": "reposix.backend",
    "DeleteReason": "reposix.backend",
    "Listing": "reposix.backend",
    "VersioningModel": "reposix.backend",
    "Clock": "reposix.clock",
    "SystemClock": "reposix.clock",
    "VirtualClock": "reposix.clock",
    "HttpConnector": "reposix.connector_base",
    "Credentials": "reposix.credentials",
    "from_env": "reposix.credentials",
    "AuthError": "reposix.errors",
    "ConfigError": "reposix.errors",
    "EgressDenied": "reposix.errors",
    "InvalidRecord": "reposix.errors",
    "MissingCredentials": "reposix.errors",
    "NotFound": "reposix.errors",
    "NotSupported": "reposix.errors",
    "ProtocolError": "reposix.errors",
    "RateLimited": "reposix.errors",
    "ReposixError": "reposix.errors",
    "TransportError": "reposix.errors",
    "VersionMismatch": "reposix.errors",
    "parse": "reposix.frontmatter",
    "render": "reposix.frontmatter",
    "ClientOpts": "reposix.http",
    "HttpClient": "reposix.http",
    "client": "reposix.http",
    "ConnectorPlugin": "reposix.plugin",
    "load_plugins": "reposix.plugin",
    "Record": "reposix.records",
    "RecordDraft": "reposix.records",
    "RecordId": "reposix.records",
    "RecordStatus": "reposix.records",
    "Runtime": "reposix.runtime",
    "Secret": "reposix.secret",
    "ServerMetadata": "reposix.taint",
    "Tainted": "reposix.taint",
    "Untainted": "reposix.taint",
    "sanitize": "reposix.taint",
    "sanitize_for_create": "reposix.taint",
}

__all__ = [
    "AuditEvent",
    "AuditSink",
    "AuthError",
    "BackendConnector",
    "BackendFeature",
    "Capabilities",
    "ClientOpts",
    "Clock",
    "CommentSupport",
    "ConfigError",
    "ConnectorPlugin",
    "Credentials",
    "DeleteReason",
    "EgressDenied",
    "HttpClient",
    "HttpConnector",
    "InvalidRecord",
    "Listing",
    "MemoryAuditSink",
    "MissingCredentials",
    "NotFound",
    "NotSupported",
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
    "from_env",
    "load_plugins",
    "parse",
    "render",
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
