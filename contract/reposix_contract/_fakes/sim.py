"""``SimWireFake``: the simulator's own ASGI app as a wire fake, for the sim control.

The kit mounts it like any connector's fake: its ``store`` is the simulator's
[`SimStore`][reposix.sim.SimStore] (which satisfies the kit's ``ServerState``),
the pagination and payload knobs are copied onto the app's
[`Faults`][reposix.sim.Faults] (the same `PageFaults`
vocabulary) before every request, and the per-request knobs (schedule, latency,
redirects) and mid-listing changes are applied by the kit around ``handle`` as for
every other fake.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from reposix._clock import VirtualClock
from reposix._env import SIM_TOKEN
from reposix._faults import PAGE_AND_PAYLOAD
from reposix_contract._fakes.base import FakeProjects, Knobs, Served

if TYPE_CHECKING:
    from reposix.sim._app import SimApp
    from reposix.sim._store import SimStore

__all__ = ["SIM_BASE_URL", "SimWireFake", "sim_fake"]

SIM_BASE_URL = "http://sim.reposix.test"
"""Where the kit mounts the simulator (never resolved: respx answers in-process)."""
_TOKEN_ENV = SIM_TOKEN.name
_LIST = re.compile(r"^/projects/[^/]+/records/?$")


class SimWireFake:
    """The simulator app behind the kit's knobs (``handle`` calls it through ASGI)."""

    name = "sim"
    secret_vars = (_TOKEN_ENV,)
    """Credential env vars the kit replaces with its canary."""

    def __init__(self, clock: VirtualClock | None = None, *, base_url: str = SIM_BASE_URL):
        from reposix.sim._faults import Faults
        from reposix.sim._store import SimStore

        self.clock = clock or VirtualClock()
        self.base_url = base_url
        self.store: SimStore = SimStore(clock=self.clock)
        self.faults = Faults()
        self.knobs = Knobs()
        self.projects = FakeProjects(seeded="demo", empty="empty", unknown="no-such-project")
        self.credentials: Mapping[str, str] = {_TOKEN_ENV: "sim-token"}
        self._app: SimApp | None = None
        self._app_token: str | None = None

    def __repr__(self) -> str:
        return f"SimWireFake({self.base_url!r})"

    @property
    def app(self) -> SimApp:
        """The simulator app, (re)built when the expected token changes."""
        from reposix.sim._app import SimApp

        token = self.credentials.get(_TOKEN_ENV) or None
        if self._app is None or token != self._app_token:
            self._app = SimApp(self.store, faults=self.faults, clock=self.clock, token=token)
            self._app_token = token
        return self._app

    def _sync_faults(self) -> None:
        """Copy the knobs the app serves (one vocabulary: both are ``PageFaults``)."""
        for name in PAGE_AND_PAYLOAD:
            setattr(self.faults, name, getattr(self.knobs, name))

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve ``request`` with the simulator app, in-process."""
        app = self.app
        self._sync_faults()
        transport = httpx.ASGITransport(app=app)
        response = await transport.handle_async_request(request)
        content = await response.aread()
        if request.method == "GET" and _LIST.match(request.url.path) and response.is_success:
            self._record_page(request, response, content)
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def _record_page(self, request: httpx.Request, response: httpx.Response, body: bytes) -> None:
        try:
            items: Any = json.loads(body)
        except ValueError:
            return
        page = request.url.params.get("page", "1")
        index = int(page) - 1 if page.isdigit() else 0
        has_next = "next" in response.links
        rows = items if isinstance(items, list) else []
        ids = tuple(r["id"] for r in rows if isinstance(r, dict) and isinstance(r.get("id"), int))
        slug = request.url.path.rstrip("/").split("/")[-2]
        order = tuple(r.id for r in self.store.list(slug)) if self.store.has_project(slug) else ()
        self.knobs.served.append(Served("link", index, len(rows), has_next, ids, order))


def sim_fake(clock: VirtualClock | None = None) -> SimWireFake:
    """The wire-fake factory the simulator's plugin names (``fake=…:sim_fake``)."""
    return SimWireFake(clock)
