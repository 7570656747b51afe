"""Rate-limit and fault invariants L01–L06: wait as told, stop when told, recover exactly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from hypothesis import strategies as st

from reposix._errors import AuthError, RateLimited, ReposixError
from reposix._ratelimit.policy import RateLimitPolicy, RetryPolicy
from reposix._records import Record
from reposix_contract._harness import Harness
from reposix_contract._invariants._support import (
    describe,
    outcome_of,
    record_diff,
    requests_since,
    seeded_project,
)
from reposix_contract._props import for_all
from reposix_contract._registry import invariant

_SLACK = 1e-6
_RATE = RateLimitPolicy()
_RETRY = RetryPolicy()


@dataclass(frozen=True)
class Sent:
    """One request and the virtual time it was sent at."""

    request: httpx.Request
    at: float


def timed_since(h: Harness, start: int) -> list[Sent]:
    """Requests after the first ``start``, with their virtual arrival times.

    Uses the kit harness's exchange log; for other harnesses, the audit sink's
    timestamps (each attempt is audited when its answer arrives: in virtual time with
    no latency, that is when it was sent).
    """
    exchanges = getattr(h, "exchanges", None)
    if exchanges is not None:
        return [Sent(e.request, e.at) for e in list(exchanges)[start:]]
    requests = requests_since(h, start)
    origin = h.clock.now() - timedelta(seconds=h.clock.monotonic())
    events = [e for e in h.audit.events if e.outcome != "egress_denied"]
    events = events[len(events) - len(requests) :] if len(events) >= len(requests) else []
    assert len(events) == len(requests), (
        f"{len(requests)} request(s) reached the server but only {len(events)} were audited; "
        "send every request through the SDK client (see S06)"
    )
    return [Sent(r, (e.ts - origin).total_seconds()) for r, e in zip(requests, events, strict=True)]


def _fmt(sent: list[Sent]) -> str:
    return ", ".join(f"{s.request.method} {s.request.url.path} @{s.at:.1f}s" for s in sent)


async def _reference(h: Harness, project: str, record_id: int) -> Record:
    return await h.connector.get_record(project, record_id)


async def _scheduled(
    h: Harness, schedule: list[str], call: Callable[[], Awaitable[Any]]
) -> tuple[Any, list[Sent], float]:
    """Run ``call`` with ``schedule``; its result, timed requests and elapsed virtual time."""
    start, began = len(h.requests), h.clock.monotonic()
    h.knobs.schedule = list(schedule)
    try:
        result = await outcome_of(call())
    finally:
        h.knobs.schedule = []
    return result, timed_since(h, start), h.clock.monotonic() - began


# -- L01 -----------------------------------------------------------------------------------


@invariant(
    "L01",
    "a 429 with Retry-After (seconds or HTTP date) is waited out in virtual time, no "
    "request is sent before the allowed time, and the call succeeds",
)
async def l01_retry_after_honoured(h: Harness) -> None:
    """Retrying before Retry-After is rude at best; servers answer it with longer bans, and a
    connector that gives up instead fails syncs that one short wait would have saved."""
    project, (record,) = seeded_project(h, 1)
    expected = await _reference(h, project, record.id)
    for entry, wait, form in (("429:7", 7.0, "seconds"), ("429-date:5", 5.0, "an HTTP date")):
        result, sent, elapsed = await _scheduled(
            h, [entry], lambda: h.connector.get_record(project, record.id)
        )
        if isinstance(result, BaseException):
            raise AssertionError(
                f"get_record after one 429 (Retry-After in {form}) raised "
                f"{type(result).__name__}: {str(result).splitlines()[0]}; wait for Retry-After "
                "and retry (the SDK client does this unless you disable its retries)"
            )
        diff = record_diff(expected, result)
        assert not diff, f"get_record after a 429 returned a different record: {diff}"
        assert len(sent) >= 2, (
            f"get_record after a 429 succeeded with {len(sent)} request(s): {_fmt(sent)}"
        )
        gap = sent[1].at - sent[0].at
        assert gap + _SLACK >= wait, (
            f"after a 429 with Retry-After {wait:g}s (as {form}) the retry went out "
            f"{gap:.2f}s later ({_fmt(sent)}); wait for the whole Retry-After before "
            "retrying, through one SDK client so its rate gate holds every request"
        )
        assert elapsed + _SLACK >= wait, "the call returned before Retry-After had passed"


# -- L02 -----------------------------------------------------------------------------------


@invariant(
    "L02",
    "persistent 429 ends in RateLimited within the SDK's attempt and total-wait bounds",
)
async def l02_persistent_limit(h: Harness) -> None:
    """A connector that retries a rate limit forever hangs the user's sync; one that waits
    an hour on a Retry-After: 3600 looks hung. Both must surface RateLimited promptly."""
    project, (record,) = seeded_project(h, 1)
    for name, call in (
        ("get_record", lambda: h.connector.get_record(project, record.id)),
        ("list_records", lambda: h.connector.list_records(project)),
    ):
        result, sent, elapsed = await _scheduled(h, ["429:2"] * 40, call)
        assert isinstance(result, RateLimited), (
            f"{name} under a persistent 429 "
            + (
                f"raised {type(result).__name__}"
                if isinstance(result, BaseException)
                else "returned a result"
            )
            + " instead of RateLimited; let the SDK client's RateLimited propagate"
        )
        assert len(sent) <= _RATE.max_attempts, (
            f"{name} sent {len(sent)} requests into a persistent 429 (the SDK bound is "
            f"{_RATE.max_attempts} attempts): {_fmt(sent)}"
        )
        assert elapsed <= _RATE.max_total_wait + _SLACK, (
            f"{name} waited {elapsed:.0f}s of virtual time before giving up (bound: "
            f"{_RATE.max_total_wait:g}s)"
        )
    result, sent, elapsed = await _scheduled(
        h, ["429:3600"] * 3, lambda: h.connector.get_record(project, record.id)
    )
    assert isinstance(result, RateLimited), (
        f"get_record answered 429 with Retry-After: 3600 gave {result!r} instead of "
        "RateLimited; a wait beyond RateLimitPolicy.max_wait must not be slept through"
    )
    assert len(sent) == 1 and elapsed <= _RATE.max_wait, (
        f"a Retry-After of 3600s (above max_wait {_RATE.max_wait:g}s) was waited "
        f"{elapsed:.0f}s / retried {len(sent) - 1} time(s); raise RateLimited at once"
    )


# -- L03 -----------------------------------------------------------------------------------


@invariant(
    "L03",
    "X-RateLimit-Remaining: 0 with a reset arms the gate for the next call; a 403 carrying "
    "rate-limit headers is a rate limit, not an AuthError",
)
async def l03_remaining_zero_and_403(h: Harness) -> None:
    """Sending after the server said 'none left until T' earns a refusal (or a ban); and a
    GitHub-style 403 rate limit reported as bad credentials sends users to rotate tokens."""
    project, records = seeded_project(h, 2)
    start = len(h.requests)
    h.knobs.schedule = ["remaining0:3"]
    try:
        first = await outcome_of(h.connector.get_record(project, records[0].id))
        second = await outcome_of(h.connector.get_record(project, records[1].id))
    finally:
        h.knobs.schedule = []
    for result in (first, second):
        if isinstance(result, BaseException):
            raise AssertionError(
                f"a served response with X-RateLimit-Remaining: 0 led to "
                f"{type(result).__name__}: {str(result).splitlines()[0]}"
            )
    sent = timed_since(h, start)
    assert len(sent) >= 2, f"expected two requests, saw {_fmt(sent)}"
    assert sent[1].at - sent[0].at >= 3.0 - _SLACK, (
        f"the server answered X-RateLimit-Remaining: 0 with a reset, but the next request "
        f"went out {sent[1].at - sent[0].at:.2f}s later ({_fmt(sent)}); keep one rate gate "
        "per connector (one SDK client) so the next call waits for the reset"
    )
    result, sent, _ = await _scheduled(
        h, ["403-ratelimit:3"], lambda: h.connector.get_record(project, records[0].id)
    )
    assert not isinstance(result, AuthError), (
        "a 403 with X-RateLimit-Remaining: 0 was reported as AuthError; it is a rate limit "
        "(check the rate-limit headers before mapping 401/403 to AuthError)"
    )
    if isinstance(result, BaseException):
        assert isinstance(result, RateLimited), (
            f"a 403 rate limit raised {type(result).__name__}: {str(result).splitlines()[0]}"
        )
    else:
        assert len(sent) >= 2 and sent[1].at - sent[0].at >= 3.0 - _SLACK, (
            f"after a 403 rate limit the retry was not paced: {_fmt(sent)}"
        )


# -- L04 -----------------------------------------------------------------------------------

_FAULTS = ("ok", "429:3", "500", "503", "transport", "remaining0:3")


def _schedules() -> st.SearchStrategy[list[str]]:
    """Fault schedules in which no request fails more than twice in a row."""
    entry = st.sampled_from(_FAULTS)

    def capped(entries: list[str]) -> list[str]:
        out: list[str] = []
        run = 0
        for e in entries:
            failing = e not in ("ok", "remaining0:3")
            run = run + 1 if failing else 0
            out.append("ok" if run > 2 else e)
            if run > 2:
                run = 0
        return out

    return st.lists(entry, max_size=8).map(capped)


@invariant(
    "L04",
    "under generated schedules of 429/5xx/transport faults between successes, reads send "
    "nothing before its allowed time, retry a bounded number of times and return exactly "
    "the fault-free result",
)
async def l04_fault_schedules(h: Harness) -> None:
    """Real servers mix every kind of failure; a read that recovers with a record missing,
    duplicated or stale is worse than one that fails, because nobody notices."""
    await for_all(
        h, _schedules(), _survives, examples=[["429:3", "503", "ok", "transport"]], max_examples=8
    )


async def _survives(h: Harness, schedule: list[str]) -> None:
    project, records = seeded_project(h, 5)
    h.knobs.page_size = 2
    listing = await h.connector.list_records(project)
    one = await h.connector.get_record(project, records[2].id)
    clean_start = len(h.requests)
    await h.connector.list_records(project)
    pages = len(h.requests) - clean_start
    bound = (pages + 1) * max(_RETRY.max_attempts, _RATE.max_attempts)
    for name, call, expected in (
        ("list_records", lambda: h.connector.list_records(project), listing),
        ("get_record", lambda: h.connector.get_record(project, records[2].id), one),
    ):
        result, sent, _ = await _scheduled(h, schedule, call)
        where = f"{name} under schedule {schedule}"
        if isinstance(result, BaseException):
            raise AssertionError(
                f"{where} raised {type(result).__name__}: {str(result).splitlines()[0]}; "
                "an idempotent read must retry (no fault repeats more than twice)"
            )
        assert result == expected, (
            f"{where} returned a different result than without faults: "
            f"{_result_diff(expected, result)}"
        )
        assert len(sent) <= bound, f"{where} sent {len(sent)} requests (bound {bound})"
        for i, (entry, s) in enumerate(zip(schedule, sent, strict=False)):
            kind, _, arg = entry.partition(":")
            wait = float(arg) if kind in ("429", "remaining0") and arg else None
            if wait is not None and i + 1 < len(sent):
                gap = sent[i + 1].at - s.at
                assert gap + _SLACK >= wait, (
                    f"{where}: request {i + 2} went out {gap:.2f}s after a {entry} that "
                    f"asked for {wait:g}s ({_fmt(sent)})"
                )


def _result_diff(expected: Any, actual: Any) -> str:
    if isinstance(expected, list) and isinstance(actual, list):
        want = {r.id for r in expected}
        got = [r.id for r in actual]
        return (
            f"missing ids {sorted(want - set(got))}, extra/duplicate ids "
            f"{sorted(i for i in got if got.count(i) > 1 or i not in want)}"
        )
    if isinstance(expected, Record) and isinstance(actual, Record):
        return record_diff(expected, actual)
    return f"{expected!r} != {actual!r}"


# -- L05 -----------------------------------------------------------------------------------


@invariant(
    "L05",
    "a rate limit is never swallowed: a read refused for rate limiting raises RateLimited, "
    "never an empty or partial result",
)
async def l05_no_swallowed_limit(h: Harness) -> None:
    """A listing that quietly returns [] when rate limited tells a sync that every record
    was deleted; the next push then deletes them for real."""
    project, _ = seeded_project(h, 4)
    h.knobs.page_size = 2
    full = await h.connector.list_records(project)
    for offset in (0, 1):
        schedule = ["ok"] * offset + ["429:3600"] * 10
        result, sent, _ = await _scheduled(h, schedule, lambda: h.connector.list_records(project))
        if not isinstance(result, BaseException):
            raise AssertionError(
                f"list_records with page {offset + 1} rate limited (Retry-After 3600) returned "
                f"{len(result)} of {len(full)} records instead of raising RateLimited "
                f"({describe([s.request for s in sent])}); never catch RateLimited to return "
                "what you have"
            )
        assert isinstance(result, ReposixError), (
            f"list_records under a rate limit raised {type(result).__name__}"
        )
        assert isinstance(result, RateLimited), (
            f"list_records under a long rate limit raised {type(result).__name__} instead of "
            "RateLimited"
        )
