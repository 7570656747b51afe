"""What an invariant gets: a connector wired to a fake server, and the means to inspect both."""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from reposix._audit_event import MemoryAuditSink
from reposix._backend import BackendConnector
from reposix._clock import VirtualClock
from reposix._faults import MidListing, apply_mid_listing
from reposix._records import Record, RecordDraft, RecordStatus
from reposix_contract._fakes.base import FakeProjects, Knobs

if TYPE_CHECKING:
    from reposix_contract._targets import KitFake, Target

__all__ = [
    "SCHEDULE_ENTRIES",
    "Exchange",
    "Harness",
    "KitHarness",
    "MutableServerState",
    "Network",
    "RunawayConnector",
    "ServerState",
    "demo_drafts",
    "open_harness",
]


class ServerState(Protocol):
    """The server side's canonical state, as invariants may read and seed it.

    [`FakeStore`][reposix_contract.FakeStore] implements it; so does the kit's
    adapter over the simulator's own store.
    """

    mutations: int

    def add_project(self, project: str) -> None: ...
    def seed(self, project: str, drafts: list[RecordDraft]) -> list[Record]: ...
    def list(self, project: str) -> list[Record]: ...
    def get(self, project: str, record_id: int) -> Record | None: ...


class Harness(Protocol):
    """One target (the sim control or a connector) mounted on its fake, for one check.

    Every check gets a fresh harness: a new server state, knobs at their defaults,
    empty request and audit logs, and a virtual clock.
    """

    target: str
    """The target's name: ``sim`` or the connector's name."""
    connector: BackendConnector
    state: ServerState
    knobs: Knobs
    projects: FakeProjects
    clock: VirtualClock
    audit: MemoryAuditSink
    base_url: str
    canary: str
    """The secret credential value the connector was built with."""

    @property
    def requests(self) -> Sequence[httpx.Request]:
        """Every request that reached the mocked network, decoys and foreign hosts included."""
        ...

    def build(self, **runtime_overrides: Any) -> BackendConnector:
        """Another connector on the same fake (e.g. ``max_records=3``, a different allowlist)."""
        ...

    def seed_demo(self, count: int = 7) -> list[Record]:
        """Seed ``projects.seeded`` with ``count`` varied records (every status, unicode …),
        only with labels the connector accepts, in its ``stored_form``."""
        ...


class MutableServerState(ServerState, Protocol):
    """A ``ServerState`` that can also change a record behind the connector's back
    (``FakeStore`` and the simulator's store both can)."""

    def update(
        self,
        project: str,
        record_id: int,
        changes: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> Record: ...


# -- the concrete harness --------------------------------------------------------------------

SCHEDULE_ENTRIES: frozenset[str] = frozenset(
    {
        "ok",
        "429",
        "429-date",
        "remaining0",
        "403-ratelimit",
        "500",
        "502",
        "503",
        "504",
        "500-after",
        "503-after",
        "transport",
        "transport-after",
        "malformed",
        "truncated",
        "wrong-types",
        "missing-fields",
        "302",
        "401",
        "403",
    }
)
"""What a ``Knobs.schedule`` entry may say ("429:N" sets the Retry-After seconds; "302"
redirects to the request's own URL, an unexpected redirect; "401" and "403" refuse the
credential with a generic body, no rate-limit headers)."""

RETRY_AFTER = 2
"""Seconds a scheduled 429 asks for unless the entry says ``429:N``."""


class RunawayConnector(BaseException):
    """The connector sent more requests than ``Knobs.max_requests`` in one check.

    A ``BaseException`` so that a connector's ``except Exception`` cannot swallow it.
    """


@dataclass(frozen=True)
class Exchange:
    """One request that reached the mocked network, and what the kit answered."""

    request: httpx.Request
    at: float
    """Virtual monotonic time it arrived."""
    status: int | None
    """None: the kit raised a transport error instead of answering."""
    fault: str
    """The schedule entry applied ("ok" if none), "redirect", or "foreign"."""
    foreign: bool
    """True if it went anywhere but the fake's origin (a decoy, a foreign next link …)."""
    response_bytes: int


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host.lower().rstrip("."), url.port or default)


def _mangle(value: Any, mode: str) -> Any:
    """Break the record objects of a JSON document: wrong value types, or no fields at all."""
    target = _records_in(value)
    if target is None:
        return [] if mode == "wrong-types" and isinstance(value, dict) else {"unexpected": True}
    for obj in target:
        keys = list(obj)
        for key in keys:
            if mode == "missing-fields":
                del obj[key]
            else:
                obj[key] = _wrong(obj[key])
    return value


