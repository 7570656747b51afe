"""The client factory records a missing ``sniffio`` once, so httpcore's per-lock probe is cheap."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from reposix._http._transport import build_async_client, remember_missing_sniffio


def test_missing_sniffio_is_remembered_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    build_async_client(connect_timeout=1, read_timeout=1, transport=None)
    marker: object = sys.modules["sniffio"]
    assert marker is None
    with pytest.raises(ImportError, match="sniffio"):
        importlib.import_module("sniffio")


def test_installed_sniffio_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    remember_missing_sniffio()
    assert "sniffio" not in sys.modules


def test_loaded_sniffio_is_never_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = ModuleType("sniffio")
    monkeypatch.setitem(sys.modules, "sniffio", fake)
    remember_missing_sniffio()
    assert sys.modules["sniffio"] is fake


async def test_httpcore_still_detects_asyncio_after_the_marker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from httpcore._synchronization import current_async_library

    monkeypatch.setitem(sys.modules, "sniffio", None)
    assert current_async_library() == "asyncio"
