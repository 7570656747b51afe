"""Shared test configuration: hypothesis profiles, an isolated audit log, and a secret
registry that forgets each test's secrets."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from reposix._redact import scoped_registry

# fast: the default for developers; ci: deterministic; thorough: many more examples.
settings.register_profile(
    "fast", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "fast")
)


@pytest.fixture(autouse=True)
def _isolated_audit_db(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test writes to the developer's real audit log."""
    monkeypatch.setenv("REPOSIX_AUDIT_DB", ":memory:")
    yield


@pytest.fixture(autouse=True)
def _scoped_secret_registry() -> Iterator[None]:
    """Secrets a test registers are forgotten after it. The process-wide registry only
    grows, and every log line and error is scanned for each form of each secret: by the end
    of a serial session thousands had piled up and later tests ran about twice as slow (and
    a test could pass on a secret an earlier test registered). Registrations made at import
    or by module- and session-scoped fixtures (set up before this fixture) stay."""
    with scoped_registry():
        yield
