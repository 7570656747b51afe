"""The egress allowlist: grammar, normalization, and hostile URLs refused before any byte."""

from __future__ import annotations

import httpx
import pytest
import respx

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._errors import ConfigError, EgressDenied
from reposix._http import ALLOWLIST_ENV, Allowlist, ClientOpts, Origin, client, origin_of
from reposix._redact import redact_text
from reposix._runtime import Runtime

ALLOW = Allowlist.parse(
    "http://127.0.0.1:*,http://localhost:*,http://[::1]:*,"
    "https://api.example.com,https://bücher.example:8443"
)

HOSTILE = [
    # userinfo and delimiter confusion
    "http://127.0.0.1@evil.com/",
    "http://localhost:8080@evil.com/",
    "http://[::1]:8080@evil.com/",
    "http://user:pass@evil.com/",
    "http://evil.com#@127.0.0.1/",
    "http://evil.com?@127.0.0.1/",
    "http://evil.com\\@127.0.0.1/",
    "http://127.0.0.1\\@evil.com/",
    "http://evil.com\\.127.0.0.1/",
    "http://evil.com/127.0.0.1",
    # look-alike hosts
    "http://localhost.evil.com/",
    "http://127.0.0.1.nip.io/",
    "https://api.example.com.evil.com/",
    "https://evil-api.example.com/",
    "https://sub.api.example.com/",
    "https://example.com/",
    # trailing dots and empty labels
    "http://localhost./",
    "https://api.example.com./",
    "http://localhost../",
    # numeric IPv4 spellings the resolver would accept
    "http://2130706433/",
    "http://0x7f.0.0.1/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://127.000.000.001/",
    "http://0.0.0.0:8080/",
    # IPv6 literals
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]:8080/",
    "http://[0:0:0:0:0:ffff:7f00:1]/",
    "http://[fe80::1%25eth0]:8080/",
    "http://[::]:8080/",
    "http://[::2]:8080/",
    "http://[::1/",
    # IDNA homographs and invalid IDNA
    "https://аpi.example.com/",  # Cyrillic а
    "https://api.exаmple.com/",  # Cyrillic а
    "https://ａｐｉ.example.com/",  # fullwidth letters
    "https://bucher.example:8443/",
    # schemes, default ports and explicit ports
    "https://127.0.0.1/",
    "https://localhost:8443/",
    "http://api.example.com/",
    "https://api.example.com:8443/",
    "https://api.example.com:444/",
    "https://bücher.example/",
    "https://xn--bcher-kva.example:443/",
    "http://localhost:99999/",
    "http://localhost:-1/",
    "file:///etc/passwd",
    "ftp://127.0.0.1/",
    "gopher://127.0.0.1:70/_GET",
    "ws://127.0.0.1:8080/",
    "data:text/plain,hello",
    "javascript:alert(1)",
    # empty or encoded hosts, control characters
    "http:///path",
    "http://:80/",
    "//evil.com/x",
    "/relative/path",
    "http://localhost%2eevil.com/",
    "http://127.0.0.1%00.evil.com/",
    "http://local host/",
    "http://localhost\t/",
    "http://127.0.0.1:8080\n.evil.com/",
]

ALLOWED = [
    ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080"),
    ("HTTP://LOCALHOST:7878/", "http://localhost:7878"),
    ("http://localhost/", "http://localhost:80"),
    ("http://[::1]:7878/", "http://[::1]:7878"),
    ("http://[0:0:0:0:0:0:0:1]:7878/", "http://[::1]:7878"),
    ("https://API.EXAMPLE.COM/issues", "https://api.example.com:443"),
    ("https://api.example.com:443/", "https://api.example.com:443"),
    ("https://BÜCHER.example:8443/", "https://xn--bcher-kva.example:8443"),
    ("https://xn--bcher-kva.example:8443/", "https://xn--bcher-kva.example:8443"),
    ("http://user:pw@127.0.0.1:8080/", "http://127.0.0.1:8080"),
    # httpx maps the ideographic full stop to '.', and connects to what it parsed.
    ("http://127。0。0。1:8080/", "http://127.0.0.1:8080"),
]


def test_at_least_forty_hostile_urls() -> None:
    assert len(HOSTILE) >= 40
    assert len(set(HOSTILE)) == len(HOSTILE)


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_url_is_denied(url: str) -> None:
    with pytest.raises(EgressDenied) as info:
        ALLOW.check(url)
    assert info.value.allowlist == tuple(ALLOW.describe())
    text = str(info.value)
    assert text.startswith("egress denied: ")
    for leak in ("user", "pass", "/etc/passwd", "_GET"):
        assert leak not in text


@pytest.mark.parametrize(("url", "origin"), ALLOWED)
def test_allowed_url_normalizes(url: str, origin: str) -> None:
    got = ALLOW.check(url)
    host = f"[{got.host}]" if ":" in got.host else got.host
    assert f"{got.scheme}://{host}:{got.port}" == origin


def _runtime(audit: MemoryAuditSink) -> Runtime:
    return Runtime(clock=VirtualClock(), audit=audit, allowlist=ALLOW)


@pytest.mark.parametrize("url", HOSTILE)
async def test_client_refuses_before_sending(url: str) -> None:
    audit = MemoryAuditSink()
    with respx.mock(assert_all_called=False) as router:
        route = router.route().respond(200)
        async with client(ClientOpts(connector="t", runtime=_runtime(audit))) as http:
            with pytest.raises(EgressDenied):
                await http.get(url, op="probe")
    assert not route.called
    assert router.calls.call_count == 0
    assert [e.outcome for e in audit.events] == ["egress_denied"]
    assert audit.events[0].status is None


