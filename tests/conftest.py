"""Shared test configuration: hypothesis profiles and an isolated audit log."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

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
