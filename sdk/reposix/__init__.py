"""reposix: write issue-tracker connectors once, prove them with a conformance kit.

Everything a connector author needs is importable from here, and only from here: the
modules behind it are private (leading underscore). Names load lazily on first use,
so ``import reposix`` stays cheap (the HTTP stack and pydantic models load when a name
that needs them is first touched).

``_EXPORTS`` below is the one table of the public surface; ``__all__`` is derived from
it, and a test checks that the ``TYPE_CHECKING`` imports (for type checkers) list the
same names from the same modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reposix._httpx_cli import defer as _defer_httpx_cli
from reposix._lazy import lazy_exports
from reposix._version import __version__ as __version__

_defer_httpx_cli()  # before anything imports httpx: its CLI is 40 ms nobody here uses

if TYPE_CHECKING:
    from reposix._atlassian import AtlassianSite as AtlassianSite
    from reposix._atlassian import atlassian_minute as atlassian_minute
    from reposix._atlassian import atlassian_zone as atlassian_zone
    from reposix._audit import SqliteAuditSink as SqliteAuditSink
    from reposix._audit_event import AuditEvent as AuditEvent
    from reposix._audit_event import AuditSink as AuditSink
    from reposix._audit_event import MemoryAuditSink as MemoryAuditSink
    from reposix._backend import BackendConnector as BackendConnector
    from reposix._backend import Capabilities as Capabilities
    from reposix._backend import CommentSupport as CommentSupport
    from reposix._backend import DeleteModel as DeleteModel
    from reposix._backend import DeleteReason as DeleteReason
    from reposix._backend import Listing as Listing
    from reposix._backend import ProgressHook as ProgressHook
    from reposix._backend import RecordStream as RecordStream
    from reposix._backend import VersioningModel as VersioningModel
    from reposix._clock import Clock as Clock
    from reposix._clock import SystemClock as SystemClock
    from reposix._clock import VirtualClock as VirtualClock
    from reposix._connector_base import HttpConnector as HttpConnector
    from reposix._credentials import Credentials as Credentials
    from reposix._credentials import from_env as from_env
    from reposix._dispatch import ParsedRemote as ParsedRemote
    from reposix._dispatch import RemoteUrlError as RemoteUrlError
    from reposix._dispatch import instantiate as instantiate
    from reposix._dispatch import parse_remote_url as parse_remote_url
    from reposix._dispatch import resolve as resolve
    from reposix._dispatch import sanitize_project_for_cache as sanitize_project_for_cache
    from reposix._dispatch import spec_to_url as spec_to_url
    from reposix._dispatch import url_to_spec as url_to_spec
    from reposix._errors import AuditError as AuditError
    from reposix._errors import AuditTampered as AuditTampered
    from reposix._errors import AuthError as AuthError
    from reposix._errors import ConfigError as ConfigError
    from reposix._errors import EgressDenied as EgressDenied
    from reposix._errors import InvalidRecord as InvalidRecord
    from reposix._errors import MissingCredentials as MissingCredentials
    from reposix._errors import NotFound as NotFound
    from reposix._errors import NotSupported as NotSupported
    from reposix._errors import ProtocolError as ProtocolError
    from reposix._errors import RateLimited as RateLimited
    from reposix._errors import ReposixError as ReposixError
    from reposix._errors import TransportError as TransportError
    from reposix._errors import VersionMismatch as VersionMismatch
    from reposix._formats import adf as adf
    from reposix._frontmatter import parse as parse
    from reposix._frontmatter import render as render
    from reposix._graphql import GraphQLOperation as GraphQLOperation
    from reposix._graphql import graphql_call as graphql_call
    from reposix._graphql import graphql_error as graphql_error
    from reposix._graphql import operation_of as operation_of
    from reposix._http.allowlist import ALLOWLIST_ENV as ALLOWLIST_ENV
    from reposix._http.allowlist import Allowlist as Allowlist
    from reposix._http.allowlist import Origin as Origin
    from reposix._http.allowlist import origin_of as origin_of
    from reposix._http.auth import BasicAuth as BasicAuth
    from reposix._http.auth import BearerAuth as BearerAuth
    from reposix._http.auth import FileTokenStore as FileTokenStore
    from reposix._http.auth import HeaderAuth as HeaderAuth
    from reposix._http.auth import MemoryTokenStore as MemoryTokenStore
    from reposix._http.auth import RefreshingAuth as RefreshingAuth
    from reposix._http.auth import TokenPair as TokenPair
    from reposix._http.auth import TokenStore as TokenStore
    from reposix._http.client import ClientOpts as ClientOpts
    from reposix._http.client import HttpClient as HttpClient
    from reposix._http.client import client as client
    from reposix._http.decode import decode as decode
    from reposix._http.decode import error_body as error_body
    from reposix._http.decode import excerpt as excerpt
    from reposix._http.decode import protocol_error as protocol_error
    from reposix._http.decode import server_message as server_message
    from reposix._http.decode import server_text as server_text
    from reposix._http.redact import redact_headers as redact_headers
    from reposix._http.redact import redact_text as redact_text
    from reposix._http.redact import redact_url as redact_url
    from reposix._http.status import DEFAULT_STATUSES as DEFAULT_STATUSES
    from reposix._http.status import StatusRule as StatusRule
    from reposix._http.status import StatusTable as StatusTable
    from reposix._http.status import raise_for_status as raise_for_status
    from reposix._pagination.base import KeyFn as KeyFn
    from reposix._pagination.base import Page as Page
    from reposix._pagination.base import PageInfo as PageInfo
    from reposix._pagination.base import PageLimits as PageLimits
    from reposix._pagination.base import Paginator as Paginator
    from reposix._pagination.base import StatusCheck as StatusCheck
    from reposix._pagination.base import Truncation as Truncation
    from reposix._pagination.base import collect as collect
    from reposix._pagination.cursor import paginate_cursor_url as paginate_cursor_url
    from reposix._pagination.cursor import site_resolver as site_resolver
    from reposix._pagination.graphql import paginate_graphql as paginate_graphql
    from reposix._pagination.link import next_link as next_link
    from reposix._pagination.link import paginate_link as paginate_link
    from reposix._pagination.newest import NewestFirst as NewestFirst
    from reposix._pagination.offset import paginate_offset as paginate_offset
    from reposix._pagination.token import paginate_token as paginate_token
    from reposix._plugin import ConnectorPlugin as ConnectorPlugin
    from reposix._plugin import UrlForm as UrlForm
    from reposix._plugin import load_plugins as load_plugins
    from reposix._ratelimit.gate import RateGate as RateGate
    from reposix._ratelimit.policy import RateLimitPolicy as RateLimitPolicy
    from reposix._ratelimit.policy import RetryPolicy as RetryPolicy
    from reposix._ratelimit.signals import RateSignal as RateSignal
    from reposix._ratelimit.signals import parse_signal as parse_signal
    from reposix._records import SERVER_FIELDS as SERVER_FIELDS
    from reposix._records import Record as Record
    from reposix._records import RecordDraft as RecordDraft
    from reposix._records import RecordId as RecordId
    from reposix._records import RecordStatus as RecordStatus
    from reposix._records import UtcDatetime as UtcDatetime
    from reposix._runtime import Runtime as Runtime
    from reposix._secret import Secret as Secret
    from reposix._taint import ServerMetadata as ServerMetadata
    from reposix._taint import Tainted as Tainted
    from reposix._taint import Untainted as Untainted
    from reposix._taint import require_untainted as require_untainted
    from reposix._taint import sanitize as sanitize
    from reposix._taint import sanitize_for_create as sanitize_for_create
    from reposix._wire import MAX_ID as MAX_ID
    from reposix._wire import WireId as WireId
    from reposix._wire import WireIdText as WireIdText
    from reposix._wire import WireModel as WireModel
    from reposix._wire import WireTime as WireTime
    from reposix._wire import parse_id as parse_id
    from reposix._wire import parse_timestamp as parse_timestamp
    from reposix._wire import parse_zone as parse_zone
    from reposix._wire import wire_adapter as wire_adapter

_EXPORTS: dict[str, tuple[str, ...]] = {
    "reposix._atlassian": ("AtlassianSite", "atlassian_minute", "atlassian_zone"),
    "reposix._audit": ("SqliteAuditSink",),
    "reposix._audit_event": ("AuditEvent", "AuditSink", "MemoryAuditSink"),
    "reposix._backend": (
        "BackendConnector",
        "Capabilities",
        "CommentSupport",
        "DeleteModel",
        "DeleteReason",
        "Listing",
        "ProgressHook",
        "RecordStream",
        "VersioningModel",
    ),
    "reposix._clock": ("Clock", "SystemClock", "VirtualClock"),
    "reposix._connector_base": ("HttpConnector",),
    "reposix._credentials": ("Credentials", "from_env"),
    "reposix._dispatch": (
        "ParsedRemote",
        "RemoteUrlError",
        "instantiate",
        "parse_remote_url",
        "resolve",
        "sanitize_project_for_cache",
        "spec_to_url",
        "url_to_spec",
    ),
    "reposix._errors": (
        "AuditError",
        "AuditTampered",
        "AuthError",
        "ConfigError",
        "EgressDenied",
        "InvalidRecord",
        "MissingCredentials",
        "NotFound",
        "NotSupported",
        "ProtocolError",
        "RateLimited",
        "ReposixError",
        "TransportError",
        "VersionMismatch",
    ),
    "reposix._formats": ("adf",),
    "reposix._frontmatter": ("parse", "render"),
    "reposix._graphql": ("GraphQLOperation", "graphql_call", "graphql_error", "operation_of"),
    "reposix._http.allowlist": ("ALLOWLIST_ENV", "Allowlist", "Origin", "origin_of"),
    "reposix._http.auth": (
        "BasicAuth",
        "BearerAuth",
        "FileTokenStore",
        "HeaderAuth",
        "MemoryTokenStore",
        "RefreshingAuth",
        "TokenPair",
        "TokenStore",
    ),
    "reposix._http.client": ("ClientOpts", "HttpClient", "client"),
    "reposix._http.decode": (
        "decode",
        "error_body",
        "excerpt",
        "protocol_error",
        "server_message",
        "server_text",
    ),
    "reposix._http.redact": ("redact_headers", "redact_text", "redact_url"),
    "reposix._http.status": ("DEFAULT_STATUSES", "StatusRule", "StatusTable", "raise_for_status"),
    "reposix._pagination.base": (
        "KeyFn",
        "Page",
        "PageInfo",
        "PageLimits",
        "Paginator",
        "StatusCheck",
        "Truncation",
        "collect",
    ),
    "reposix._pagination.cursor": ("paginate_cursor_url", "site_resolver"),
    "reposix._pagination.graphql": ("paginate_graphql",),
    "reposix._pagination.link": ("next_link", "paginate_link"),
    "reposix._pagination.newest": ("NewestFirst",),
    "reposix._pagination.offset": ("paginate_offset",),
    "reposix._pagination.token": ("paginate_token",),
    "reposix._plugin": ("ConnectorPlugin", "UrlForm", "load_plugins"),
    "reposix._ratelimit.gate": ("RateGate",),
    "reposix._ratelimit.policy": ("RateLimitPolicy", "RetryPolicy"),
    "reposix._ratelimit.signals": ("RateSignal", "parse_signal"),
    "reposix._records": (
        "SERVER_FIELDS",
        "Record",
        "RecordDraft",
        "RecordId",
        "RecordStatus",
        "UtcDatetime",
    ),
    "reposix._runtime": ("Runtime",),
    "reposix._secret": ("Secret",),
    "reposix._taint": (
        "ServerMetadata",
        "Tainted",
        "Untainted",
        "require_untainted",
        "sanitize",
        "sanitize_for_create",
    ),
    "reposix._wire": (
        "MAX_ID",
        "WireId",
        "WireIdText",
        "WireModel",
        "WireTime",
        "parse_id",
        "parse_timestamp",
        "parse_zone",
        "wire_adapter",
    ),
}
"""The public surface: defining module -> the names it exports (the one table)."""

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, eager=("__version__",))
