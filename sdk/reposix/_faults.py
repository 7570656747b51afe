"""One fault vocabulary: how a misbehaving tracker misbehaves, for the simulator and the kit.

The simulator's [`Faults`][reposix.sim.Faults] and the conformance kit's ``Knobs``
(re-exported by ``reposix_contract``) both extend `PageFaults`, so a knob means
the same thing on either side, and both serve page plans through `plan_pages`
and `next_index` and change the server between page requests through
`apply_mid_listing`. This module sits below the simulator so that it can import
it without importing the kit.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from reposix._records import Record, RecordDraft, RecordStatus

__all__ = [
    "DECOY_ORIGIN",
    "FOREIGN_ORIGIN",
    "MID_LISTING",
    "PAGE_AND_PAYLOAD",
    "MidListing",
    "MidListingStore",
    "PageFaults",
    "apply_mid_listing",
    "next_index",
    "plan_pages",
]

DECOY_ORIGIN = "https://decoy.reposix.invalid"
"""Where every server URL field (``url``, ``html_url``, ``self``, ``_links``, avatars)
points when decoys are on. A client that requests it follows server data (kit: S03)."""

FOREIGN_ORIGIN = "https://foreign.reposix.invalid"
"""Where a ``foreign_next`` link or cursor URL, or a kit redirect, points: paginators must
refuse to follow it (kit: R08, S02)."""

MidListing = Literal["edit-served", "edit-unserved", "create", "delete-unserved"]
"""A change made to the server right after the first page of a listing is served:

- ``edit-served``: edit the first record that page returned, so it moves to the other
  end of an updated-ascending order (across every page boundary still to come);
- ``edit-unserved``: edit the last record of the listing's order, not yet returned, so it
  moves to the front of an updated-descending order;
