"""The process-wide secret registry skips values too short to mask without shredding text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reposix._http.redact import MIN_REGISTERED_LENGTH, known_secrets, redact_text, register_secret
from reposix._redact import fresh_registry


@pytest.fixture(autouse=True)
def _hermetic_registry() -> Iterator[None]:
    """Secrets other tests registered (one-letter tokens such as ``t``) must not mask these."""
    with fresh_registry():
        yield


def test_short_values_are_masked_only_as_whole_tokens() -> None:
    register_secret("x")
    register_secret("acme")
    assert "acme" in known_secrets()
    # Never inside a word: a one-letter token does not shred every log line.
    assert redact_text("the token expired for acmecorp, x-ray") == (
        "the token expired for acmecorp, x-ray"
    )
    assert redact_text("the token expired for acme.") == "the token expired for ***."


def test_real_secrets_are_registered_with_their_encodings() -> None:
    value = "CANARY/" + "z" * MIN_REGISTERED_LENGTH
    register_secret(value)
    assert value in known_secrets()
    assert "CANARY%2F" + "z" * MIN_REGISTERED_LENGTH in known_secrets()
    assert redact_text(f"GET /a?t={value}") == "GET /a?t=***"
