"""The reposix conformance kit: ``pytest --reposix-contract``.

What a third-party connector needs to build a wire fake and run the kit is importable
from here, and only from here (the modules behind it are private). Names load lazily,
so the pytest plugin entry point stays cheap. ``_EXPORTS`` is the one table of the
public surface; ``__all__`` is derived from it and a test checks the ``TYPE_CHECKING``
imports agree with it.

A connector registers with the kit through its ``reposix.connectors`` entry point: a
``reposix.ConnectorPlugin`` whose ``fake`` names the wire fake (``"pkg.fake:MyFake"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reposix._lazy import lazy_exports

if TYPE_CHECKING:
    from reposix._faults import DECOY_ORIGIN as DECOY_ORIGIN
    from reposix._faults import FOREIGN_ORIGIN as FOREIGN_ORIGIN
    from reposix._faults import MID_LISTING as MID_LISTING
    from reposix._faults import MidListing as MidListing
    from reposix._faults import PageFaults as PageFaults
    from reposix._search import text_matches as text_matches
    from reposix._search import text_rank as text_rank
    from reposix_contract._fakes.auth import basic as basic
    from reposix_contract._fakes.auth import bearer as bearer
    from reposix_contract._fakes.auth import check_auth as check_auth
    from reposix_contract._fakes.base import FakeConflict as FakeConflict
    from reposix_contract._fakes.base import FakeProjects as FakeProjects
    from reposix_contract._fakes.base import FakeStore as FakeStore
    from reposix_contract._fakes.base import Knobs as Knobs
    from reposix_contract._fakes.base import Served as Served
    from reposix_contract._fakes.base import WireFake as WireFake
    from reposix_contract._fakes.graphql import GraphQLEndpoint as GraphQLEndpoint
    from reposix_contract._fakes.graphql import GraphQLReply as GraphQLReply
    from reposix_contract._fakes.graphql import entity_not_found as entity_not_found
    from reposix_contract._fakes.graphql import graphql_failure as graphql_failure
    from reposix_contract._fakes.graphql import invalid_input as invalid_input
    from reposix_contract._fakes.graphql import relay_connection as relay_connection
    from reposix_contract._fakes.mount import mount_prefix as mount_prefix
    from reposix_contract._fakes.mount import unmount as unmount
    from reposix_contract._fakes.pagination import BadCursor as BadCursor
    from reposix_contract._fakes.pagination import cursor_page as cursor_page
    from reposix_contract._fakes.pagination import graphql_page as graphql_page
    from reposix_contract._fakes.pagination import link_page as link_page
    from reposix_contract._fakes.pagination import offset_page as offset_page
    from reposix_contract._fakes.pagination import plan_pages as plan_pages
    from reposix_contract._fakes.pagination import token_page as token_page
    from reposix_contract._fakes.wire import BadRequest as BadRequest
    from reposix_contract._fakes.wire import Routes as Routes
    from reposix_contract._fakes.wire import decoy as decoy
    from reposix_contract._fakes.wire import iso_ms as iso_ms
    from reposix_contract._fakes.wire import iso_seconds as iso_seconds
    from reposix_contract._fakes.wire import iso_z as iso_z
    from reposix_contract._fakes.wire import json_response as json_response
    from reposix_contract._fakes.wire import parse_iso as parse_iso
    from reposix_contract._fakes.wire import read_json as read_json
    from reposix_contract._live import LiveSession as LiveSession
    from reposix_contract._live import live_session as live_session
    from reposix_contract._registry import Invariant as Invariant
    from reposix_contract._registry import invariants as invariants
    from reposix_contract._runner import Outcome as Outcome
    from reposix_contract._runner import run_invariant as run_invariant
    from reposix_contract._targets import Target as Target
    from reposix_contract._targets import from_plugin as from_plugin
    from reposix_contract._targets import load_targets as load_targets
    from reposix_contract._targets import sim_control as sim_control

_EXPORTS: dict[str, tuple[str, ...]] = {
    "reposix_contract._fakes.auth": ("basic", "bearer", "check_auth"),
    "reposix._faults": (
        "DECOY_ORIGIN",
        "FOREIGN_ORIGIN",
        "MID_LISTING",
        "MidListing",
        "PageFaults",
    ),
    "reposix_contract._fakes.base": (
        "FakeConflict",
        "FakeProjects",
        "FakeStore",
        "Knobs",
        "Served",
        "WireFake",
    ),
    "reposix_contract._fakes.graphql": (
        "GraphQLEndpoint",
        "GraphQLReply",
        "entity_not_found",
        "graphql_failure",
        "invalid_input",
        "relay_connection",
    ),
    "reposix_contract._fakes.mount": ("mount_prefix", "unmount"),
    "reposix_contract._fakes.pagination": (
        "BadCursor",
        "cursor_page",
        "graphql_page",
        "link_page",
        "offset_page",
        "plan_pages",
        "token_page",
    ),
    "reposix_contract._fakes.wire": (
        "BadRequest",
        "Routes",
        "decoy",
        "iso_ms",
        "iso_seconds",
        "iso_z",
        "json_response",
        "parse_iso",
        "read_json",
    ),
    "reposix._search": ("text_matches", "text_rank"),
    "reposix_contract._live": ("LiveSession", "live_session"),
    "reposix_contract._registry": ("Invariant", "invariants"),
    "reposix_contract._runner": ("Outcome", "run_invariant"),
    "reposix_contract._targets": ("Target", "from_plugin", "load_targets", "sim_control"),
}
"""The public surface: defining module -> the names it exports (the one table)."""

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