def _wrong(value: Any) -> Any:
    if isinstance(value, bool):
        return "maybe"
    if isinstance(value, int | float):
        return {"not": "a number"}
    if isinstance(value, str):
        return [value]
    if value is None:
        return {"unexpected": []}
    if isinstance(value, list):
        return "not a list"
    return 12345


def _records_in(value: Any) -> list[dict[str, Any]] | None:
    """The record-like objects of a document: the first list of objects found breadth
    first, or the document itself when it is one object."""
    queue: list[Any] = [value]
    while queue:
        current = queue.pop(0)
        if isinstance(current, list) and current and all(isinstance(x, dict) for x in current):
            return current
        if isinstance(current, dict):
            queue.extend(current.values())
    if isinstance(value, dict):
        return [value]
    return None


def graphql_operation(request: httpx.Request) -> tuple[str, str | None] | None:
    """``(kind, name)`` of the GraphQL operation a POST carries (``{"query": …}`` JSON
    body), or None when the request is not a GraphQL call."""
    if request.method.upper() != "POST" or b'"query"' not in request.content[:65536]:
        return None
    from reposix import operation_of

    try:
        body = json.loads(request.content)
        operation = operation_of(body["query"]) if isinstance(body, dict) else None
    except (ValueError, KeyError, TypeError):
        return None
    return None if operation is None else (operation.kind, operation.name)


def is_write(request: httpx.Request) -> bool:
    """Whether a request may change the server, as far as the wire tells: POST, PUT, PATCH
    and DELETE, except a GraphQL *query* (a read every GraphQL API sends as POST; a
    mutation is a write). The kit's write invariants count and fault only these."""
    if request.method.upper() not in ("POST", "PUT", "PATCH", "DELETE"):
        return False
    operation = graphql_operation(request)
    return operation is None or operation[0] != "query"


class Network:
    """One respx router, patched in for a whole check, routing to the current harness.

    Every request any httpx client sends — the SDK's or a rogue one — reaches it.
    Requests for the fake's origin go to the fake through the transport knobs; any
    other host is recorded and answered 404, so decoy and foreign requests show up
    in `requests`.
    """

    def __init__(self) -> None:
        import respx

        self.router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        self.router.route().mock(side_effect=self._side_effect)
        self.transport = httpx.MockTransport(self._side_effect)
        """What the kit hands connectors as ``Runtime.transport``: the same routing without
        building a real connection pool (respx still catches any client that ignores it)."""
        self.stack: list[KitHarness] = []

    async def _side_effect(self, request: httpx.Request) -> httpx.Response:
        if not self.stack:
            raise RuntimeError("no harness is mounted on the kit's network")
        return await self.stack[-1].serve(request)

    def start(self) -> None:
        """Patch httpx for the duration of the check."""
        self.router.start()

    def stop(self) -> None:
        """Remove the patch."""
        self.router.stop(quiet=True)


