"""Error invariant E01: what the server sends that we cannot understand is a ProtocolError."""

from __future__ import annotations

from datetime import UTC, datetime

from reposix._errors import ProtocolError
from reposix_contract._harness import Harness
from reposix_contract._invariants._support import (
    first_line,
    ids,
    outcome_of,
)
from reposix_contract._registry import invariant

__all__ = ["DAMAGE"]

DAMAGE = ("malformed", "truncated", "wrong-types", "missing-fields")
"""The kinds of damaged 200 responses E01 serves (see ``Knobs.schedule``)."""

_FIX = (
    "validate the whole body (reposix._http.decode with a pydantic model, or the pagination "
    "helpers) and let the SDK turn what does not fit into ProtocolError"
)


async def _expect_protocol_error(h: Harness, damage: str, what: str, call: object) -> None:
    result = await outcome_of(call)  # type: ignore[arg-type]
    if isinstance(result, ProtocolError):
        return
    if isinstance(result, Exception):
        raise AssertionError(
            f"{what} with a {damage} response raised {type(result).__name__} "
            f"({first_line(result)}) instead of ProtocolError; {_FIX}"
        )
    raise AssertionError(
        f"{what} with a {damage} response returned a value instead of raising ProtocolError "
        f"(a guess is not data); {_FIX}"
    )


@invariant(
    "E01",
    "malformed JSON, truncated bodies, wrong field types and missing required fields give "
    "ProtocolError (never a bare KeyError/TypeError/ValidationError), and a listing never "
    "returns a partial result as complete",
)
async def e01_protocol_errors(h: Harness) -> None:
    """A connector that crashes with KeyError on an unexpected body cannot be handled by its
    caller (is it a bug or the server?); one that skips what it cannot parse and carries on
    returns a listing with holes that a sync takes for deletions."""
    h.knobs.page_size = 2
    seeded = h.seed_demo(5)
    project = h.projects.seeded
    expected = [r.id for r in h.state.list(project)]
    since = datetime(2000, 1, 1, tzinfo=UTC)
    for damage in DAMAGE:
        h.knobs.schedule = [damage]
        await _expect_protocol_error(
            h, damage, "get_record", h.connector.get_record(project, seeded[0].id)
        )
        h.knobs.schedule = [damage]
        await _expect_protocol_error(
            h, damage, "list_records_complete", h.connector.list_records_complete(project)
        )
        h.knobs.schedule = [damage]
        await _expect_protocol_error(
            h, damage, "list_changed_since", h.connector.list_changed_since(project, since)
        )
        for ok_pages in (1, 2):
            h.knobs.schedule = ["ok"] * ok_pages + [damage]
            result = await outcome_of(h.connector.list_records_complete(project))
            h.knobs.schedule = []
            if isinstance(result, ProtocolError):
                continue
            if isinstance(result, Exception):
                raise AssertionError(
                    f"a listing whose request {ok_pages + 1} got a {damage} response raised "
                    f"{type(result).__name__} ({first_line(result)}) instead of ProtocolError; "
                    + _FIX
                )
            got = ids(result.records)
            assert not result.is_complete, (
                f"a listing whose request {ok_pages + 1} got a {damage} response returned "
                f"{len(got)} of {len(expected)} records as complete; raise ProtocolError"
            )
            assert got == expected[: len(got)], (
                f"a listing cut short by a {damage} response returned {got}, not a prefix of "
                f"{expected}"
            )
    h.knobs.schedule = []
