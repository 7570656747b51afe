"""Secrets never reach a log line, audit row, repr or error message."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from reposix._audit import MemoryAuditSink, SqliteAuditSink
from reposix._clock import VirtualClock
from reposix._credentials import from_env
from reposix._errors import ReposixError
from reposix._http import (
    Allowlist,
    BasicAuth,
    BearerAuth,
    ClientOpts,
    HeaderAuth,
    client,
    decode,
    raise_for_status,
    redact_headers,
    redact_url,
)
from reposix._http.redact import (
    REDACTED,
    RedactingFilter,
    fresh_registry,
    redact_text,
    register_secret,
)
from reposix._ratelimit.policy import RetryPolicy
from reposix._runtime import Runtime
from reposix._secret import Secret

CANARY = "CANARY-9f2c7e1d5b3a"
BASE = "http://127.0.0.1:8080"


# --- building blocks --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://u:p@h/x", "http://h/x"),
        ("http://h/x?token=abc&page=2", "http://h/x?token=***&page=2"),
        ("http://h/x?Access_Token=abc", "http://h/x?Access_Token=***"),
        ("http://h/x?api_key=1&key=2&sig=3", "http://h/x?api_key=***&key=***&sig=***"),
        ("http://h/x?q=plain", "http://h/x?q=plain"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_masks_known_secrets_anywhere() -> None:
    assert redact_url("http://h/bot-zzsecretzz/x?q=zzsecretzz", ["zzsecretzz"]) == (
        "http://h/bot-***/x?q=***"
    )


def test_redact_url_never_fails() -> None:
    assert redact_url("http://[::1/x?token=abc") == "http://[::1/x?token=***"


def test_redact_headers() -> None:
    headers = {
        "Authorization": "Bearer x",
        "PRIVATE-TOKEN": "y",
        "Cookie": "a=b",
        "X-Api-Key": "z",
        "Accept": "json",
        "X-Echo": "has-zzsecret2zz-inside",
    }
    assert redact_headers(headers, ["zzsecret2zz"]) == {
        "Authorization": REDACTED,
        "PRIVATE-TOKEN": REDACTED,
        "Cookie": REDACTED,
        "X-Api-Key": REDACTED,
        "Accept": "json",
        "X-Echo": "has-***-inside",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer ***"),
        ("authorization=Basic dXNlcjpwdw==", "authorization=Basic ***"),
        ("{'authorization': 'token ghp_123abc'}", "{'authorization': 'token ***'}"),
        ("[(b'Set-Cookie', b'sid=42')]", "[(b'Set-Cookie', b'***')]"),
        ("GET http://me:pw@h/x?access_token=1 200", "GET http://***@h/x?access_token=*** 200"),
        ("basic authentication failed", "basic authentication failed"),
        ("the token expired", "the token expired"),
    ],
)
def test_redact_text_shapes(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_registered_secret_and_its_url_encoding() -> None:
    # Hermetic: other tests register one-letter tokens ("b"), masked as whole words.
    with fresh_registry():
        register_secret("zz/secret+3=")
        assert redact_text("a zz/secret+3= b zz%2Fsecret%2B3%3D c") == "a *** b *** c"


def test_filter_redacts_records_with_args() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "GET %s %s", ("http://h/?token=abc", "zzfilterzz"), None
    )
    log_filter = RedactingFilter()
    log_filter.secrets.add("zzfilterzz")
    assert log_filter.filter(record)
    assert record.getMessage() == "GET http://h/?token=*** ***"


# --- the canary ---------------------------------------------------------------


def _check(text: str) -> None:
    assert CANARY not in text, text
    assert CANARY.lower() not in text.lower()


def _exception_texts(exc: BaseException) -> str:
    return "\n".join(
        [str(exc), repr(exc), *traceback.format_exception(type(exc), exc, exc.__traceback__)]
    )


AUTHS: list[Callable[[Secret], httpx.Auth]] = [
    BearerAuth,
    lambda s: BasicAuth("robot", s),
    lambda s: HeaderAuth("PRIVATE-TOKEN", s),
]


def _echo(request: httpx.Request) -> str:
    # A hostile or careless server that reflects the request back in its body.
    return f"{request.url} {dict(request.headers)}"


SCENARIOS: dict[str, Callable[[respx.MockRouter], object]] = {
    "success": lambda r: r.route().mock(
        side_effect=lambda req: httpx.Response(200, text=_echo(req))
    ),
    "401": lambda r: r.route().mock(side_effect=lambda req: httpx.Response(401, text=_echo(req))),
    "404": lambda r: r.route().mock(side_effect=lambda req: httpx.Response(404, text=_echo(req))),
    "500": lambda r: r.route().mock(side_effect=lambda req: httpx.Response(500, text=_echo(req))),
    "transport": lambda r: r.route().mock(
        side_effect=lambda req: (_ for _ in ()).throw(httpx.ConnectError(f"boom {_echo(req)}"))
    ),
    "redirect": lambda r: r.route().mock(
        side_effect=lambda req: httpx.Response(
            302, headers={"Location": f"https://evil.example/?stolen={CANARY}"}
        )
    ),
    "redirect-allowed": lambda r: r.route().mock(
        side_effect=lambda req: (
            httpx.Response(302, headers={"Location": f"http://localhost:9/next?token={CANARY}"})
            if req.url.host == "127.0.0.1"
            else httpx.Response(200, text=_echo(req))
        )
    ),
}


@pytest.mark.parametrize("scenario", [*SCENARIOS, "egress"])
@pytest.mark.parametrize("make_auth", AUTHS, ids=["bearer", "basic", "header"])
async def test_canary_never_leaks(
    scenario: str,
    make_auth: Callable[[Secret], httpx.Auth],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CANARY_TOKEN", CANARY)
    credentials = from_env("canary", ["CANARY_TOKEN"])
    auth = make_auth(credentials["CANARY_TOKEN"])
    memory = MemoryAuditSink()
    sqlite = SqliteAuditSink(":memory:")

    class Both:
        def append(self, event: Any) -> None:
            memory.append(event)
            sqlite.append(event)

    runtime = Runtime(
        clock=VirtualClock(),
        audit=Both(),
        allowlist=Allowlist.parse("http://127.0.0.1:*,http://localhost:*"),
        retry=RetryPolicy(max_attempts=2),
    )
    opts = ClientOpts(
        connector="canary",
        auth=auth,
        follow_redirects=scenario.startswith("redirect"),
        runtime=runtime,
    )
    url = f"{BASE}/projects/demo?token={CANARY}&q={CANARY}"
    if scenario == "egress":
        url = f"https://user:{CANARY}@evil.example/x?token={CANARY}"
    texts: list[str] = []
    with respx.mock(assert_all_called=False) as router:
        if scenario in SCENARIOS:
            SCENARIOS[scenario](router)
        async with client(opts) as http:
            texts += [repr(http), repr(opts), repr(auth), repr(credentials), http.redact(CANARY)]
            try:
                response = await http.get(url, op="list", headers={"X-Trace": CANARY})
                logging.getLogger("reposix.test").info("got %s for %s", response, url)
                raise_for_status(response, what="demo", env_vars=["CANARY_TOKEN"])
                decode(response, __import__("pydantic").TypeAdapter(list[int]), "listing")
            except ReposixError as exc:
                texts.append(_exception_texts(exc))
                logging.getLogger("reposix.test").exception("request failed: %s", exc)
    texts.append(caplog.text)
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(event) for event in memory.events]
    texts += [repr(event) for event in sqlite.events()]
    assert memory.events, "every attempt is audited"
    if scenario == "success":
        assert any("HTTP Request" in r.getMessage() for r in caplog.records)
    for text in texts:
        _check(text)


async def test_httpx_request_log_line_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    runtime = Runtime(clock=VirtualClock(), audit=MemoryAuditSink())
    opts = ClientOpts(auth=BearerAuth(Secret(CANARY)), runtime=runtime)
    with respx.mock as router:
        router.get(url__startswith=BASE).respond(200)
        async with client(opts) as http:
            await http.get(f"{BASE}/x?access_token={CANARY}&n=1", op="probe")
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines == [f'HTTP Request: GET {BASE}/x?access_token=***&n=1 "HTTP/1.1 200 OK"']


def test_reprs_hide_secrets() -> None:
    token = Secret(CANARY)
    opts = ClientOpts(
        auth=BearerAuth(token),
        secrets=[token],
        headers={"Authorization": f"Bearer {CANARY}"},
        base_url=f"http://u:{CANARY}@127.0.0.1/?key={CANARY}",
        runtime=Runtime(audit=MemoryAuditSink()),
    )
    for text in (repr(opts), repr(client(opts)), repr(token), repr(BasicAuth("u", token))):
        _check(text)
