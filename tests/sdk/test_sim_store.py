"""The simulator's store and seed: state rules, SQLite persistence, seed files."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from reposix._backend import DeleteReason
from reposix._clock import VirtualClock
from reposix._errors import ConfigError
from reposix._records import RecordDraft, RecordStatus
from reposix.sim._seed import DEMO_SEED, apply_seed, load_seed_file, parse_seed
from reposix.sim._store import (
    Conflict,
    IdempotencyReuse,
    InvalidChange,
    ProjectExists,
    SimStore,
    UnknownProject,
    UnknownRecord,
    format_ts,
)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def store(clock: VirtualClock) -> SimStore:
    s = SimStore(clock=clock)
    s.add_project("p")
    return s


def test_kit_server_state_surface(store: SimStore, clock: VirtualClock) -> None:
    seeded = store.seed("q", [RecordDraft(title="a"), RecordDraft(title="b")])
    assert store.mutations == 0, "seeding is not a mutation"
    assert [r.id for r in store.list("q")] == [r.id for r in seeded]
    assert store.get("q", seeded[0].id) == seeded[0]
    assert store.get("q", 999) is None
    assert store.get("unknown", seeded[0].id) is None
    # each write advances the virtual clock by the sub-minute tick
    assert seeded[1].created_at - seeded[0].created_at == timedelta(seconds=7)
    assert clock.now() == seeded[1].created_at


def test_timestamps_strictly_increase_without_tick(clock: VirtualClock) -> None:
    store = SimStore(clock=clock, tick=None)
    a, b = store.seed("p", [RecordDraft(title="a"), RecordDraft(title="b")])
    assert b.updated_at - a.updated_at == timedelta(microseconds=1)
    assert clock.monotonic() == 0.0


def test_unknown_project_is_an_error_never_created(store: SimStore) -> None:
    with pytest.raises(UnknownProject, match="'nope' does not exist"):
        store.list("nope")
    with pytest.raises(UnknownProject):
        store.create("nope", RecordDraft(title="x"))
    assert not store.has_project("nope")
    assert store.list("p") == []


def test_project_slugs_are_validated(store: SimStore) -> None:
    for bad in ("", ".", "..", "a/b", "x" * 65, "-x", "a b"):
        with pytest.raises(InvalidChange) as info:
            store.add_project(bad)
        assert info.value.code == "invalid_slug"
    with pytest.raises(ProjectExists):
        store.add_project("p", exist_ok=False)
    store.add_project("p")  # idempotent by default
    assert [p.slug for p in store.projects()] == ["p"]


def test_create_update_versions_and_mutations(store: SimStore) -> None:
    record, replayed = store.create("p", RecordDraft(title="t"))
    assert not replayed
    assert record.version == 1
    assert record.created_at == record.updated_at
    updated = store.update("p", record.id, {"title": "u"}, expected_version=1)
    assert updated.version == 2
    assert updated.updated_at > record.updated_at
    assert store.mutations == 2
    # no effective change: no bump, no mutation
    assert store.update("p", record.id, {}) == updated
    assert store.update("p", record.id, {"title": "u"}) == updated
    assert store.mutations == 2
    with pytest.raises(Conflict) as info:
        store.update("p", record.id, {"title": "v"}, expected_version=1)
    assert (info.value.expected, info.value.actual) == (1, 2)
    assert store.require("p", record.id) == updated


def test_update_refuses_unknown_server_and_invalid_fields(store: SimStore) -> None:
    record, _ = store.create("p", RecordDraft(title="t"))
    cases: dict[str, dict[str, object]] = {
        "server_field": {"version": 9},
        "unknown_field": {"colour": "red"},
        "invalid_field": {"status": "bogus"},
    }
    for code, changes in cases.items():
        with pytest.raises(InvalidChange) as info:
            store.update("p", record.id, changes)
        assert info.value.code == code
    with pytest.raises(InvalidChange, match="title"):
        store.update("p", record.id, {"title": None})
    with pytest.raises(UnknownRecord):
        store.update("p", 999, {"title": "x"})


def test_parent_rules(store: SimStore) -> None:
    a, _ = store.create("p", RecordDraft(title="a"))
    b, _ = store.create("p", RecordDraft(title="b", parent_id=a.id))
    assert b.parent_id == a.id
    with pytest.raises(InvalidChange, match="not a record"):
        store.create("p", RecordDraft(title="c", parent_id=999))
    with pytest.raises(InvalidChange, match="own parent"):
        store.update("p", a.id, {"parent_id": a.id})
    with pytest.raises(InvalidChange, match="cycle"):
        store.update("p", a.id, {"parent_id": b.id})
    assert store.update("p", b.id, {"parent_id": None}).parent_id is None


def test_close_maps_reasons_like_delete_reason(store: SimStore) -> None:
    for reason in DeleteReason:
        record, _ = store.create("p", RecordDraft(title=reason.value))
        closed = store.close_record("p", record.id, reason)
        assert closed.status is reason.closed_status
        assert closed.version == 2
    assert store.close_record("p", record.id, DeleteReason.ABANDONED).version == 2


def test_delete_never_reuses_ids(store: SimStore) -> None:
    a, _ = store.create("p", RecordDraft(title="a"))
    store.delete("p", a.id)
    b, _ = store.create("p", RecordDraft(title="b"))
    assert b.id > a.id
    with pytest.raises(UnknownRecord):
        store.delete("p", a.id)
    with pytest.raises(Conflict):
        store.delete("p", b.id, expected_version=5)


def test_idempotency_keys(store: SimStore) -> None:
    first, replayed = store.create(
        "p", RecordDraft(title="x"), idempotency_key="k", request_fingerprint="f"
    )
    again, replayed = store.create(
        "p", RecordDraft(title="x"), idempotency_key="k", request_fingerprint="f"
    )
    assert replayed
    assert again == first
    assert len(store.list("p")) == 1
    assert store.mutations == 1
    with pytest.raises(IdempotencyReuse):
        store.create("p", RecordDraft(title="y"), idempotency_key="k", request_fingerprint="g")
    store.add_project("other")
    elsewhere, replayed = store.create(
        "other", RecordDraft(title="x"), idempotency_key="k", request_fingerprint="f"
    )
    assert not replayed
    assert elsewhere.id != first.id


def test_since_is_strict_with_microseconds(clock: VirtualClock) -> None:
    store = SimStore(clock=clock, tick=None)
    records = store.seed("p", [RecordDraft(title=str(i)) for i in range(4)])
    pivot = records[1].updated_at
    assert [r.id for r in store.list("p", since=pivot)] == [r.id for r in records[2:]]
    assert [r.id for r in store.list("p", since=pivot - timedelta(microseconds=1))] == [
        r.id for r in records[1:]
    ]
    assert store.count("p", since=pivot) == 2
    assert format_ts(pivot).endswith("Z")
    assert len(format_ts(pivot)) == 27


def test_sqlite_file_persists_across_instances(tmp_path: Path, clock: VirtualClock) -> None:
    db = tmp_path / "state" / "sim.db"
    one = SimStore(db, clock=clock)
    one.add_project("p", "Project P")
    a, _ = one.create("p", RecordDraft(title="a", labels=["x"]), idempotency_key="k")
    b, _ = one.create("p", RecordDraft(title="b"))
    one.update("p", a.id, {"body": "changed"})
    one.delete("p", b.id)
    one.close()

    two = SimStore(db, clock=clock, tick=None)
    assert two.project("p").name == "Project P"
    (only,) = two.list("p")
    assert only.title == "a"
    assert only.body == "changed"
    assert only.version == 2
    c, _ = two.create("p", RecordDraft(title="c"))
    assert c.id > b.id, "AUTOINCREMENT never hands out a deleted id, even after reopening"
    assert c.updated_at > only.updated_at
    replay, replayed = two.create("p", RecordDraft(title="a"), idempotency_key="k")
    assert replayed
    assert replay.id == a.id
    assert two.dump()["projects"][0]["records"][0]["title"] == "a"
    two.close()


# -- seeds ------------------------------------------------------------------------------------


def test_demo_seed_covers_what_the_kit_needs() -> None:
    store = SimStore(clock=VirtualClock())
    assert apply_seed(store) == len(DEMO_SEED["projects"][0]["records"])
    demo = store.list("demo")
    assert 6 <= len(demo) <= 10
    assert {r.status for r in demo} == set(RecordStatus)
    assert any(r.labels for r in demo)
    assert any(r.assignee for r in demo)
    children = [r for r in demo if r.parent_id is not None]
    assert children
    assert all(store.get("demo", c.parent_id) for c in children if c.parent_id)
    assert any(not r.title.isascii() for r in demo)
    assert any(r.body.count("\n") > 2 for r in demo)
    assert store.list("empty") == []


def test_seed_file_round_trip_and_parent_order(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    data = {
        "projects": [
            {
                "slug": "s",
                "records": [
                    {"id": 3, "title": "child", "parent_id": 2},
                    {"id": 2, "title": "parent", "parent_id": 1},
                    {"id": 1, "title": "root"},
                    {"title": "no id"},
                ],
            }
        ]
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    store = SimStore(clock=VirtualClock())
    assert apply_seed(store, load_seed_file(path)) == 4
    by_title = {r.title: r for r in store.list("s")}
    assert by_title["child"].parent_id == 2
    assert by_title["parent"].parent_id == 1
    assert by_title["no id"].id > 3


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{nope", "not JSON"),
        ('{"projects": [{"slug": "s", "records": [{"title": "t", "version": 2}]}]}', "version"),
        ('{"projects": [{"slug": "s", "records": [{"title": "t", "status": "x"}]}]}', "status"),
        ('{"projects": [{"slug": "../x"}]}', "slug"),
        ('{"projects": [{"slug": "s", "records": [{"title": "t", "parent_id": 9}]}]}', "parent"),
    ],
)
def test_bad_seed_files_are_config_errors(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "seed.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        apply_seed(SimStore(), load_seed_file(path))


def test_missing_seed_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read seed file"):
        load_seed_file(tmp_path / "absent.json")
    with pytest.raises(ConfigError, match="at projects"):
        parse_seed({"projects": "no"})
