"""Differential invariant D01: the target behaves like the simulator under the same operations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from hypothesis import strategies as st

from reposix._audit_event import MemoryAuditSink
from reposix._backend import BackendConnector, DeleteModel, DeleteReason
from reposix._clock import VirtualClock
from reposix._http.allowlist import Allowlist
from reposix._records import Record, RecordDraft, RecordStatus
from reposix._runtime import Runtime
from reposix._taint import Tainted, sanitize_for_create
from reposix_contract._harness import Harness
from reposix_contract._invariants._support import (
    carried_view,
    expected_view,
    fit_labels,
    outcome_of,
    patch_of,
    supported,
)
from reposix_contract._props import for_all
from reposix_contract._registry import invariant

_CONTROL_URL = "http://sim-control.reposix.invalid"
_CONTROL_PROJECT = "d01"

_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).map(str.strip)
_LABELS = ("bug", "docs", "p1", "ünï", "Wip")
"""Labels D01 writes ("Wip": a backend that lowercases must declare it in stored_form)."""
_INDEX = st.integers(0, 31)


def _ops(target: BackendConnector) -> st.SearchStrategy[tuple[Any, ...]]:
    """One generated operation; labels only of names ``target`` accepts."""
    labels = [n for n in _LABELS if target.accepts_label(n)]
    fields = st.fixed_dictionaries(
        {
            "title": _TEXT.filter(bool),
            "body": st.one_of(st.just(""), _TEXT, st.just("---\nkey: value\n---\n# body ✓")),
            "labels": st.lists(st.sampled_from(labels), unique=True, max_size=3)
            if labels
            else st.just([]),
            "assignee": st.one_of(st.none(), st.sampled_from(["agent-alpha", "agent-beta"])),
            "status": st.sampled_from(list(RecordStatus)),
        }
    )
    return st.one_of(
        st.tuples(st.just("create"), fields),
        st.tuples(st.just("update"), _INDEX, fields, st.booleans()),
        st.tuples(st.just("stale"), _INDEX, fields),
        st.tuples(st.just("delete"), _INDEX, st.sampled_from(list(DeleteReason))),
        st.tuples(st.just("changed"), _INDEX),
        st.tuples(st.just("list")),
    )


def _fit_op(target: BackendConnector, op: tuple[Any, ...]) -> tuple[Any, ...]:
    """A scripted operation without labels ``target`` declares it cannot accept."""
    return tuple(fit_labels(target, x) if isinstance(x, dict) else x for x in op)


@asynccontextmanager
async def sim_reference() -> AsyncIterator[tuple[BackendConnector, Any]]:
    """A fault-free simulator and its connector, mounted in-process on a virtual clock."""
    from reposix.sim._app import create_app
    from reposix.sim._backend import SimBackend
    from reposix.sim._store import SimStore

    clock = VirtualClock()
    store = SimStore(clock=clock)
    app = create_app(store, seed=False, clock=clock)
    runtime = Runtime(
        clock=clock,
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(_CONTROL_URL),
        transport=httpx.ASGITransport(app=app),
    )
    backend = SimBackend(_CONTROL_URL, runtime=runtime)
    try:
        yield backend, store
    finally:
        await backend.aclose()
        store.close()


@dataclass
class _Pair:
    control: Record
    target: Record
    closed: bool = False


@dataclass
class _World:
    h: Harness
    control: BackendConnector
    project: str
    pairs: list[_Pair] = field(default_factory=list)
    step: int = 0
    log: list[str] = field(default_factory=list)
    preexisting: set[int] = field(default_factory=set)
    """Target records that were there before the check (ignored)."""

    @property
    def target(self) -> BackendConnector:
        return self.h.connector

    def pick(self, index: int) -> _Pair | None:
        return self.pairs[index % len(self.pairs)] if self.pairs else None


def _kind(result: Any) -> str:
    return type(result).__name__ if isinstance(result, BaseException) else "ok"


async def _apply(world: _World, op: tuple[Any, ...]) -> None:
    """Apply one operation to both sides and insist they agree on its outcome."""
    control, target = world.control, world.target
    a: Any
    b: Any
    world.step += 1
    name = op[0]
    pair = world.pick(op[1]) if name in ("update", "stale", "delete", "changed") else None
    if name != "create" and name != "list" and pair is None:
        return
    strong = supported(target, "strong_versioning")
    if name == "create":
        if not supported(target, "create"):
            return
        draft = sanitize_for_create(Tainted(RecordDraft(**op[1])))
        a = await outcome_of(control.create_record(_CONTROL_PROJECT, draft))
        b = await outcome_of(target.create_record(world.project, draft))
        world.log.append(f"create {op[1]!r}")
        _agree(world, a, b)
        if isinstance(a, Record) and isinstance(b, Record):
            world.pairs.append(_Pair(a, b))
        return
    if name == "list":
        world.log.append("list")
        return
    assert pair is not None
    if name in ("update", "stale"):
        if not supported(target, "update") or (name == "stale" and not strong):
            return
        fields = {**op[2], "title": f"{op[2]['title']} #{world.step}"}
        versioned = name == "stale" or (op[3] and strong)
        lag = 1 if name == "stale" else 0
        cv = pair.control.version - lag if versioned else None
        tv = pair.target.version - lag if versioned else None
        a = await outcome_of(
            control.update_record(
                _CONTROL_PROJECT, pair.control.id, patch_of(pair.control, **fields), cv
            )
        )
        b = await outcome_of(
            target.update_record(world.project, pair.target.id, patch_of(pair.target, **fields), tv)
        )
        world.log.append(
            f"{name} #{world.pairs.index(pair)} {fields!r}" + (" (versioned)" if versioned else "")
        )
        _agree(world, a, b)
        return
    if name == "delete":
        if not supported(target, "delete_or_close") or pair.closed:
            return
        reason: DeleteReason = op[2]
        if target.capabilities.delete is DeleteModel.DELETE:
            a = await outcome_of(control.delete_or_close(_CONTROL_PROJECT, pair.control.id, reason))
        else:
            close: Any = getattr(control, "close_record")  # noqa: B009 - a SimBackend extension
            a = await outcome_of(close(_CONTROL_PROJECT, pair.control.id, reason))
            pair.closed = True
        b = await outcome_of(target.delete_or_close(world.project, pair.target.id, reason))
        world.log.append(f"delete_or_close #{world.pairs.index(pair)} {reason.name}")
        _agree(world, a, b)
        return
    since_a: datetime = pair.control.updated_at
    since_b: datetime = pair.target.updated_at
    ids_a: Any = await outcome_of(control.list_changed_since(_CONTROL_PROJECT, since_a))
    ids_b: Any = await outcome_of(target.list_changed_since(world.project, since_b))
    world.log.append(f"list_changed_since(updated_at of #{world.pairs.index(pair)})")
    _agree(world, ids_a, ids_b)
    if isinstance(ids_a, list) and isinstance(ids_b, list):
        to_target = {p.control.id: p.target.id for p in world.pairs}
        want = sorted(to_target.get(i, -i) for i in ids_a)
        assert want == sorted(ids_b), _failure(
            world,
            f"list_changed_since returned ids {sorted(ids_b)}, the simulator's answer maps to "
            f"{want}",
        )


def _agree(world: _World, a: Any, b: Any) -> None:
    assert _kind(a) == _kind(b), _failure(
        world,
        f"the simulator's outcome was {_kind(a)}, the target's was {_kind(b)}"
        + (f" ({str(b).splitlines()[0]})" if isinstance(b, BaseException) else ""),
    )


def _failure(world: _World, what: str) -> str:
    steps = "\n    ".join(world.log[-12:])
    return (
        f"after step {world.step} the target diverged from the simulator: {what}\n"
        f"  operations (latest last):\n    {steps}"
    )


async def _compare(world: _World) -> None:
    """List both sides, refresh the pairs and insist the normalized views are equal."""
    a = await world.control.list_records(_CONTROL_PROJECT)
    b = await world.target.list_records(world.project)
    by_control = {r.id: r for r in a}
    by_target = {r.id: r for r in b}
    for index, pair in enumerate(world.pairs):
        ca, tb = by_control.get(pair.control.id), by_target.get(pair.target.id)
        if (ca is None) != (tb is None):
            where = "the simulator" if ca is None else "the target"
            raise AssertionError(_failure(world, f"record #{index} is gone from {where} only"))
        if ca is None or tb is None:
            continue
        va, vb = expected_view(world.h, ca), carried_view(world.h, tb)
        diffs = [f"{k}: sim {va[k]!r} vs target {vb.get(k)!r}" for k in va if va[k] != vb.get(k)]
        assert not diffs, _failure(world, f"record #{index} differs: " + "; ".join(diffs))
        pair.control, pair.target = ca, tb
    known = {p.target.id for p in world.pairs}
    extra = sorted(set(by_target) - known - world.preexisting)
    assert not extra, _failure(world, f"the target lists records {extra} the simulator lacks")


@invariant(
    "D01",
    "the same generated sequence of create / update (with and without versions) / "
    "delete_or_close / list / list_changed_since leaves the target and the simulator with "
    "equal normalized views after every step",
)
async def d01_differential(h: Harness) -> None:
    """Each invariant checks one rule; the differential catches what falls between them
    (an update that also clears a label, a close that reopens another record, a change
    feed that forgets deletes) by comparing whole behaviour with the reference."""
    scripts = [[_fit_op(h.connector, op) for op in script] for script in _SCRIPTS]
    ops = st.lists(_ops(h.connector), min_size=1, max_size=7)
    await for_all(h, ops, _run_ops, examples=scripts, max_examples=12)


_SEEDS = [
    RecordDraft(
        title=f"seed {i}",
        labels=["bug"] if i % 2 else [],
        assignee="agent-alpha" if i == 1 else None,
        body=f"seed body {i}",
    )
    for i in range(3)
]

_BASIC = {
    "title": "scripted",
    "body": "b",
    "labels": ["p1", "Wip"],
    "assignee": "agent-beta",
    "status": RecordStatus.IN_PROGRESS,
}
_CLOSE = {**_BASIC, "status": RecordStatus.DONE, "assignee": "agent-alpha"}
_SCRIPTS: list[list[tuple[Any, ...]]] = [
    [
        ("create", _BASIC),
        ("update", 0, _BASIC, True),
        ("changed", 1),
        ("stale", 3, _BASIC),
        ("update", 1, _CLOSE, False),
        ("delete", 2, DeleteReason.NOT_PLANNED),
        ("changed", 0),
        ("list",),
    ],
    [("delete", 0, DeleteReason.DUPLICATE), ("update", 0, _BASIC, True), ("changed", 2)],
]
"""Scripted sequences run before the generated ones: every kind of step, deterministically."""


async def _run_ops(h: Harness, ops: list[tuple[Any, ...]]) -> None:
    project = h.projects.seeded
    h.state.add_project(project)
    async with sim_reference() as (control, store):
        store.add_project(_CONTROL_PROJECT)
        world = _World(h, control, project)
        world.preexisting = {r.id for r in h.state.list(project)}
        for ca, tb in zip(
            store.seed(_CONTROL_PROJECT, _SEEDS), h.state.seed(project, _SEEDS), strict=True
        ):
            world.pairs.append(_Pair(ca, tb))
        await _compare(world)
        for op in ops:
            await _apply(world, op)
            await _compare(world)
