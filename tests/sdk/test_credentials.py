"""Credentials come from env vars, every gap is reported at once, and values never show."""

from __future__ import annotations

import pytest

from reposix._credentials import from_env
from reposix._errors import MissingCredentials

CANARY = "CANARY-credential-7d1e"


def test_reads_required_and_optional() -> None:
    env = {"A": CANARY, "B": " padded ", "OPT": "o"}
    creds = from_env("x", ["A", "B"], ["OPT", "ABSENT"], environ=env)
    assert sorted(creds) == ["A", "B", "OPT"]
    assert creds["A"].reveal() == CANARY
    assert creds.text("B") == "padded"
    assert CANARY not in repr(creds)


def test_every_missing_var_is_listed() -> None:
    with pytest.raises(MissingCredentials) as info:
        from_env(
            "jira", ["JIRA_EMAIL", "JIRA_API_TOKEN", "SET"], environ={"SET": "1", "JIRA_EMAIL": " "}
        )
    assert info.value.missing == ("JIRA_EMAIL", "JIRA_API_TOKEN")
    text = str(info.value)
    assert "\n    JIRA_EMAIL\n" in text
    assert "\n    JIRA_API_TOKEN\n" in text
    assert text.endswith("docs: docs/credentials.md")
