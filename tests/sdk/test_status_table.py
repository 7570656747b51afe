"""The one HTTP status → typed error table (`reposix.StatusTable`) and its vendor overrides.

Defaults: RFC 9110 §15 (https://www.rfc-editor.org/rfc/rfc9110#section-15) and RFC 6585
§4 (https://www.rfc-editor.org/rfc/rfc6585#section-4). The vendor rows checked here are
the overrides the reference connectors declare, each citing its source in its table.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter

import reposix
from reposix import (
    DEFAULT_STATUSES,
    AuthError,
    ConfigError,
    InvalidRecord,
    NotFound,
    ProtocolError,
    RateLimited,
    ReposixError,
    StatusRule,
    StatusTable,
    VersionMismatch,
    raise_for_status,
)
from reposix._redact import OwnedSecrets


class _Err(BaseModel):
    message: str = ""


ERR = TypeAdapter(_Err)


def _response(
    status: int,
    body: Any = None,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    secret: str | None = None,
) -> httpx.Response:
    request = httpx.Request(method, "https://tracker.example/api/items/5?token=abc")
    content = b"" if body is None else json.dumps(body).encode()
    response = httpx.Response(status, content=content, request=request, headers=headers)
    if secret is not None:
        response.extensions["reposix.secrets"] = OwnedSecrets([secret])
    return response


@pytest.mark.parametrize(
    ("status", "method", "kind"),
    [
        (401, "GET", AuthError),
        (403, "GET", AuthError),
        (404, "GET", NotFound),
        (410, "GET", NotFound),
        (409, "PUT", VersionMismatch),
        (412, "PATCH", VersionMismatch),
        (422, "POST", InvalidRecord),
        (422, "GET", ProtocolError),  # 422 on a read is not a refused record
        (429, "GET", RateLimited),
        (400, "POST", ProtocolError),
        (500, "GET", ProtocolError),
        (503, "GET", ProtocolError),
        (302, "GET", ProtocolError),
    ],
)
def test_default_table_maps_each_status_to_its_kind(
    status: int, method: str, kind: type[ReposixError]
) -> None:
    err = DEFAULT_STATUSES.error_for(_response(status, method=method), what="op")
    assert type(err) is kind
    assert f"{status}" in str(err)


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_a_2xx_is_no_error(status: int) -> None:
    assert DEFAULT_STATUSES.error_for(_response(status), what="op") is None
    raise_for_status(_response(status), what="op")


def test_raise_for_status_keeps_its_contract() -> None:
    with pytest.raises(AuthError) as auth:
        raise_for_status(_response(401), what="list", env_vars=["TRACKER_TOKEN"])
    assert auth.value.env_vars == ("TRACKER_TOKEN",)
    assert "[GET https://tracker.example/api/items/5" in str(auth.value)
    assert "abc" not in str(auth.value)  # the URL is redacted
    with pytest.raises(VersionMismatch) as vm:
        raise_for_status(_response(412, method="PUT"), what="update", conflict_version=7)
    assert vm.value.expected == 7
    redirect = _response(301, headers={"location": "https://elsewhere.example/x?token=abc"})
    with pytest.raises(ProtocolError, match="unexpected redirect to https://elsewhere"):
        raise_for_status(redirect, what="get")


def test_vendor_rules_come_first_and_fall_back_to_the_defaults() -> None:
    table = StatusTable(
        "vendorx",
        error_adapter=ERR,
        render=lambda e: e.message,
        rules={
            403: StatusRule(
                RateLimited, "{vendor} refused for rate limiting", when=lambda m: "slow" in m
            )
        },
    )
    limited = table.error_for(_response(403, {"message": "slow down"}), what="list")
    assert isinstance(limited, RateLimited)
    assert "list: vendorx refused for rate limiting (HTTP 403: slow down)" in str(limited)
    # the predicate does not hold: the RFC default for 403
    refused = table.error_for(_response(403, {"message": "no"}), what="list")
    assert isinstance(refused, AuthError)
    assert "vendorx refused the credentials (HTTP 403: no)" in str(refused)


def test_writes_only_rules_and_an_explicit_write_flag() -> None:
    table = StatusTable("vendorx", rules={400: StatusRule(InvalidRecord, "bad", writes_only=True)})
    assert isinstance(table.error_for(_response(400, method="POST"), what="w"), InvalidRecord)
    assert isinstance(table.error_for(_response(400), what="r"), ProtocolError)
    login = _response(400, method="POST")
    assert isinstance(table.error_for(login, what="login", write=False), ProtocolError)


def test_not_found_names_what_is_missing_and_call_site_hints_win() -> None:
    table = StatusTable("vendorx", rules={404: StatusRule(NotFound, hint="check the id")})
    err = table.error_for(_response(404), what="get", missing="vendorx item 5 not found")
    assert isinstance(err, NotFound)
    assert err.message.startswith("vendorx item 5 not found (HTTP 404)")
    assert err.hint == "check the id"
    other = table.error_for(_response(404), what="list", hints={404: "check the project"})
    assert other is not None
    assert other.hint == "check the project"


def test_version_mismatch_carries_both_versions() -> None:
    err = DEFAULT_STATUSES.error_for(
        _response(412, method="PATCH"), what="update", expected_version=3, actual_version=4
    )
    assert isinstance(err, VersionMismatch)
    assert (err.expected, err.actual) == (3, 4)


def test_server_text_goes_through_the_one_redaction_path() -> None:
    secret = "tok-0123456789abcdef"
    table = StatusTable("vendorx", error_adapter=ERR, render=lambda e: e.message, limit=40)
    body = {"message": f"token {secret} is revoked " + "x" * 100}
    err = table.error_for(_response(401, body, secret=secret), what="get")
    assert err is not None
    assert secret not in str(err)
    assert "token *** is revoked" in str(err)
    assert "x" * 60 not in str(err)  # clipped to the table's limit


def test_a_body_that_is_not_the_vendor_shape_quotes_nothing() -> None:
    table = StatusTable("vendorx", error_adapter=ERR, render=lambda e: e.message)
    err = table.error_for(_response(401, ["not", "an", "object"]), what="get")
    assert err is not None
    assert "(HTTP 401)" in str(err)


def test_a_rule_must_raise_an_http_kind() -> None:
    with pytest.raises(ConfigError, match="cannot raise"):
        StatusRule(ConfigError)
    with pytest.raises(ConfigError):
        StatusRule(KeyError)  # type: ignore[arg-type]


def test_the_table_is_public() -> None:
    for name in ("StatusTable", "StatusRule", "DEFAULT_STATUSES", "raise_for_status"):
        assert name in reposix.__all__


def test_every_vendor_rule_names_its_source() -> None:
    from reposix_bitbucket.connector import STATUSES as BITBUCKET
    from reposix_confluence.connector import STATUSES as CONFLUENCE
    from reposix_github.connector import STATUSES as GITHUB
    from reposix_gitlab.connector import STATUSES as GITLAB
    from reposix_jira.connector import STATUSES as JIRA
    from reposix_rhythm.connector import STATUSES as RHYTHM

    for table in (BITBUCKET, CONFLUENCE, GITHUB, GITLAB, JIRA, RHYTHM):
        for status in table.rules:
            for rule in table.rules_for(status):
                assert rule.source, f"{table.vendor} {status} {rule}"


def test_github_403_with_a_rate_limit_message_is_rate_limited() -> None:
    from reposix_github.connector import STATUSES as GITHUB

    body = {"message": "You have exceeded a secondary rate limit."}
    assert isinstance(GITHUB.error_for(_response(403, body), what="list"), RateLimited)
    denied = GITHUB.error_for(_response(403, {"message": "Resource not accessible"}), what="x")
    assert isinstance(denied, AuthError)
    assert "issues: write" in (denied.hint or "")


def test_bitbucket_404_for_a_disabled_tracker_says_so() -> None:
    from reposix_bitbucket.connector import STATUSES as BITBUCKET

    body = {"type": "error", "error": {"message": "Repository has no issue tracker."}}
    err = BITBUCKET.error_for(_response(404, body), what="list", missing="acme/w not found")
    assert isinstance(err, NotFound)
    assert "issue tracker is disabled" in str(err)
    plain = BITBUCKET.error_for(_response(404, {}), what="list", missing="acme/w not found")
    assert plain is not None
    assert "disabled" not in plain.message