class KitHarness:
    """The kit's `Harness`: one target on a fresh fake, for one check.

    Create it with `open_harness`. Per check: a new fake (and server state), a
    [`VirtualClock`][reposix.VirtualClock], a [`MemoryAuditSink`][reposix.MemoryAuditSink], a
    respx router that every httpx client goes through, an allowlist of the fake's
    origin only (also exported as ``REPOSIX_ALLOWED_ORIGINS``), and a canary secret
    as the credential. The connector is built with ``Runtime(clock, audit, allowlist,
    transport)``, the transport routing to the same place as respx.
    """

    def __init__(self, target: Target, network: Network, *, canary_seed: str = "") -> None:
        from reposix_contract._targets import make_fake, secret_vars

        self.target_spec = target
        self.target = target.name
        self.network = network
        self.clock = VirtualClock()
        self.fake: KitFake = make_fake(target, self.clock)
        store_clock = getattr(self.fake.store, "clock", None)
        if isinstance(store_clock, VirtualClock):
            self.clock = store_clock
        self.state: ServerState = self.fake.store
        self.knobs: Knobs = self.fake.knobs
        self.projects: FakeProjects = self.fake.projects
        self.base_url: str = self.fake.base_url
        self.audit = MemoryAuditSink()
        digest = hashlib.sha256(f"{target.name}:{canary_seed}".encode()).hexdigest()[:24]
        self.canary = f"rpxcanary{digest}"
        creds = dict(self.fake.credentials)
        for name in secret_vars(self.fake):
            creds[name] = self.canary
        setter = getattr(self.fake, "set_credentials", None)
        if callable(setter):
            setter(dict(creds))
        else:
            self.fake.credentials = dict(creds)
        self.credential_values: dict[str, str] = creds
        self.exchanges: list[Exchange] = []
        self.mid_listing_changes: list[tuple[MidListing, int]] = []
        """Every mid-listing change applied (``Knobs.mid_listing``): ``(kind, record id)``."""
        self.connectors: list[BackendConnector] = []
        self._home = _origin(httpx.URL(self.base_url))
        self._env_saved: dict[str, str | None] = {}
        self._seq = 0
        self.connector: BackendConnector = None  # type: ignore[assignment]  # set in start()

    # -- Harness protocol ------------------------------------------------------------------

    @property
    def requests(self) -> Sequence[httpx.Request]:
        """Every request that reached the mocked network, decoys and foreign hosts included."""
        return [e.request for e in self.exchanges]

    @property
    def origin(self) -> str:
        """The fake's origin, ``scheme://host[:port]`` — the only allowlisted one."""
        url = httpx.URL(self.base_url)
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.host}{port}"

    def build(self, **runtime_overrides: Any) -> BackendConnector:
        """Another connector on the same fake.

        Keyword arguments override [`Runtime`][reposix.Runtime] fields
        (``max_records=3``, ``page_size=2``, ``allowlist=Allowlist.parse(...)`` or a string);
        ``credentials={"ENV_VAR": "value"}`` overrides credential values. The harness
        closes every connector it built at the end of the check.
        """
        from reposix._credentials import Credentials
        from reposix._http.allowlist import Allowlist
        from reposix._runtime import Runtime
        from reposix._secret import Secret

        overrides = dict(runtime_overrides)
        values = {**self.credential_values, **dict(overrides.pop("credentials", {}) or {})}
        allow = overrides.pop("allowlist", None)
        if isinstance(allow, str):
            allow = Allowlist.parse(allow)
        # Schedules are consumed in request order, so pages go one at a time unless a
        # check asks for more (the streaming invariant compares both ways).
        overrides.setdefault("page_concurrency", 1)
        runtime = Runtime(
            clock=overrides.pop("clock", self.clock),
            audit=overrides.pop("audit", self.audit),
            allowlist=allow if allow is not None else Allowlist.parse(self.origin),
            transport=overrides.pop("transport", self.network.transport),
            **overrides,
        )
        creds = Credentials({k: Secret(v) for k, v in values.items()})
        connector = self.target_spec.make_connector(self.base_url, creds, runtime)
        self.connectors.append(connector)
        return connector

    def seed_demo(self, count: int = 7) -> list[Record]:
        """Seed ``projects.seeded`` with ``count`` varied records (every status, unicode …),
        as the target's server would hold them: labels it does not accept (``label_pattern``)
        left out, then its ``stored_form`` applied."""
        self.state.add_project(self.projects.seeded)
        c = self.connector
        drafts = [
            c.stored_form(d.model_copy(update={"labels": list(filter(c.accepts_label, d.labels))}))
            for d in demo_drafts(count)
        ]
        return self.state.seed(self.projects.seeded, drafts)

    # -- extras ------------------------------------------------------------------------------

    def listing_pages(self) -> int:
        """How many listing pages the fake served so far (from ``knobs.served``)."""
        return len(self.knobs.served)

    def mark(self) -> int:
        """A position in the exchange log, for `since`."""
        return len(self.exchanges)

    def since(self, mark: int) -> list[Exchange]:
        """Exchanges after ``mark``."""
        return self.exchanges[mark:]

    @asynccontextmanager
    async def fork(self) -> AsyncIterator[KitHarness]:
        """A fresh harness on the same target and network, mounted for the block
        (for property checks that need a clean server per example)."""
        self._seq += 1
        child = KitHarness(self.target_spec, self.network, canary_seed=f"fork{self._seq}")
        await child.start()
        try:
            yield child
        finally:
            await child.close()

    # -- lifecycle ---------------------------------------------------------------------------

    def _setenv(self, name: str, value: str) -> None:
        if name not in self._env_saved:
            self._env_saved[name] = os.environ.get(name)
        os.environ[name] = value

    async def start(self) -> None:
        """Mount on the network, export the env, create the projects, build the connector."""
        from reposix._http.allowlist import ALLOWLIST_ENV

        self.network.stack.append(self)
        self._setenv(ALLOWLIST_ENV, self.origin)
        for name, value in self.credential_values.items():
            self._setenv(name, value)
        self.state.add_project(self.projects.seeded)
        self.state.add_project(self.projects.empty)
        self.connector = self.build()

    async def close(self) -> None:
        """Close every connector built, unmount, restore the env."""
        try:
            for connector in self.connectors:
                with suppress(Exception):
                    await connector.aclose()
        finally:
            if self in self.network.stack:
                self.network.stack.remove(self)
            for name, old in self._env_saved.items():
                if old is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = old
            self._env_saved.clear()

    # -- the mocked network ------------------------------------------------------------------

    def _log(
        self, request: httpx.Request, status: int | None, fault: str, size: int, *, at: float
    ) -> None:
        foreign = fault == "foreign"
        self.exchanges.append(Exchange(request, at, status, fault, foreign, size))

    def _next_fault(self, request: httpx.Request) -> str:
        knobs = self.knobs
        if not knobs.schedule:
            return "ok"
        # A GraphQL query is a read sent as POST: it matches the schedule as a GET would.
        method = request.method if is_write(request) or request.method != "POST" else "GET"
        if knobs.schedule_methods is not None and method.upper() not in {
            m.upper() for m in knobs.schedule_methods
        }:
            return "ok"
        return knobs.schedule.pop(0)

    async def serve(self, request: httpx.Request) -> httpx.Response:
        """Answer one request: foreign hosts get 404, the fake's origin gets the knobs + fake."""
        with suppress(httpx.StreamConsumed):
            await request.aread()
        knobs = self.knobs
        if len(self.exchanges) >= knobs.max_requests:
            raise RunawayConnector(
                f"the connector sent more than {knobs.max_requests} requests in one check "
                f"(last: {request.method} {request.url}); it is looping"
            )
        if _origin(request.url) != self._home:
            body = b'{"error": "reposix kit: not the fake\'s origin"}'
            self._log(request, 404, "foreign", len(body), at=self.clock.monotonic())
            return httpx.Response(404, content=body, headers={"Content-Type": "application/json"})
        if knobs.latency:
            self.clock.advance(knobs.latency)
        at = self.clock.monotonic()
        if knobs.redirect_to is not None:
            location, knobs.redirect_to = knobs.redirect_to, None
            self._log(request, 302, "redirect", 0, at=at)
            return httpx.Response(302, headers={"Location": location})
        fault = self._next_fault(request)
        kind, _, arg = fault.partition(":")
        if kind not in SCHEDULE_ENTRIES:
            raise ValueError(
                f"unknown schedule entry {fault!r}; known: {', '.join(sorted(SCHEDULE_ENTRIES))}"
            )
        early = self._early(kind, arg, request.url)
        if early is not None:
            self._log(request, early.status_code, fault, len(early.content), at=at)
            return early
        if kind == "transport":
            self._log(request, None, fault, 0, at=at)
            raise httpx.ConnectError("reposix kit: injected connection failure", request=request)
        served = len(knobs.served)
        response = await self.fake.handle(request)
        content = response.content if response.is_stream_consumed else await response.aread()
        if knobs.mid_listing is not None and len(knobs.served) > served:
            page = knobs.served[-1]
            state: Any = self.state
            changed = apply_mid_listing(
                knobs, state, self.projects.seeded, served=page.ids, order=page.order
            )
            if changed is not None:
                self.mid_listing_changes.append(changed)
        headers = dict(response.headers)
        status = response.status_code
        if kind == "transport-after":
            self._log(request, None, fault, 0, at=at)
            raise httpx.ConnectError("reposix kit: connection lost after commit", request=request)
        if kind.endswith("-after"):
            status = int(kind.removesuffix("-after"))
            content = json.dumps({"error": f"injected HTTP {status} after commit"}).encode()
            headers = {"Content-Type": "application/json"}
        elif kind == "malformed":
            status, content = 200, b'{"reposix": "malformed", "items": [{"id": 1,'
        elif kind == "truncated":
            status, content = 200, content[: len(content) // 2]
        elif kind in ("wrong-types", "missing-fields"):
            try:
                document = json.loads(content)
            except ValueError:
                document = {}
            content = json.dumps(_mangle(document, kind)).encode()
            status = 200
        elif kind == "remaining0":
            # dict(httpx.Headers) has lowercase keys: inject lowercase too, or a fake that
            # already sends x-ratelimit-* would end up with both, read back as "4998, 0".
            limits = self._limit_headers(int(arg) if arg.isdigit() else RETRY_AFTER)
            headers.update({k.lower(): v for k, v in limits.items()})
        headers.pop("content-length", None)
        headers.pop("Content-Length", None)
        self._log(request, status, fault, len(content), at=at)
        return httpx.Response(status, content=content, headers=headers)

    def _limit_headers(self, reset_in: int) -> dict[str, str]:
        reset_at = math.ceil(self.clock.now().timestamp() + reset_in)
        return {
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(reset_at),
        }

    def _early(self, kind: str, arg: str, request_url: httpx.URL) -> httpx.Response | None:
        """Responses sent instead of asking the fake."""
        wait = int(arg) if arg.isdigit() else RETRY_AFTER
        error = {"Content-Type": "application/json"}
        if kind == "429":
            body = json.dumps({"message": "rate limited (injected)"}).encode()
            return httpx.Response(429, content=body, headers={**error, "Retry-After": str(wait)})
        if kind == "429-date":
            when = (self.clock.now() + timedelta(seconds=wait)).replace(microsecond=0)
            if self.clock.now().microsecond:
                when += timedelta(seconds=1)
            date = format_datetime(when.astimezone(UTC), usegmt=True)
            body = json.dumps({"message": "rate limited (injected)"}).encode()
            return httpx.Response(429, content=body, headers={**error, "Retry-After": date})
        if kind == "403-ratelimit":
            body = json.dumps({"message": "API rate limit exceeded (injected)"}).encode()
            return httpx.Response(403, content=body, headers={**error, **self._limit_headers(wait)})
        if kind == "302":
            return httpx.Response(302, headers={"Location": str(request_url)})
        if kind.isdigit():
            body = json.dumps({"message": f"injected HTTP {kind}"}).encode()
            return httpx.Response(int(kind), content=body, headers=error)
        return None


@asynccontextmanager
async def open_harness(
    target: Target, *, network: Network | None = None, canary_seed: str = ""
) -> AsyncIterator[KitHarness]:
    """A started `KitHarness` for ``target``; everything is torn down on exit.

    Without ``network``, a respx router is patched in for the block (and removed after).
    """
    owned = network is None
    net = network or Network()
    if owned:
        net.start()
    try:
        harness = KitHarness(target, net, canary_seed=canary_seed)
        try:
            await harness.start()
            yield harness
        finally:
            await harness.close()
    finally:
        if owned:
            net.stop()


# -- demo data -----------------------------------------------------------------------------

_TITLES = (
    "Crash when saving an empty file",
    "Ünïcödé títle — ñandú 🚀 日本語",
    "Quotes \"double\" and 'single' and `code`",
    "Render --- separators correctly",
    "Tab\tinside the title",
    "Emoji only 🎉🔥",
    "A very long title " + "x" * 180,
)
_BODIES = (
    "",
    "# Steps\n\n1. open the app\n2. press **save**\n\n- [ ] fix it\n- see [docs](https://example.com/docs)\n",
    "---\ntitle: not frontmatter\n---\n\nbody after a fake frontmatter block\n",
    "line one\nline two\n\n```python\nprint('hi')\n```\n",
    "多言語のテキスト。\nΕλληνικά. Русский.\n",
    "> quoted\n\ntrailing newlines\n\n\n",
    "a\n---\nb\n---\n",
)
_LABELS: tuple[list[str], ...] = (
    [],
    ["bug"],
    ["bug", "ui"],
    ["área", "p1"],
    ["kind:test"],
    ["needs-triage", "good-first-issue"],
    ["🚀"],
)
_ASSIGNEES = (None, "alice", "bob", None, "carol-2", "alice", None)


def demo_drafts(count: int) -> list[RecordDraft]:
    """``count`` varied drafts: every status, labels, assignees, unicode, markdown bodies,
    ``---`` lines and an empty body. Deterministic."""
    statuses = list(RecordStatus)
    out = []
    for i in range(count):
        k = i % len(_TITLES)
        title = _TITLES[k] if i < len(_TITLES) else f"{_TITLES[k]} #{i}"
        out.append(
            RecordDraft(
                title=title,
                status=statuses[i % len(statuses)],
                assignee=_ASSIGNEES[i % len(_ASSIGNEES)],
                labels=list(_LABELS[i % len(_LABELS)]),
                body=_BODIES[i % len(_BODIES)],
            )
        )
    return out
