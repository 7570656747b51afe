"""Typed errors: stable prefixes, carried fields, messages that teach the fix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reposix import _errors as E

CASES: list[tuple[E.ReposixError, str]] = [
    (E.NotFound("record 7 in demo"), "not found: "),
    (E.NotSupported("x cannot delete"), "not supported: "),
    (E.VersionMismatch("record 7", expected=2, actual=3), "version mismatch: "),
    (E.RateLimited("GET /x", retry_after=30.0), "rate limited: "),
    (E.AuthError("refused", env_vars=["GITHUB_TOKEN"]), "auth error: "),
    (E.EgressDenied("https://evil.example:443", ["http://127.0.0.1:*"]), "egress denied: "),
    (
        E.ProtocolError("bad page", method="GET", url="https://h/x", status=200, excerpt="{"),
        "protocol error: ",
    ),
    (E.TransportError("connect timeout"), "transport error: "),
    (E.InvalidRecord("title missing"), "invalid record: "),
    (E.ConfigError("bad entry"), "config error: "),
    (E.MissingCredentials("jira", ["JIRA_EMAIL", "JIRA_API_TOKEN"]), "missing credentials: "),
]


@pytest.mark.parametrize(("err", "prefix"), CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_prefix_and_docs_link(err: E.ReposixError, prefix: str) -> None:
    text = str(err)
    assert text.startswith(prefix)
    assert f"{E.DOCS}/" in text


def test_fields_are_carried() -> None:
    vm = E.VersionMismatch("r", expected=2, actual=3)
    assert (vm.expected, vm.actual) == (2, 3)
    until = datetime(2026, 1, 1, tzinfo=UTC)
    rl = E.RateLimited("x", retry_after=5.0, until=until)
    assert (rl.retry_after, rl.until) == (5.0, until)
    ed = E.EgressDenied("https://evil.example:443", ["http://127.0.0.1:*"])
    assert ed.origin == "https://evil.example:443"
    assert ed.allowlist == ("http://127.0.0.1:*",)
    assert "REPOSIX_ALLOWED_ORIGINS" in str(ed)
    pe = E.ProtocolError("bad", method="GET", url="https://h/x", status=502, excerpt="<html>")
    assert (pe.method, pe.url, pe.status, pe.excerpt) == ("GET", "https://h/x", 502, "<html>")
    assert "GET https://h/x -> 502" in str(pe)


def test_missing_credentials_lists_every_var_on_its_own_line() -> None:
    err = E.MissingCredentials("jira", ["JIRA_EMAIL", "JIRA_API_TOKEN", "REPOSIX_JIRA_INSTANCE"])
    lines = str(err).splitlines()
    for name in err.missing:
        assert any(line.strip() == name for line in lines), name


def test_auth_error_names_env_vars() -> None:
    assert "check GITHUB_TOKEN" in str(E.AuthError("refused", env_vars=["GITHUB_TOKEN"]))


@pytest.mark.parametrize(
    "error",
    [
        E.NotFound("record 7 of acme", hint="check the id"),
        E.VersionMismatch("record 7 changed", expected=3, actual=4),
        E.RateLimited("slow down", retry_after=12.5),
        E.MissingCredentials("github", ["GITHUB_TOKEN"]),
    ],
)
def test_errors_survive_pickling_unchanged(error: E.ReposixError) -> None:
    """Errors cross process boundaries (multiprocessing, pytest-xdist) as they were."""
    import pickle

    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert back.__dict__ == error.__dict__
