"""Hostile requests get a 4xx in the simulator's envelope: never a 500, never a held socket.

Each case below answered 500 (or held the connection) before; the hypothesis test at the
end posts generated hostile requests to the real server over loopback sockets.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reposix.sim import _server
from reposix.sim._app import MAX_JSON_DEPTH, SimApp, create_app
from reposix.sim._server import running

BASE = "http://sim.test"
DEEP = b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
HUGE = "9" * 5000


async def call(app: SimApp, method: str, path: str, **kw: object) -> httpx.Response:
    request = httpx.Request(method, BASE + path, **kw)  # type: ignore[arg-type]
    response = await httpx.ASGITransport(app=app).handle_async_request(request)
    await response.aread()
    return response


def envelope_code(response: httpx.Response | Reply) -> str:
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    code = body["error"]["code"]
    assert isinstance(code, str)
    return code


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "code"),
    [
        ("POST", "/projects/demo/records", DEEP, {}, "bad_json"),
        (
            "POST",
            "/projects/demo/records",
            b'{"title": ' + b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1) + b"}",
            {},
            "bad_json",
        ),
        ("POST", "/projects/demo/records", b'{"title": "\\ud800"}', {}, "bad_json"),
        ("POST", "/projects/demo/records", b'{"title": "x", "labels": ["\\udfff"]}', {}, None),
        ("PATCH", "/projects/demo/records/1", b'{"title": "a\\udc00"}', {}, "bad_json"),
        ("POST", "/projects", b'{"slug": "ok", "name": "\\ud83d"}', {}, "bad_json"),
        (
            "POST",
            "/projects/demo/records",
            b'{"title": "x", "parent_id": 1' + b"0" * 30 + b"}",
            {},
            None,
        ),
        (
            "POST",
            "/projects/demo/records",
            b'{"title": "x", "parent_id": ' + HUGE.encode() + b"}",
            {},
            None,
        ),
        ("POST", "/projects/demo/records", b'{"title": 1e999}', {}, None),
        ("GET", f"/projects/demo/records/{HUGE}", b"", {}, "bad_record_id"),
        ("PATCH", f"/projects/demo/records/{HUGE}", b"{}", {}, "bad_record_id"),
        ("POST", f"/projects/demo/records/{HUGE}/close", b"{}", {}, "bad_record_id"),
        ("GET", f"/projects/demo/records?per_page={HUGE}", b"", {}, "bad_per_page"),
        ("GET", f"/projects/demo/records?after={HUGE}", b"", {}, "bad_after"),
        ("GET", "/projects/demo/records?per_page=%C2%B2", b"", {}, "bad_per_page"),
        ("GET", "/projects/demo/records?page=%C2%B2", b"", {}, "bad_page"),
        ("PATCH", "/projects/demo/records/1", b"{}", {"If-Match": f'"{HUGE}"'}, "bad_if_match"),
        ("DELETE", "/projects/demo/records/1", b"", {"If-Match": HUGE}, "bad_if_match"),
        ("GET", "/projects/demo/records?since=9999-12-31T23:59:59-14:00", b"", {}, "bad_since"),
        ("GET", "/projects/demo/records?since=0001-01-01T00:00:00%2B14:00", b"", {}, "bad_since"),
        ("GET", "/projects/demo/records?since=" + "1" * 5000, b"", {}, "bad_since"),
    ],
)
async def test_hostile_input_is_a_4xx_in_the_envelope(
    method: str, path: str, body: bytes, headers: dict[str, str], code: str | None
) -> None:
    app = create_app()
    before = [r.model_dump() for r in app.store.list("demo")]
    response = await call(app, method, path, content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.content[:300]
    found = envelope_code(response)
    if code is not None:
        assert found == code
    # Nothing half-stored: the next listing still serializes (a stored surrogate made
    # every later listing answer 500).
    assert [r.model_dump() for r in app.store.list("demo")] == before
    assert (await call(app, "GET", "/projects/demo/records")).status_code == 200


# -- over real sockets ----------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    content: bytes
    closed: bool
    """The server closed the connection after answering."""


def exchange(url: str, raw: bytes, *, timeout: float = 5.0) -> Reply:
    """Send raw bytes, read one response; fails (socket.timeout) if the server holds on."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
        }
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        try:
            closed = sock.recv(1) == b""  # EOF, or a timeout if the server holds the socket
        except TimeoutError:
            closed = False
        except ConnectionResetError:  # closed with unread request bytes: a reset
            closed = True
    return Reply(status, headers, body, closed)


