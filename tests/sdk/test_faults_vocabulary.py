"""The shared fault vocabulary: one page plan and one mid-listing change for the simulator
and the kit's fakes."""

from __future__ import annotations

import httpx
import pytest

from reposix._clock import VirtualClock
from reposix._faults import MID_LISTING, MidListing, PageFaults, apply_mid_listing
from reposix._records import RecordDraft
from reposix.sim._app import create_app
from reposix.sim._faults import Faults
from reposix_contract._fakes.base import FakeStore, Knobs


def _store() -> FakeStore:
    store = FakeStore()
    store.seed("p", [RecordDraft(title=f"r{i}") for i in range(5)])
    return store


@pytest.mark.parametrize("kind", MID_LISTING)
def test_each_change_applies_once_and_clears(kind: MidListing) -> None:
    store, knobs = _store(), Knobs(mid_listing=kind)
    before = {r.id: r for r in store.list("p")}
    changed = apply_mid_listing(knobs, store, "p", served=[1, 2], order=[1, 2, 3, 4, 5])
    assert changed is not None
    assert changed[0] == kind
    assert knobs.mid_listing is None
    after = {r.id: r for r in store.list("p")}
    if kind == "create":
        assert set(after) - set(before) == {changed[1]}
    elif kind == "delete-unserved":
        assert changed[1] == 5
        assert 5 not in after
    else:
        target = 1 if kind == "edit-served" else 5
        assert changed[1] == target
        assert after[target].updated_at > before[target].updated_at
    assert apply_mid_listing(knobs, store, "p", served=[3]) is None


def test_an_edit_of_the_served_page_waits_for_a_page_that_served_something() -> None:
    store, faults = _store(), PageFaults(mid_listing="edit-served")
    assert apply_mid_listing(faults, store, "p", served=[]) is None
    assert faults.mid_listing == "edit-served"


async def test_the_simulator_changes_its_store_after_page_one() -> None:
    app = create_app(clock=VirtualClock(), faults=Faults(page_size=2, mid_listing="create"))
    app.store.add_project("mid")
    ids = [r.id for r in app.store.seed("mid", [RecordDraft(title=f"r{i}") for i in range(4)])]
    transport = httpx.ASGITransport(app=app)

    async def get(url: str) -> httpx.Response:
        response = await transport.handle_async_request(httpx.Request("GET", url))
        await response.aread()
        return response

    first = await get("http://sim.test/projects/mid/records")
    assert [r["id"] for r in first.json()] == ids[:2]
    assert app.faults.mid_listing is None
    assert len(app.store.list("mid")) == 5
    second = await get(first.links["next"]["url"])
    assert [r["id"] for r in second.json()] == ids[2:]  # keyset: the created one comes last


def test_faults_over_http_accept_the_shared_fields() -> None:
    faults = Faults.from_json({"mid_listing": "delete-unserved", "short_page": True})
    assert isinstance(faults, PageFaults)
    assert faults.mid_listing == "delete-unserved"
    with pytest.raises(ValueError, match="mid_listing"):
        Faults.from_json({"mid_listing": "explode"})