- ``create``: create a record;
- ``delete-unserved``: delete the last record of the listing's order, not yet returned.
"""

MID_LISTING: tuple[MidListing, ...] = ("edit-served", "edit-unserved", "create", "delete-unserved")
"""Every [`MidListing`][reposix_contract.MidListing] kind, in the order the kit throws them."""


@dataclass
class PageFaults:
    """The misbehaviours both the simulator and the kit's wire fakes can inject.

    The defaults inject nothing (the kit's ``Knobs`` turns ``decoys`` on by default).
    """

    # -- pagination ------------------------------------------------------------------------
    page_size: int | None = None
    """Force this page size whatever the client asks (None: honour the client)."""
    truncate_at: int | None = None
    """Serve at most this many records of a listing, then stop offering more pages."""
    cycle: Literal["self", "ab"] | None = None
    """The continuation repeats: page 1 → page 1 ("self") or page 1 → 2 → 1 ("ab")."""
    foreign_next: bool = False
    """The first page's next link / cursor URL points at `foreign_origin`."""
    foreign_origin: str = FOREIGN_ORIGIN
    next_on_last_page: bool = False
    """The last page still carries a continuation; following it yields an empty page."""
    empty_middle_page: bool = False
    """An empty page (with a continuation) is served between the first and second pages."""
    short_page: bool = False
    """The first page is one record shorter than the page size though more follow."""
    mid_listing: MidListing | None = None
    """Change the server once, right after the first page of a listing (see
    [`MidListing`][reposix_contract.MidListing]); cleared once applied."""
    # -- payload ---------------------------------------------------------------------------
    decoys: bool = False
    """Server URL fields point at `decoy_origin`."""
    decoy_origin: str = DECOY_ORIGIN
    # -- per request -----------------------------------------------------------------------
    schedule: list[str] = field(default_factory=list)
    """Faults consumed one per request, in order ("429", "500", "503-after", "malformed" …;
    each side lists the entries it understands)."""
    schedule_methods: list[str] | None = None
    """Consume the schedule only on these methods (e.g. ``["POST", "PATCH"]``); None: all.
    The kit matches a GraphQL *query* (a read sent as POST) as ``GET``."""
    latency: float = 0.0
    """Seconds of (virtual in tests) latency before each response."""
    redirect_to: str | None = None
    """Answer the next request with a 302 to this URL (one shot; cleared once used)."""

    def next_scheduled(self, method: str) -> str | None:
        """Pop the schedule entry for a request with ``method`` (None: nothing scheduled)."""
        if not self.schedule:
            return None
        if self.schedule_methods is not None and method.upper() not in {
            m.upper() for m in self.schedule_methods
        }:
            return None
        return self.schedule.pop(0)


PAGE_AND_PAYLOAD: tuple[str, ...] = (
    "page_size",
    "truncate_at",
    "cycle",
    "foreign_next",
    "foreign_origin",
    "next_on_last_page",
    "empty_middle_page",
    "short_page",
    "decoys",
    "decoy_origin",
)
"""The `PageFaults` fields a server applies while building a response (the rest,
per request and mid-listing, the kit applies around a fake)."""


def plan_pages(count: int, size: int, faults: PageFaults) -> list[tuple[int, int]]:
    """The server's page plan: ``(start, end)`` slices of a listing, misbehaviours included.

    ``truncate_at`` caps the records offered; ``short_page`` makes the first page one
    record short (when more follow); ``empty_middle_page`` inserts an empty page after
    the first (when more follow); ``next_on_last_page`` appends an empty final page.
    An empty listing is one empty page.
    """
    size = max(1, size)
    offered = count if faults.truncate_at is None else min(count, faults.truncate_at)
    pages: list[tuple[int, int]] = []
    start = 0
    while start < offered:
        step = size - 1 if faults.short_page and not pages and size > 1 else size
        end = min(start + step, offered)
        pages.append((start, end))
        if faults.empty_middle_page and len(pages) == 1 and end < offered:
            pages.append((end, end))
        start = end
    if not pages:
        pages.append((0, 0))
    elif faults.next_on_last_page:
        pages.append((offered, offered))
    return pages


def next_index(index: int, plan_len: int, faults: PageFaults) -> int | None:
    """The page the continuation of page ``index`` names, after the ``cycle`` fault
    (None: the plan ends here)."""
    if faults.cycle == "self" and index == 0:
        return 0
    if faults.cycle == "ab" and index == 0:
        return 1
    if faults.cycle == "ab" and index == 1:
        return 0
    if index + 1 < plan_len:
        return index + 1
    return None


class MidListingStore(Protocol):
    """What `apply_mid_listing` needs of a server's store (the kit's ``FakeStore``
    and the simulator's ``SimStore`` both have it)."""

    def list(self, project: str) -> builtins.list[Record]: ...
    def seed(self, project: str, drafts: builtins.list[RecordDraft]) -> builtins.list[Record]: ...
    def update(self, project: str, record_id: int, changes: Any) -> Record: ...
    def delete(self, project: str, record_id: int) -> None: ...


def apply_mid_listing(
    faults: PageFaults,
    store: MidListingStore,
    project: str,
    *,
    served: Sequence[int],
    order: Sequence[int] = (),
) -> tuple[MidListing, int] | None:
    """Apply and clear ``faults.mid_listing`` after a listing page served ids ``served``.

    ``order`` is the listing's whole order of ids when the page was served (empty: id
    order). Returns ``(kind, id changed)`` or None when nothing applied (no fault set, or
    no record to change: the fault stays armed for the next page).
    """
    kind = faults.mid_listing
    if kind is None:
        return None
    listing = list(order) or [r.id for r in store.list(project)]
    seen = set(served)
    unserved = [i for i in listing if i not in seen]
    target: int | None
    if kind == "create":
        (created,) = store.seed(
            project, [RecordDraft(title="created mid-listing", status=RecordStatus.OPEN)]
        )
        target = created.id
    elif kind == "edit-served":
        target = served[0] if served else None
    else:
        target = unserved[-1] if unserved else None
    if target is None:
        return None
    faults.mid_listing = None
    if kind in ("edit-served", "edit-unserved"):
        current = next((r for r in store.list(project) if r.id == target), None)
        if current is None:
            return None
        store.update(project, target, {"title": f"edited mid-listing: {current.title[:60]}"})
    elif kind == "delete-unserved":
        store.delete(project, target)
    return kind, target
