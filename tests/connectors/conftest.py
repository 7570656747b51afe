"""Fixtures every connector's tests share: a strict respx router and the vendor payloads."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import respx


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    """A respx router; any unmocked request (decoys included) fails the test."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def load(request: pytest.FixtureRequest) -> Callable[[str], Any]:
    """Load a vendor example payload by file name from the test's own ``fixtures/``."""
    fixtures = request.path.parent / "fixtures"

    def read(name: str) -> Any:
        return json.loads((fixtures / name).read_text(encoding="utf-8"))

    return read
