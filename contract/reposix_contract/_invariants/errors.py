"""Error invariants: what the server sends that we cannot understand is a ProtocolError (E01);
faults that outlast the retries end in the documented error type (E02)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from reposix._backend import DeleteReason
from reposix._errors import (
    AuthError,
    NotFound,
    ProtocolError,
    RateLimited,
    ReposixError,
    TransportError,
)
from reposix._records import Record
from reposix_contract._harness import Harness
from reposix_contract._invariants._support import (
    first_line,
    ids,
    new_draft,
    outcome_of,
    patch_of,
    seeded_project,
    supported,
)
from reposix_contract._registry import invariant

__all__ = ["DAMAGE", "PERSISTENT"]

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


# -- E02 -----------------------------------------------------------------------------------

PERSISTENT: tuple[
    tuple[str, tuple[type[ReposixError], ...], tuple[type[ReposixError], ...]], ...
] = (
    ("500", (ProtocolError, TransportError), (NotFound, AuthError, RateLimited)),
    ("503", (ProtocolError, TransportError), (NotFound, AuthError, RateLimited)),
    ("302", (ProtocolError,), (NotFound, AuthError, RateLimited)),
    ("429", (RateLimited,), (NotFound, AuthError)),
    ("403-ratelimit", (RateLimited,), (NotFound, AuthError)),
    ("401", (AuthError,), (NotFound, RateLimited)),
    ("403", (AuthError,), (NotFound, RateLimited)),
)
"""Faults E02 makes outlast every retry: the entry, the documented error types, and the
types it must never be mistaken for (docs/errors.md, docs/rate-limits.md#retries)."""

_PERSIST = 60
"""Requests the fault outlasts: more than any retry or rate-limit budget."""


def _operations(h: Harness, record: Record) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
    c, project = h.connector, h.projects.seeded
    since = datetime(2000, 1, 1, tzinfo=UTC)
    ops: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("get_record", lambda: c.get_record(project, record.id)),
        ("list_records_complete", lambda: c.list_records_complete(project)),
        ("list_changed_since", lambda: c.list_changed_since(project, since)),
    ]
    if supported(c, "create"):
        ops.append(("create_record", lambda: c.create_record(project, new_draft("kit: E02"))))
    if supported(c, "update"):
        patch = patch_of(record, title="kit: E02 update")
        ops.append(("update_record", lambda: c.update_record(project, record.id, patch, None)))
    if supported(c, "delete_or_close"):
        ops.append(
            (
                "delete_or_close",
                lambda: c.delete_or_close(project, record.id, DeleteReason.COMPLETED),
            )
        )
    return ops


@invariant(
    "E02",
    "faults that outlast the SDK's retries end in the documented error type on get, list and "
    "every declared write: a 5xx → ProtocolError/TransportError and an unexpected 3xx → "
    "ProtocolError (never NotFound), a persistent 429 or rate-limit 403 → RateLimited (never "
    "AuthError or NotFound), a 401 or forbidding 403 → AuthError",
)
async def e02_persistent_faults(h: Harness) -> None:
    """Callers act on the error type: NotFound deletes the local copy, AuthError asks the
    user for a new token, RateLimited waits, ProtocolError and TransportError try again
    later. A connector that maps an outage to NotFound deletes data; one that calls a rate
    limit a bad credential sends the user to rotate a token that works."""
    _, seeded = seeded_project(h, 1)
    record = seeded[0]
    problems: list[str] = []
    for fault, expected, never in PERSISTENT:
        for name, op in _operations(h, record):
            h.knobs.schedule = [fault] * _PERSIST
            result = await outcome_of(op())
            h.knobs.schedule = []
            wanted = " or ".join(t.__name__ for t in expected)
            if isinstance(result, expected):
                continue
            if isinstance(result, never):
                problems.append(
                    f"{name} under a persistent {fault} raised {type(result).__name__} "
                    f"({first_line(result)}), never right here: expected {wanted}"
                )
            elif isinstance(result, Exception):
                problems.append(
                    f"{name} under a persistent {fault} raised {type(result).__name__} "
                    f"({first_line(result)}) instead of {wanted}"
                )
            else:
                problems.append(
                    f"{name} under a persistent {fault} returned a value instead of raising "
                    f"{wanted}"
                )
    assert not problems, (
        "faults that outlast the retries end in the wrong error type:\n  "
        + "\n  ".join(problems[:10])
        + "\n  let the SDK map the final status (reposix.raise_for_status) instead of "
        "catching and re-raising by hand"
    )
