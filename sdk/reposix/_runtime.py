"""What the environment hands a connector: clock, audit sink, allowlist, policies, transport."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reposix._clock import Clock, SystemClock
from reposix._ratelimit.policy import RateLimitPolicy, RetryPolicy

if TYPE_CHECKING:
    # Annotations only: importing reposix._http here would cycle through its client.
    import httpx

    from reposix._audit_event import AuditSink
    from reposix._http.allowlist import Allowlist

__all__ = ["Runtime"]


@dataclass(frozen=True)
class Runtime:
    """Injectable dependencies of every HTTP client a connector builds.

    Production uses the defaults; tests and the conformance kit pass a virtual
    clock, an in-memory audit sink and an in-process transport.
    """

    clock: Clock = field(default_factory=SystemClock)
    audit: AuditSink | None = None
    """None: the default SQLite sink (``$REPOSIX_AUDIT_DB``)."""
    allowlist: Allowlist | None = None
    """None: read ``$REPOSIX_ALLOWED_ORIGINS`` when the client is built."""
    rate_limit: RateLimitPolicy = field(default_factory=RateLimitPolicy)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    transport: httpx.AsyncBaseTransport | None = None
    """None: the network. An ``httpx.ASGITransport`` mounts an app in-process."""
    max_records: int = 10_000
    """Cap on one listing; a longer collection is reported ``is_complete=False``."""
    page_size: int | None = None
    """Page size to ask the server for (None: the connector's default)."""
    page_concurrency: int | None = None
    """Pages fetched at once when a listing's first page reveals the rest (GitHub's
    ``rel="last"``, GitLab's ``X-Total-Pages``, an offset API's total); 1: one by one.
    Set, it is the ceiling and the first round's size. None: up to the connector's
    ceiling (GitHub: 20), else the SDK's ``DEFAULT_PAGE_CONCURRENCY`` (8), as many as the
    first page's network wait calls for (two for a server that answers at once). Every
    request still passes the rate-limit gate."""
