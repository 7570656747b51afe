"""The one rate-limit parser, over real header sets from the vendors and every time spelling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reposix._ratelimit import RateSignal, parse_signal, seconds_until
from reposix._ratelimit._sfv import parse_members

NOW = datetime(2026, 1, 1, tzinfo=UTC)
EPOCH = int(NOW.timestamp())
SECONDARY = "github secondary rate limit"


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


# --- real header sets -------------------------------------------------------------------------
# Copied from /work/shared/vendor-examples (sources named per case) so the tests stay offline.

GITLAB_429 = {  # gitlab-ratelimit-429-example.json: a real 429, gitlab-org/gitlab#199738
    "Server": "nginx",
    "Date": "Thu, 30 Jan 2020 14:14:16 GMT",
    "Content-Type": "application/json",
    "RateLimit-Limit": "600",
    "RateLimit-Observed": "5",
    "RateLimit-Remaining": "595",
    "RateLimit-Reset": "1580393717",
    "RateLimit-ResetTime": "Thu, 30 Jan 2020 14:15:17 GMT",
    "GitLab-LB": "fe-15-lb-gprd",
}
GITHUB_CREATE_201 = {  # github-fixture-paginate-issues.raw.json, first call (real api.github.com)
    "Server": "GitHub.com",
    "Date": "Tue, 19 Jul 2022 04:38:37 GMT",
    "Content-Type": "application/json; charset=utf-8",
    "X-RateLimit-Limit": "5000",
    "X-RateLimit-Remaining": "4936",
    "X-RateLimit-Reset": "1658208999",
    "X-RateLimit-Used": "64",
    "X-RateLimit-Resource": "core",
}
GITHUB_NORMALIZED_200: dict[str, Any] = {  # ...paginate-issues.normalized.json: reset in ms
    "date": "Tue, 10 Oct 2017 16:00:00 GMT",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-reset": "1507651200000",
    "x-ratelimit-resource": "core",
    "x-ratelimit-used": 1,  # an int in the fixture: tolerated
}
GITHUB_SEARCH_200 = {  # github-fixture-search-issues.normalized.json: the search bucket
    "date": "Tue, 10 Oct 2017 16:00:00 GMT",
    "x-ratelimit-limit": "30",
    "x-ratelimit-remaining": "29",
    "x-ratelimit-reset": "1507651200000",
    "x-ratelimit-resource": "search",
}
GITHUB_COMPONENT_HEADERS = {  # github-components-responses-headers.json examples
    "x-rate-limit-limit": "5000",
    "x-rate-limit-remaining": "4999",
    "x-rate-limit-reset": "1590701888",
}


CASES: list[tuple[str, int, dict[str, Any], bytes | None, RateSignal | None]] = [
    (
        "gitlab real 429: reset is epoch s, measured from the server's Date; no window is"
        " at 0, so the wait is unknown (the policy default applies)",
        429,
        GITLAB_429,
        None,
        RateSignal(True, None, 595, 600, 61.0),
    ),
    (
        "gitlab 429, exhausted, with only RateLimit-ResetTime (HTTP date)",
        429,
        {
            **{k: v for k, v in GITLAB_429.items() if k != "RateLimit-Reset"},
            "RateLimit-Remaining": "0",
        },
        None,
        RateSignal(True, 61.0, 0, 600, 61.0, None, "ratelimit-resettime"),
    ),
    (
        "github real 201: informational, not refused",
        201,
        GITHUB_CREATE_201,
        None,
        RateSignal(False, None, 4936, 5000, 3482.0),
    ),
    (
        "github normalized fixture: reset in epoch ms",
        200,
        GITHUB_NORMALIZED_200,
        None,
        RateSignal(False, None, 4999, 5000, 0.0),
    ),
    (
        "github search bucket",
        200,
        GITHUB_SEARCH_200,
        None,
        RateSignal(False, None, 29, 30, 0.0),
    ),
    (
        "github 403 primary limit: remaining 0 + reset",
        403,
        {**GITHUB_CREATE_201, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1658205997"},
        b'{"message":"API rate limit exceeded for user ID 1."}',
        RateSignal(True, 480.0, 0, 5000, 480.0, None, "x-ratelimit-reset"),
    ),
    (
        "github 429 primary limit (docs: 403 or 429)",
        429,
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(EPOCH + 90)},
        None,
        RateSignal(True, 90.0, 0, None, 90.0, None, "x-ratelimit-reset"),
    ),
    (
        "github 403 secondary limit with retry-after",
        403,
        {**GITHUB_CREATE_201, "Retry-After": "60"},
        None,
        RateSignal(True, 60.0, 4936, 5000, 3482.0, None, "retry-after"),
    ),
    (
        "github 403 secondary limit, no retry-after: recognised by its message",
        403,
        GITHUB_CREATE_201,
        b'{"message":"You have exceeded a secondary rate limit. Please wait a few minutes."}',
        RateSignal(True, None, 4936, 5000, 3482.0, reason=SECONDARY, floor=60.0, escalates=True),
    ),
    (
        # https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
        # #exceeding-the-rate-limit: secondary limits answer 403 or 429 "with an error
        # message"; retry-after and x-ratelimit-* may all be absent.
        "github 403 secondary limit signalled only in the body",
        403,
        {"Content-Type": "application/json; charset=utf-8"},
        b'{"message":"You have exceeded a secondary rate limit. Please wait a few minutes '
        b"before you try again. If you reach out to GitHub Support for help, please include "
        b'the request ID E198:4063:33BD6:375FF:652AAB04.","documentation_url":'
        b'"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api'
        b'#about-secondary-rate-limits","status":"403"}',
        RateSignal(True, None, reason=SECONDARY, floor=60.0, escalates=True),
    ),
    (
        "github 429 secondary limit signalled only by its documentation_url",
        429,
        {},
        b'{"message":"Too many requests","documentation_url":'
        b'"https://docs.github.com/rest/overview/resources-in-the-rest-api#secondary-rate-limits"}',
        RateSignal(True, None, reason=SECONDARY, floor=60.0, escalates=True),
    ),
    (
        "github's older wording: abuse detection mechanism, body only",
        403,
        {},
        b'{"message":"You have triggered an abuse detection mechanism. Please wait a few '
        b'minutes before you try again.","documentation_url":'
        b'"https://developer.github.com/v3/#abuse-rate-limits"}',
        RateSignal(True, None, reason=SECONDARY, floor=60.0, escalates=True),
    ),
    (
        "a 403 error object that only mentions rate limits elsewhere is a permission error",
        403,
        {},
        b'{"message":"Resource not accessible by integration","documentation_url":'
        b'"https://docs.github.com/rest/issues/issues#update-an-issue"}',
        None,
    ),
    (
        "a secondary limit with retry-after waits exactly that (no floor)",
        403,
        {"Retry-After": "7"},
        b'{"message":"You have exceeded a secondary rate limit."}',
        RateSignal(True, 7.0, source="retry-after"),
    ),
    (
        "github 403 permission error is not a rate limit",
        403,
        GITHUB_CREATE_201,
        b'{"message":"Resource not accessible by integration"}',
        RateSignal(False, None, 4936, 5000, 3482.0),
    ),
    ("plain 403 without rate-limit headers", 403, {"Content-Type": "text/plain"}, None, None),
    (
        "plain 403 whose body mentions rate limits but has no headers",
        403,
        {},
        b"rate limit",
        None,
    ),
    ("429 with no headers at all", 429, {}, None, RateSignal(True, None)),
    ("200 with nothing", 200, {"Content-Type": "application/json"}, None, None),
    (
        "github components example (x-rate-limit-* spelling)",
        200,
        GITHUB_COMPONENT_HEADERS,
        None,
        RateSignal(False, None, 4999, 5000, 0.0),
    ),
    (
        "jira 429: Retry-After wins over the ISO reset; reason kept",
        429,
        {
            "Retry-After": "5",
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "2026-01-01T00:15Z",
            "X-RateLimit-NearLimit": "true",
            "RateLimit-Reason": "jira-burst-based",
        },
        None,
        RateSignal(True, 5.0, 0, 100, 900.0, "jira-burst-based", "retry-after"),
    ),
    (
        "jira 429 without Retry-After: ISO-8601 reset",
        429,
        {
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "2026-01-01T00:15Z",
            "RateLimit-Reason": "jira-quota-tenant-based",
        },
        None,
        RateSignal(True, 900.0, 0, None, 900.0, "jira-quota-tenant-based", "x-ratelimit-reset"),
    ),
    (
        "jira 503 with Retry-After: not a refusal, but the wait is reported",
        503,
        {"Retry-After": "30"},
        None,
        RateSignal(False, 30.0, source="retry-after"),
    ),
    (
        "linear: requests bucket exhausted, reset in epoch ms",
        429,
        {
            "X-RateLimit-Requests-Limit": "1500",
            "X-RateLimit-Requests-Remaining": "0",
            "X-RateLimit-Requests-Reset": str((EPOCH + 42) * 1000),
            "X-RateLimit-Complexity-Limit": "250000",
            "X-RateLimit-Complexity-Remaining": "249000",
            "X-RateLimit-Complexity-Reset": str((EPOCH + 3600) * 1000),
        },
        None,
        RateSignal(True, 42.0, 0, 1500, 42.0, None, "x-ratelimit-requests-reset"),
    ),
    (
        "ietf current draft: RateLimit + RateLimit-Policy structured fields",
        429,
        {"RateLimit": '"default";r=0;t=30', "RateLimit-Policy": '"default";q=100;w=60'},
        None,
        RateSignal(True, 30.0, 0, 100, 30.0, None, "ratelimit"),
    ),
    (
        "ietf current draft, two policies: the exhausted one decides",
        200,
        {
            "RateLimit": '"hour";r=100;t=1800, "minute";r=0;t=20',
            "RateLimit-Policy": '"hour";q=1000;w=3600, "minute";q=10;w=60',
        },
        None,
        RateSignal(False, 20.0, 0, 10, 20.0, None, "ratelimit"),
    ),
    (
        "ietf draft -06 dictionary form",
        200,
        {"RateLimit": "limit=100, remaining=0, reset=5", "RateLimit-Policy": "100;w=60"},
        None,
        RateSignal(False, 5.0, 0, 100, 5.0, None, "ratelimit"),
    ),
    (
        "ietf drafts -00..-05 trio: reset is delta seconds",
        429,
        {"RateLimit-Limit": "10", "RateLimit-Remaining": "0", "RateLimit-Reset": "7"},
        None,
        RateSignal(True, 7.0, 0, 10, 7.0, None, "ratelimit-reset"),
    ),
    (
        "remaining 0 on a success arms the next call",
        200,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(EPOCH + 12)},
        None,
        RateSignal(False, 12.0, 0, None, 12.0, None, "x-ratelimit-reset"),
    ),
    (
        "malformed values are ignored, the 429 stays a 429",
        429,
        {
            "Retry-After": "soon",
            "X-RateLimit-Remaining": "-1",
            "X-RateLimit-Reset": "tomorrow",
            "RateLimit": "r=;t=",
            "RateLimit-Policy": '"unterminated;q=',
        },
        None,
        RateSignal(True, None),
    ),
    (
        "jira beta points-based quota headers",
        429,
        {"Beta-RateLimit": '"global-app";r=0;t=120'},
        None,
        RateSignal(True, 120.0, 0, None, 120.0, None, "beta-ratelimit"),
    ),
]


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_real_header_sets(
    status: int, headers: dict[str, Any], body: bytes | None, expected: RateSignal | None
) -> None:
    assert parse_signal(status, headers, NOW, body=body) == expected


def test_header_names_are_case_insensitive_and_httpx_headers_work() -> None:
    import httpx

    headers = httpx.Headers({"RETRY-after": "3", "x-RateLimit-REMAINING": "0"})
    signal = parse_signal(429, headers, NOW)
    assert signal is not None
    assert (signal.wait, signal.remaining) == (3.0, 0)


def test_retry_after_http_date() -> None:
    date = format_datetime(at(75), usegmt=True)
    assert parse_signal(429, {"Retry-After": date}, NOW) == RateSignal(
        True, 75.0, source="retry-after"
    )


def test_absolute_times_use_the_servers_date_against_clock_skew() -> None:
    # The client's clock is 10 minutes fast; the server says "reset in 30 s" in its own time.
    server_now = at(-600)
    headers = {
        "Date": format_datetime(server_now, usegmt=True),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(EPOCH - 600 + 30),
    }
    signal = parse_signal(403, headers, NOW)
    assert signal is not None
    assert signal.wait == 30.0


# --- the time rule ----------------------------------------------------------------------------

TIME_CASES: list[tuple[str, float | None]] = [
    ("0", 0.0),
    ("30", 30.0),
    ("1.5", 1.5),
    (" 30 ", 30.0),
    ("999999999", 999999999.0),  # just under 1e9: still a delta (31.7 years)
    (str(EPOCH + 60), 60.0),  # epoch seconds
    (str(EPOCH - 60), 0.0),  # past: no wait
    ("1000000000", 0.0),  # 1e9 = 2001-09-09 as epoch seconds: long past
    (str((EPOCH + 60) * 1000), 60.0),  # epoch milliseconds
    (str(EPOCH * 1000 + 1500), 1.5),
    ("Thu, 01 Jan 2026 00:01:00 GMT", 60.0),  # IMF-fixdate
    ("Thursday, 01-Jan-26 00:01:00 GMT", 60.0),  # RFC 850
    ("Thu Jan  1 00:01:00 2026", 60.0),  # asctime
    ("2026-01-01T00:01Z", 60.0),  # Jira's yyyy-MM-ddTHH:mmZ
    ("2026-01-01T00:01:00+00:00", 60.0),
    ("2026-01-01T01:01:00+01:00", 60.0),
    ("2026-01-01T00:01:00.000+0000", 60.0),
    ("2026-01-01T00:01:00", 60.0),  # naive: UTC
    ("2025-12-31T23:00Z", 0.0),
    ("", None),
    ("-1", None),
    ("1e3", None),
    ("inf", None),
    ("nan", None),
    ("0x10", None),
    ("1_000", None),
    ("soon", None),
    ("30s", None),
    ("9" * 80, None),
    ("Thu, 99 Jan 2026 00:01:00 GMT", None),
]


@pytest.mark.parametrize(("value", "expected"), TIME_CASES)
def test_time_disambiguation(value: str, expected: float | None) -> None:
    assert seconds_until(value, NOW) == expected


@given(st.text(max_size=80))
def test_seconds_until_never_raises(value: str) -> None:
    result = seconds_until(value, NOW)
    assert result is None or result >= 0


HEADER_NAMES = [
    "retry-after",
    "date",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "ratelimit-reset",
    "ratelimit-resettime",
    "ratelimit",
    "ratelimit-policy",
    "x-ratelimit-requests-reset",
    "ratelimit-reason",
]


@given(
    st.sampled_from([200, 403, 429, 503]),
    st.dictionaries(st.sampled_from(HEADER_NAMES), st.text(max_size=60), max_size=6),
    st.binary(max_size=64),
)
def test_malformed_headers_never_raise(status: int, headers: dict[str, str], body: bytes) -> None:
    signal = parse_signal(status, headers, NOW, body=body)
    if status == 429:
        assert signal is not None
        assert signal.refused
    if signal is not None and signal.wait is not None:
        assert signal.wait >= 0


def test_structured_field_reader_is_tolerant() -> None:
    members = parse_members('"a";r=1;t=2, b;q=3;w=4;flag, limit=5, "x\\"y";r=?1, @bad, 7')
    assert [(m.key, m.value, m.params) for m in members] == [
        (None, "a", {"r": 1, "t": 2}),
        (None, "b", {"q": 3, "w": 4, "flag": True}),
        ("limit", 5, {}),
        (None, 'x"y', {"r": True}),
        (None, 7, {}),
    ]
    assert parse_members("x" * 5000) == []
