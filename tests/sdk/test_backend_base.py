"""The BackendConnector base: read-only defaults, capability queries, delete mapping."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from reposix._backend import BackendConnector, DeleteReason, Listing
from reposix._errors import NotSupported
from reposix._records import Record, RecordDraft, RecordStatus
from reposix._taint import ServerMetadata, Tainted, sanitize, sanitize_for_create

T = datetime(2026, 1, 1, tzinfo=UTC)
REC = Record(id=1, title="a", status=RecordStatus.OPEN, created_at=T, updated_at=T, version=1)


class ReadOnly(BackendConnector):
    name = "readonly"

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def list_records_complete(self, project: str) -> Listing:
        self.calls += 1
        return Listing([REC], is_complete=False)

    async def get_record(self, project: str, record_id: int) -> Record:
        self.calls += 1
        return REC


async def test_write_methods_raise_not_supported_without_io() -> None:
    c = ReadOnly()
    with pytest.raises(NotSupported):
        await c.create_record("p", sanitize_for_create(Tainted(REC)))
    with pytest.raises(NotSupported):
        await c.update_record("p", 1, sanitize(Tainted(REC), ServerMetadata(1, T, T, 1)))
    with pytest.raises(NotSupported):
        await c.delete_or_close("p", 1, DeleteReason.COMPLETED)
    assert c.calls == 0


async def test_defaults_and_progress(caplog: pytest.LogCaptureFixture) -> None:
    c = ReadOnly()
    seen: list[int] = []
    c.add_progress_hook(seen.append)
    c.report_progress(3)
    assert seen == [3]
    assert c.root_collection_name == "issues"
    assert await c.list_records("p") == [REC]
    assert "truncated" in caplog.text
    assert await c.list_changed_since("p", T) == []


def test_delete_reason_mapping_is_fixed() -> None:
    assert DeleteReason.COMPLETED.closed_status is RecordStatus.DONE
    for reason in (DeleteReason.NOT_PLANNED, DeleteReason.DUPLICATE, DeleteReason.ABANDONED):
        assert reason.closed_status is RecordStatus.WONT_FIX


def test_root_collection_name_must_be_a_path_component() -> None:
    with pytest.raises(TypeError):

        class Bad(ReadOnly):
            root_collection_name = "a/b"


def test_uncarried_fields_are_limited_to_what_a_backend_may_lack() -> None:
    class NoAssignee(ReadOnly):
        uncarried_fields = frozenset({"assignee"})

    assert NoAssignee.uncarried_fields == {"assignee"}
    with pytest.raises(TypeError, match="must carry"):

        class NoTitle(ReadOnly):
            uncarried_fields = frozenset({"title", "assignee"})


def test_stored_form_defaults_to_the_draft_and_may_be_overridden() -> None:
    draft = RecordDraft(title="T", labels=["Bug", "bug"], body="b")
    assert ReadOnly().stored_form(draft) == draft

    class Lowercases(ReadOnly):
        def stored_form(self, draft: RecordDraft) -> RecordDraft:
            return draft.model_copy(update={"labels": sorted({n.lower() for n in draft.labels})})

    assert Lowercases().stored_form(draft).labels == ["bug"]
    assert draft.labels == ["Bug", "bug"], "stored_form must not change its argument"


def test_accepts_label_follows_label_pattern() -> None:
    assert ReadOnly.label_pattern is None
    assert ReadOnly().accepts_label("any thing: at all")

    class NoSpaces(ReadOnly):
        label_pattern = re.compile(r"\S{1,255}")

    c = NoSpaces()
    assert c.accepts_label("kind:test")
    assert not c.accepts_label("two words")
    assert not c.accepts_label("")
    assert not c.accepts_label("x" * 256), "the whole name must match, not a prefix"


def test_accepts_assignee_follows_assignee_pattern() -> None:
    assert ReadOnly.assignee_pattern is None
    assert ReadOnly().accepts_assignee("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077")

    class Usernames(ReadOnly):
        assignee_pattern = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*")

    c = Usernames()
    assert c.accepts_assignee("Ada.Lovelace")
    assert c.accepts_assignee("x")
    assert not c.accepts_assignee("557058:f58131cb")
    assert not c.accepts_assignee("-dash"), "the whole handle must match"
