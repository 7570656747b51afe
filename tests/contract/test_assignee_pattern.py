"""The kit honours a connector's ``assignee_pattern``: it generates and fits only handles
the backend can resolve (an Atlassian account id never names a GitLab user)."""

from __future__ import annotations

import re

from hypothesis import given, settings

from reposix import BackendConnector, Listing, Record, RecordId
from reposix_contract._invariants._support import ASSIGNEES, fit_labels, user_fields


class ReadOnly(BackendConnector):
    name = "read-only"

    async def list_records_complete(self, project: str) -> Listing:
        return Listing([], is_complete=True)

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        raise NotImplementedError


def test_the_kit_generates_only_accepted_assignees() -> None:
    class Usernames(ReadOnly):
        assignee_pattern = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*")

    c = Usernames()
    assert any(not c.accepts_assignee(a) for a in ASSIGNEES), "the check must not be vacuous"

    @settings(max_examples=30, database=None)
    @given(user_fields(c))
    def generated(fields: dict[str, object]) -> None:
        assignee = fields["assignee"]
        assert assignee is None or c.accepts_assignee(str(assignee))

    generated()
    fitted = fit_labels(c, {"labels": [], "assignee": "557058:f58131cb"})
    assert fitted["assignee"] is not None
    assert c.accepts_assignee(fitted["assignee"])
