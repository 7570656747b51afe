"""``Secret`` refuses every way of turning into text except ``reveal()``."""

from __future__ import annotations

import copy
import json
import logging
import pickle
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reposix._secret import Secret

VALUE = "CANARY-secret-value-1"

REFUSALS: dict[str, Callable[[Secret], Any]] = {
    "str": str,
    "f-string": lambda s: f"{s}",
    "f-string-spec": lambda s: f"{s:>30}",
    "format": lambda s: "{}".format(s),  # noqa: UP032 - the point is str.format
    "format-builtin": lambda s: format(s, ""),
    "percent": lambda s: "%s" % s,  # noqa: UP031 - the point is %-formatting
    "concat": lambda s: "Bearer " + s,  # type: ignore[operator]
    "join": lambda s: "".join([s]),  # type: ignore[list-item]
    "pickle": pickle.dumps,
    "pickle-0": lambda s: pickle.dumps(s, protocol=0),
    "json": json.dumps,
    "urlencode": lambda s: urllib.parse.urlencode({"token": s}),
    "quote": lambda s: urllib.parse.quote(s),  # type: ignore[call-overload]
    "httpx-params": lambda s: httpx.URL("http://h/", params={"token": s}),
}


@pytest.mark.parametrize("how", list(REFUSALS))
def test_refuses(how: str) -> None:
    with pytest.raises(TypeError):
        REFUSALS[how](Secret(VALUE))


def test_repr_is_redacted() -> None:
    secret = Secret(VALUE)
    assert repr(secret) == "Secret('***')"
    assert VALUE not in repr([secret, {"k": secret}])
    assert f"{secret!r}" == "Secret('***')"


def test_logging_with_repr_does_not_leak(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("reposix.test").info("creds: %r", Secret(VALUE))
    assert VALUE not in caplog.text


def test_reveal() -> None:
    assert Secret(VALUE).reveal() == VALUE


def test_equality_and_hash() -> None:
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret("other")
    assert Secret(VALUE) != VALUE
    assert len({Secret(VALUE), Secret(VALUE)}) == 1


def test_truthiness() -> None:
    assert Secret(VALUE)
    assert not Secret("")


def test_only_wraps_str() -> None:
    with pytest.raises(TypeError):
        Secret(b"bytes")  # type: ignore[arg-type]


def test_immutable_and_final() -> None:
    secret = Secret(VALUE)
    with pytest.raises(AttributeError):
        secret._Secret__value = "x"
    with pytest.raises(AttributeError):
        secret.other = 1
    with pytest.raises(TypeError):

        class Leaky(Secret):  # type: ignore[misc]
            def __repr__(self) -> str:
                return self.reveal()


def test_copies_share_without_revealing() -> None:
    secret = Secret(VALUE)
    assert copy.copy(secret) is secret
    assert copy.deepcopy({"s": secret})["s"] is secret
