"""The process-wide secret registry skips values too short to mask without shredding text."""

from __future__ import annotations

from reposix._http.redact import MIN_REGISTERED_LENGTH, known_secrets, redact_text, register_secret


def test_short_values_are_not_registered_process_wide() -> None:
    register_secret("x")
    register_secret("acme")
    assert "x" not in known_secrets()
    assert redact_text("the token expired for acme") == "the token expired for acme"


def test_real_secrets_are_registered_with_their_encodings() -> None:
    value = "CANARY/" + "z" * MIN_REGISTERED_LENGTH
    register_secret(value)
    assert value in known_secrets()
    assert "CANARY%2F" + "z" * MIN_REGISTERED_LENGTH in known_secrets()
    assert redact_text(f"GET /a?t={value}") == "GET /a?t=***"
