"""The documented masking rule (docs/trust-model.md#secrets), case by case."""

from __future__ import annotations

import base64
import logging
import urllib.parse

import httpx
import pytest
from pydantic import TypeAdapter

from reposix import NotFound, ProtocolError
from reposix._http.decode import excerpt, server_message, server_text
from reposix._http.redact import install_log_redaction
from reposix._redact import (
    REDACTED,
    OwnedSecrets,
    fresh_registry,
    known_secrets,
    redact_text,
    register_secret,
    scoped_registry,
    secret_forms,
)

SHORT = "q7!"
LONG = "hardening-LONG/secret+value=="


@pytest.fixture(autouse=True)
def _registered() -> None:
    register_secret(SHORT)
    register_secret(LONG)
    install_log_redaction()


def test_every_form_is_registered() -> None:
    forms = secret_forms(LONG)
    assert urllib.parse.quote(LONG, safe="") in forms
    assert base64.b64encode(LONG.encode()).decode() in forms
    assert base64.urlsafe_b64encode(LONG.encode()).decode().rstrip("=") in forms
    assert 'a"b\\\\c' in secret_forms('a"b\\c')  # JSON-escaped
    assert "\\xc3\\xa9t\\xc3\\xa9" in secret_forms("été")  # bytes repr (httpcore lines)


@pytest.mark.parametrize(
    "text",
    [
        f"Bad credentials: {SHORT}",
        f"(b'X-Echo', b'{SHORT}')",
        f"GET /a?token={SHORT}&x=1",
        f'{{"token": "{SHORT}"}}',
        f"invalid token {SHORT}.",
        f"Authorization: Bearer {SHORT}",
    ],
)
def test_short_secret_masked_as_a_whole_token(text: str) -> None:
    assert SHORT not in redact_text(text)


@pytest.mark.parametrize(
    "text", [f"x{SHORT}y", f"/{SHORT}/", f"{SHORT}abc", "q7 is not it", f"({SHORT}'zq', 1)"]
)
def test_short_secret_never_shreds_other_text(text: str) -> None:
    assert redact_text(text) == text


def test_long_secret_masked_anywhere_in_any_form() -> None:
    for form in (LONG, urllib.parse.quote(LONG, safe=""), base64.b64encode(LONG.encode()).decode()):
        assert form not in redact_text(f"x{form}y")


def test_owned_text_masks_any_length_anywhere() -> None:
    owned = OwnedSecrets(["zz"])
    assert owned.redact("abzzcd") == "ab***cd"
    assert "zz" in redact_text("abzzcd")  # not registered: the process rule leaves it


def _response(body: bytes, secret: str) -> httpx.Response:
    response = httpx.Response(401, content=body, request=httpx.Request("GET", "https://h.example/"))
    response.extensions["reposix.secrets"] = OwnedSecrets([secret])
    return response


def test_server_text_masks_before_it_clips() -> None:
    secret = "Z" * 40
    response = _response(b"", secret)
    text = server_text(response, "x" * 280 + secret, limit=300)
    assert "ZZZZ" not in text
    assert len(text) <= 300


def test_excerpt_masks_a_secret_straddling_the_cut() -> None:
    secret = "W" * 60
    response = _response(("é" * 190 + secret).encode(), secret)
    assert "WWW" not in excerpt(response, limit=200)


def test_server_message_is_the_redacted_vendor_text() -> None:
    adapter: TypeAdapter[dict[str, str]] = TypeAdapter(dict[str, str])
    response = _response(b'{"message": "token ab1 revoked"}', "ab1")
    assert server_message(response, adapter, lambda d: d["message"]) == "token *** revoked"
    assert server_message(_response(b"not json", "ab1"), adapter) == ""


def test_typed_errors_redact_their_text_when_built() -> None:
    err = ProtocolError(f"server said {LONG}", url=f"https://h/?t={LONG}", excerpt=f"{SHORT} x")
    for text in (str(err), repr(err), err.url or "", err.excerpt or "", err.message):
        assert LONG not in text
        assert f"{SHORT} " not in text
    assert LONG not in str(NotFound("x", hint=f"try {LONG}"))


def test_log_exception_tracebacks_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("some.library")
    try:
        raise ValueError(f"server echoed {SHORT} and {LONG}")
    except ValueError:
        with caplog.at_level(logging.DEBUG):
            log.exception("failed with %s", SHORT)
    record = caplog.records[-1]
    formatted = logging.Formatter().format(record)
    assert "ValueError: server echoed *** and ***" in formatted
    assert LONG not in formatted
    assert f" {SHORT}" not in formatted


def test_httpcore_header_lines_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    headers = [(b"X-Echo", SHORT.encode()), (b"X-Long", LONG.encode())]
    with caplog.at_level(logging.DEBUG, logger="httpcore.http11"):
        logging.getLogger("httpcore.http11").debug(
            "receive_response_headers.complete return_value=%r", (b"HTTP/1.1", 401, b"", headers)
        )
    message = caplog.records[-1].getMessage()
    assert f"b'{SHORT}'" not in message
    assert LONG not in message


def test_registry_order_follows_every_registration_and_scope() -> None:
    """The long forms are kept longest first between calls (so redacting a log line does not
    sort the registry): a longer secret that contains an earlier one, registered later,
    is still masked whole, and a scope that forgets it leaves the earlier one masked."""
    with fresh_registry():
        register_secret("abcdefgh12")
        assert redact_text("k=abcdefgh12") == f"k={REDACTED}"
        with scoped_registry():
            register_secret("zzabcdefgh12zz")
            assert redact_text("k=zzabcdefgh12zz;") == f"k={REDACTED};"
        assert "zzabcdefgh12zz" not in known_secrets()
        assert redact_text("k=zzabcdefgh12zz;") == f"k=zz{REDACTED}zz;"
