"""Property: a server that echoes the credential never gets it into any output.

Every shipped connector (github, jira, confluence, sim) is built with a generated secret
(1-64 characters, including ones that need percent- or base64-encoding) and driven
through every method against a real HTTP server on loopback (so httpx and httpcore log
for real) that answers each request with an error status or an unusable 200, echoing
the secret (raw, percent-encoded, base64) in its body and headers. The secret, in any of
those forms, must then appear in no exception, no log record of any logger at DEBUG
(tracebacks included), no audit row and no CLI output.

"Appear" follows the documented rule (docs/trust-model.md#secrets): a form of 8+
characters anywhere; a shorter one as a whole token. Text the program prints whatever the
secret is (the control run with another credential) cannot count as a leak, so a
generated secret that already stands in it as a token (``0``, ``GET``) is skipped.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import ssl
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reposix import (
    BackendConnector,
    DeleteReason,
    MemoryAuditSink,
    Record,
    RecordDraft,
    Runtime,
    Secret,
    ServerMetadata,
    Tainted,
    VirtualClock,
    sanitize,
    sanitize_for_create,
)
from reposix._cli import cli
from reposix.sim import SimBackend
from reposix_confluence.connector import ConfluenceConnector
from reposix_github.connector import GitHubConnector
from reposix_jira.connector import JiraConnector

STATUSES = (200, 301, 400, 401, 403, 404, 409, 412, 422, 429, 500)
"""Every status a connector maps: 200 carries a body of the wrong shape and a bad Link."""
DELIMS = "()[]{}<>,;:=&?|"
QUOTES = "\"'`"
EMAIL = "bot@example.com"
CONTROL = "control-CANARY-0123456789-credential"

_state: dict[str, Any] = {"secret": CONTROL}
_TLS = ssl.create_default_context()


def _pct(secret: str) -> str:
    return urllib.parse.quote(secret, safe="")


def _b64(secret: str) -> str:
    return base64.b64encode(secret.encode()).decode()


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with its server's status, echoing ``_state['secret']``."""

    protocol_version = "HTTP/1.1"
    # One write per response and no Nagle: otherwise delayed ACKs add 40 ms per request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        secret, status = _state["secret"], getattr(self.server, "status", 401)
        pct, b64 = _pct(secret), _b64(secret)
        said = f"Bad credentials: {secret} ({pct}, {b64})"
        body = {
            "message": said,
            "errorMessages": [said, f"token {secret} revoked"],
            "errors": {"token": secret} if status != 409 else [{"title": said, "detail": b64}],
            "error": {"message": said, "code": "unauthorized"},
            "documentation_url": f"https://docs.example/?t={pct}",
        }
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status, f"Denied {pct}")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if secret.isascii() and secret.isprintable():
            self.send_header("X-Echo", secret)
        self.send_header("X-Echo-Pct", pct)
        self.send_header("X-Echo-B64", b64)
        self.send_header("WWW-Authenticate", f'Bearer error="invalid_token", token="{pct}"')
        self.send_header("Retry-After", "86400")
        self.send_header("Location", f"http://127.0.0.1:1/login/{pct}?t={b64}")
        if status == 200:
            self.send_header("Link", f'<{pct}> rel="next" {b64}')
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[int, str]]:
    """One echo server per status: ``{status: base URL}``."""
    running = []
    for status in STATUSES:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
        httpd.daemon_threads = True
        httpd.status = status  # type: ignore[attr-defined]
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        running.append(httpd)
    try:
        yield {h.status: f"http://127.0.0.1:{h.server_address[1]}" for h in running}  # type: ignore[attr-defined]
    finally:
        for httpd in running:
            httpd.shutdown()
            httpd.server_close()


def _connector(name: str, url: str, secret: str, runtime: Runtime) -> BackendConnector:
    if name == "github":
        return GitHubConnector(Secret(secret), base_url=url, runtime=runtime)
    if name == "jira":
        return JiraConnector(EMAIL, Secret(secret), base_url=url, runtime=runtime)
    if name == "confluence":
        return ConfluenceConnector(EMAIL, Secret(secret), base_url=url, runtime=runtime)
    return SimBackend(url, token=Secret(secret), runtime=runtime)


_NOW = datetime(2026, 1, 1, tzinfo=UTC)
_RECORD = Record(id=1, title="t", status="open", created_at=_NOW, updated_at=_NOW, version=1)
_META = ServerMetadata(id=1, created_at=_NOW, updated_at=_NOW, version=1)


def _calls(c: BackendConnector, project: str) -> list[Callable[[], Any]]:
    return [
        lambda: c.list_records_complete(project),
        lambda: c.list_changed_since(project, _NOW),
        lambda: c.get_record(project, 1),
        lambda: c.create_record(project, sanitize_for_create(Tainted(RecordDraft(title="t")))),
        lambda: c.update_record(project, 1, sanitize(Tainted(_RECORD.replace(title="u")), _META)),
        lambda: c.delete_or_close(project, 1, DeleteReason.COMPLETED),
    ]


def _exception_texts(exc: BaseException) -> Iterator[str]:
    current: BaseException | None = exc
    while current is not None:
        yield f"{type(current).__name__}: {current}"
        yield repr(current)
        yield from (repr(a) for a in current.args)
        yield from (str(getattr(current, a, "")) for a in ("hint", "url", "excerpt", "message"))
        # The chain Python's tracebacks (and error trackers) show: an explicit cause, else
        # the context unless ``raise ... from None`` suppressed it.
        if current.__cause__ is not None:
            current = current.__cause__
        else:
            current = None if current.__suppress_context__ else current.__context__


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