def raw_request(
    method: str,
    target: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    content_length: int | None = None,
    close: bool = True,
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body or content_length is not None:
        lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    if close:
        lines.append("Connection: close")
    head = "\r\n".join(lines) + "\r\n\r\n"
    # Header bytes as sent by a client that does not care: latin-1 if it fits, else UTF-8.
    return head.encode("latin-1" if max(map(ord, head)) < 256 else "utf-8") + body


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    app = create_app()
    app.body_timeout = 0.3
    with running(app) as url:
        yield url


@pytest.mark.parametrize("close", [True, False])
def test_a_body_shorter_than_its_content_length_cannot_hold_the_connection(
    server: str, close: bool
) -> None:
    started = time.monotonic()
    raw = raw_request(
        "POST", "/projects/demo/records", b'{"title": "x"}', content_length=500, close=close
    )
    reply = exchange(server, raw, timeout=10)
    assert reply.status == 408
    assert envelope_code(reply) == "body_timeout"
    assert reply.closed, "the server must drop a connection whose body never finished"
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /projects/demo/rec", b"GET /projects/demo/records HTTP/1.1\r\nHost: x\r\n"],
    ids=["nothing", "half a request line", "headers without their end"],
)
def test_stalled_headers_cannot_hold_the_connection(
    sent: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_server._HeaderDeadline, "header_timeout", 0.3)
    with running(create_app()) as url:
        parts = urlsplit(url)
        assert parts.hostname is not None
        assert parts.port is not None
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
            started = time.monotonic()
            sock.sendall(sent)
            time.sleep(0.1)
            sock.sendall(b"X-Trickle: 1\r\n" if sent.endswith(b"\r\n") else b"")
            assert sock.recv(1) == b""  # closed by the server, not by our 5 s timeout
            assert time.monotonic() - started < 3


def test_keep_alive_requests_are_not_cut_by_the_header_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_server._HeaderDeadline, "header_timeout", 0.3)
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with running(create_app()) as url:
        parts = urlsplit(url)
        assert parts.hostname is not None
        assert parts.port is not None
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
            for _ in range(3):
                sock.sendall(request)
                data = b""
                while not data.endswith(b'{"status":"ok"}'):
                    chunk = sock.recv(65536)
                    assert chunk, f"closed mid-conversation after {data!r}"
                    data += chunk
                assert data.startswith(b"HTTP/1.1 200")
                time.sleep(0.2)  # under the deadline each time, over it in total


def test_an_oversized_announced_body_is_refused_before_reading(server: str) -> None:
    raw = raw_request("POST", "/projects/demo/records", b"{}", content_length=10**9)
    reply = exchange(server, raw)
    assert reply.status == 413
    assert envelope_code(reply) == "body_too_large"


def test_an_oversized_chunked_body_is_refused(server: str) -> None:
    chunk = b"x" * 65536
    chunks = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(20)) + b"0\r\n\r\n"
    raw = raw_request("POST", "/projects/demo/records", headers={"Transfer-Encoding": "chunked"})
    reply = exchange(server, raw + chunks)
    assert reply.status == 413
    assert envelope_code(reply) == "body_too_large"


def test_if_match_with_a_superscript_digit_is_refused(server: str) -> None:
    """``"²".isdigit()`` is True and ``int("²")`` fails; the header arrives as latin-1."""
    raw = raw_request("PATCH", "/projects/demo/records/1", b"{}", {"If-Match": '"\xb2"'})
    reply = exchange(server, raw)
    assert reply.status == 400
    assert envelope_code(reply) == "bad_if_match"