REDIRECTS = [
    "https://attacker.example/",
    "http://127.0.0.1@evil.com/",
    "//evil.com/steal",
    "http://localhost./",
    "http://2130706433:8080/",
    "ftp://127.0.0.1/",
    "http://evil.com\\@127.0.0.1:8080/",
    "https://127.0.0.1:8080/",
]


@pytest.mark.parametrize("location", REDIRECTS)
async def test_redirect_to_other_origin_is_refused(location: str) -> None:
    audit = MemoryAuditSink()
    with respx.mock(assert_all_called=False) as router:
        first = router.get("http://127.0.0.1:8080/start").respond(
            302, headers={"Location": location}
        )
        other = router.route().respond(200)
        opts = ClientOpts(connector="t", follow_redirects=True, runtime=_runtime(audit))
        async with client(opts) as http:
            with pytest.raises(EgressDenied):
                await http.get("http://127.0.0.1:8080/start", op="probe")
    assert first.call_count == 1
    assert not other.called
    assert [e.outcome for e in audit.events] == ["ok", "egress_denied"]


async def test_redirect_not_followed_by_default() -> None:
    audit = MemoryAuditSink()
    with respx.mock(assert_all_called=False) as router:
        router.get("http://127.0.0.1:8080/start").respond(
            302, headers={"Location": "https://attacker.example/"}
        )
        other = router.route().respond(200)
        async with client(ClientOpts(runtime=_runtime(audit))) as http:
            response = await http.get("http://127.0.0.1:8080/start", op="probe")
    assert response.status_code == 302
    assert not other.called
    # Re-feeding the Location by hand is checked like any request.
    async with client(ClientOpts(runtime=_runtime(audit))) as http:
        with pytest.raises(EgressDenied):
            await http.get(response.headers["location"], op="probe")


# --- grammar -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_blank_means_loopback_only(value: str) -> None:
    allow = Allowlist.parse(value)
    assert allow.describe() == ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    allow.check("http://127.0.0.1:1/")
    allow.check("http://[::1]:65535/")
    with pytest.raises(EgressDenied):
        allow.check("https://api.github.com/")


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOWLIST_ENV, raising=False)
    assert len(Allowlist.from_env().entries) == 3
    monkeypatch.setenv(ALLOWLIST_ENV, " https://api.github.com , http://10.0.0.5:8080 ")
    allow = Allowlist.from_env()
    assert allow.describe() == ["https://api.github.com:443", "http://10.0.0.5:8080"]
    with pytest.raises(EgressDenied):
        allow.check("http://127.0.0.1:8080/")  # setting the variable replaces loopback


@pytest.mark.parametrize(
    ("entry", "origin"),
    [
        ("HTTPS://API.Example.COM:443/", Origin("https", "api.example.com", 443)),
        ("https://api.example.com", Origin("https", "api.example.com", 443)),
        ("http://api.example.com", Origin("http", "api.example.com", 80)),
        ("http://h:*", Origin("http", "h", None)),
        ("https://bücher.example", Origin("https", "xn--bcher-kva.example", 443)),
        ("http://[0::1]:*", Origin("http", "::1", None)),
        ("http://[::1]:7878", Origin("http", "::1", 7878)),
        ("http://example.com.:80", Origin("http", "example.com.", 80)),
    ],
)
def test_entry_normalization(entry: str, origin: Origin) -> None:
    assert Allowlist.parse(entry).entries == (origin,)


def test_trailing_dot_entry_matches_only_dotted_host() -> None:
    allow = Allowlist.parse("https://example.com.")
    allow.check("https://example.com./")
    with pytest.raises(EgressDenied):
        allow.check("https://example.com/")


def test_wildcard_and_default_ports() -> None:
    allow = Allowlist.parse("http://h:*,https://s")
    for port in (1, 80, 8080, 65535):
        allow.check(f"http://h:{port}/")
    allow.check("https://s/")
    allow.check("https://s:443/")
    with pytest.raises(EgressDenied):
        allow.check("https://s:8443/")
    with pytest.raises(EgressDenied):
        allow.check("https://h/")


@pytest.mark.parametrize(
    "value",
    [
        "not a url",
        "ftp://example.com",
        "file:///etc",
        "http://",
        "http://:80",
        "http://127.0.0.1:notaport",
        "http://h:99999",
        "http://h:0",
        "http://h:",
        "http://h/path",
        "http://h?q=1",
        "http://h#frag",
        "http://user@h",
        "http://*.example.com",
        "http://h:*:*",
        "http://2130706433",
        "http://[::1",
        "http://exa mple.com",
        "https://a.example,,https://b.example",
        "https://a.example,",
    ],
)
def test_malformed_entry_is_config_error(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Allowlist.parse(value)
    text = str(info.value)
    assert text.startswith("config error: ")
    assert ALLOWLIST_ENV in text
    bad = [e.strip() for e in value.split(",") if e.strip()]
    # Userinfo is masked in every error's text, even a config entry's (http://***@h).
    shown = [repr(redact_text(b)) for b in bad]
    assert any(s in text for s in shown) or "entry 2 is empty" in text


def test_origin_of_makes_default_port_explicit() -> None:
    assert origin_of("https://h/x") == Origin("https", "h", 443)
    assert origin_of(httpx.URL("http://H:8080")) == Origin("http", "h", 8080)
    with pytest.raises(ValueError, match="scheme"):
        origin_of("ftp://h/")