def _exercise(urls: dict[int, str], secret: str, name: str) -> list[str]:
    """Every method of connector ``name`` against every status at once; all text produced."""
    _state.update(secret=secret)
    texts: list[str] = []
    root = logging.getLogger()
    capture = _Capture()
    old = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    audit = MemoryAuditSink()

    async def one(call: Callable[[], Any]) -> None:
        try:
            await call()
        except Exception as exc:  # every outcome's text is inspected
            texts.extend(_exception_texts(exc))

    async def against(url: str) -> None:
        # A real httpcore transport; sharing one TLS context only saves loading CA files.
        transport = httpx.AsyncHTTPTransport(verify=_TLS)
        runtime = Runtime(audit=audit, clock=VirtualClock(), max_records=5, transport=transport)
        connector = _connector(name, url, secret, runtime)
        async with connector:
            await asyncio.gather(*(one(call) for call in _calls(connector, _PROJECT[name])))
            texts.append(repr(connector))

    async def run() -> None:
        await asyncio.gather(*(against(url) for url in urls.values()))

    try:
        asyncio.run(run())
    finally:
        root.removeHandler(capture)
        root.setLevel(old)
    texts.extend(repr(event) for event in audit.events)
    texts.extend(capture.texts)
    return texts


_ENV = {
    "github": {"GITHUB_TOKEN": "{s}"},
    "jira": {"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": "{s}"},
    "confluence": {"ATLASSIAN_EMAIL": EMAIL, "ATLASSIAN_API_KEY": "{s}"},
    "sim": {"REPOSIX_SIM_TOKEN": "{s}"},
}
_PROJECT = {"github": "octo/repo", "jira": "DEMO", "confluence": "DEMO", "sim": "demo"}


def _cli(url: str, secret: str, name: str) -> list[str]:
    _state.update(secret=secret)
    env = {k: v.replace("{s}", secret) for k, v in _ENV[name].items()}
    result = CliRunner().invoke(
        cli,
        ["list", "--connector", name, "--url", url, "--project", _PROJECT[name]],
        env=env,
    )
    return [result.output, repr(result.exception)]


def _forms(secret: str) -> set[str]:
    raw = secret.encode()
    return {
        secret,
        _pct(secret),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        base64.b64encode(f"{EMAIL}:{secret}".encode()).decode(),
    }


def _boundary(text: str, i: int) -> bool:
    return i < 0 or i >= len(text) or text[i].isspace() or text[i] in DELIMS


def _whole_token_at(text: str, form: str) -> bool:
    start = text.find(form)
    while start >= 0:
        end = start + len(form)
        after_ok = _boundary(text, end) or (
            text[end] == "." and (_boundary(text, end + 1) or text[end + 1 : end + 2] in QUOTES)
        )
        if _boundary(text, start - 1) and after_ok:
            return True
        quote = text[start - 1 : start] if start else ""
        if quote and quote in QUOTES and text[end : end + 1] == quote:
            return True
        start = text.find(form, start + 1)
    return False


def leaks(secret: str, texts: list[str]) -> list[str]:
    """Where a form of ``secret`` appears in ``texts`` by the documented rule."""
    found = []
    for form in _forms(secret):
        for text in texts:
            if form in text if len(form) >= 8 else _whole_token_at(text, form):
                found.append(f"{form!r} in {text[:300]!r}")
                break
    return found


_control: dict[str, list[str]] = {}


def _control_texts(urls: dict[int, str], name: str) -> list[str]:
    if name not in _control:
        _control[name] = _exercise(urls, CONTROL, name) + _cli(urls[401], CONTROL, name)
    return _control[name]


_TEXT = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))
_ASCII = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
_PUNCT = st.sampled_from(list("%/+=&?#:@ \"'\\<>é²✓"))


def secrets(ascii_only: bool) -> st.SearchStrategy[str]:
    """1-64 characters, biased toward ones that need percent- or base64-encoding.

    No leading or trailing whitespace: HTTP strips it from header values (RFC 9110 §5.5).
    """
    alphabet = st.one_of(_ASCII, _PUNCT.filter(lambda c: c.isascii()) if ascii_only else _PUNCT)
    if not ascii_only:
        alphabet = st.one_of(alphabet, _TEXT)
    return st.text(alphabet, min_size=1, max_size=64).filter(lambda s: s == s.strip())


@pytest.mark.parametrize("name", ["github", "jira", "confluence", "sim"])
def test_echoed_secret_never_leaks(servers: dict[int, str], name: str) -> None:
    control = _control_texts(servers, name)
    assert not leaks(CONTROL, control), leaks(CONTROL, control)
    # Every status reached the connector's error mapping (a typed error per method).
    assert sum(t.startswith(("AuthError", "ProtocolError", "NotFound")) for t in control) >= 20

    @settings(max_examples=2, derandomize=True, database=None)
    @given(secret=secrets(ascii_only=name in ("github", "sim")))
    def check(secret: str) -> None:
        assume(not leaks(secret, control))
        texts = _exercise(servers, secret, name) + _cli(servers[401], secret, name)
        assert not leaks(secret, texts)

    check()


def test_the_oracle_sees_a_leak() -> None:
    assert leaks("ab1", ["token ab1 revoked"])
    assert leaks("ab1", ["x YWIx y"])  # base64
    assert not leaks("ab1", ["xab1y /ab1/"])
    assert leaks("a/b" * 4, ["..." + _pct("a/b" * 4) + "..."])
    assert re.search("x", "x")