def test_admin_is_off_over_the_wire(server: str) -> None:
    reply = exchange(server, raw_request("PUT", "/_admin/faults", b'{"latency": 30}'))
    assert reply.status == 404
    assert envelope_code(reply) == "admin_disabled"


# -- generated hostile requests -------------------------------------------------------------

_latin1 = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF, blacklist_characters="\x7f"),
    max_size=40,
)
_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=20, max_value=5000).map(lambda n: "9" * n),
    st.sampled_from(["²", "٣", "0x10", "1e3", "-0", "", " 1", "+1", "1.5", "NaN"]),
)
_dates = st.one_of(
    st.sampled_from(
        [
            "9999-12-31T23:59:59-14:00",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59.999999+00:00",
            "2026-02-30T00:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T24:00:00Z",
        ]
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    _latin1,
)
_values = st.one_of(_numbers, _dates, _latin1)
_query = st.dictionaries(
    st.sampled_from(["since", "per_page", "after", "page", "empty", "x"]), _values, max_size=4
)
_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_fields = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(
        (
            "title",
            "body",
            "status",
            "labels",
            "assignee",
            "parent_id",
            "reason",
            "slug",
            "name",
            "id",
        ),
        _json,
    ),
)
_bodies = st.one_of(
    _fields.map(lambda d: json.dumps(d).encode()),
    _json.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=33, max_value=200_000).map(
        lambda n: b'{"title": ' + b"[" * n + b"]" * n + b"}"
    ),
    st.sampled_from(
        [
            b'{"title": "\\ud800"}',
            b'{"title": "x", "labels": ["\\udfff"]}',
            b'{"title": "x", "parent_id": ' + HUGE.encode() + b"}",
            b'{"title": "x", "parent_id": 18446744073709551616}',
            b'{"title": 1e999}',
            b'{"title": NaN}',
            b"\xff\xfe\x00",
            b'{"reason": "completed"}',
        ]
    ),
    st.binary(max_size=64),
)
_segments = st.one_of(
    st.just("demo"),
    st.sampled_from(["empty", "nope"]),
    st.text(max_size=20).map(lambda t: quote(t, safe="")),
)
_ids = st.one_of(st.sampled_from(["1", "2"]), _numbers.map(lambda t: quote(t, safe="")))


_ROUTES = [
    ("GET", "/projects/{slug}/records"),
    ("POST", "/projects/{slug}/records"),
    ("GET", "/projects/{slug}/records/{id}"),
    ("PATCH", "/projects/{slug}/records/{id}"),
    ("DELETE", "/projects/{slug}/records/{id}"),
    ("POST", "/projects/{slug}/records/{id}/close"),
    ("POST", "/projects"),
    ("GET", "/projects/{slug}"),
    ("PUT", "/_admin/faults"),
]


@st.composite
def hostile_requests(draw: st.DrawFn) -> bytes:
    """Mostly real routes with one or more hostile parts; sometimes no route at all."""
    method, template = draw(st.sampled_from(_ROUTES))
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"]))
    path = template.format(slug=draw(_segments), id=draw(_ids))
    query = draw(_query)
    if query:
        path += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    headers: dict[str, str] = {}
    if draw(st.booleans()):
        headers["If-Match"] = draw(st.one_of(_numbers.map(lambda t: f'"{t}"'), _latin1))
    if draw(st.integers(0, 3)) == 0:
        headers["Idempotency-Key"] = draw(st.one_of(_latin1, st.just("k" * 300)))
    body = draw(_bodies) if method in ("POST", "PATCH", "PUT") else b""
    lie = draw(st.sampled_from([None] * 8 + [1, 1000]))
    length = None if lie is None else len(body) + lie
    return raw_request(method, path, body, headers, content_length=length)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=hostile_requests())
def test_generated_hostile_requests_get_no_5xx_and_no_hang(server: str, raw: bytes) -> None:
    try:
        reply = exchange(server, raw, timeout=5)
    except TimeoutError:
        pytest.fail(f"the simulator held the connection: {raw[:300]!r}")
    assert reply.status < 500, (reply.status, reply.content[:300], raw[:300])
    if reply.status >= 400:
        envelope_code(reply)
    assert reply.closed
