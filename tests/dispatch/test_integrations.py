"""The integration registry: TOML schema validation and concurrent fan-out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reposix import AuthError, ConfigError, EgressDenied, RateLimited
from reposix._integrations import Integration, fan_out, load_registry

GOOD = """
[integrations.upstream]
connector = "github"
project = "octo-org/hello"
enabled = true

[integrations.tickets]
connector = "jira"
project = "OPS"
enabled = true
[integrations.tickets.options]
page_size = 50

[integrations.wiki]
connector = "confluence"
project = "DOCS"

[integrations.local]
connector = "sim"
project = "demo"
enabled = true
url = "http://localhost:7878/projects/demo"
"""
ENV = {
    "GITHUB_TOKEN": "t",
    "JIRA_EMAIL": "a@example.com",
    "JIRA_API_TOKEN": "t",
    "REPOSIX_JIRA_INSTANCE": "acme",
    "REPOSIX_CONFLUENCE_TENANT": "acme",
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "integrations.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_loads_every_integration(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path, GOOD), environ=ENV)
    assert [i.name for i in registry.enabled()] == ["local", "tickets", "upstream"]
    assert registry.get("wiki").enabled is False
    assert registry.get("tickets").url == "https://acme.atlassian.net/jira/projects/OPS"
    assert registry.get("tickets").page_size == 50
    assert registry.get("local").url == "http://localhost:7878/projects/demo"
    with pytest.raises(ConfigError, match="configured: local, tickets, upstream, wiki"):
        registry.get("nope")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '[integrations.a]\nconnector = "sim"\nproject = "demo"\ncolour = "red"\n',
            "integrations.a.colour: Extra inputs are not permitted",
        ),
        (
            '[integrations.a]\nconnector = "sim"\nproject = "demo"\nenabled = "yes"\n',
            "integrations.a.enabled: Input should be a valid boolean",
        ),
        (
            '[integrations.a]\nconnector = "sim"\nproject = "demo"\n[integrations.a.options]\npage_size = "5"\n',
            "integrations.a.options.page_size",
        ),
        ('[integrations.a]\nproject = "demo"\n', "integrations.a.connector: Field required"),
        ('[integration.a]\nconnector = "sim"\n', "integration: Extra inputs"),
        (
            '[integrations.a]\nconnector = "nosuch"\nproject = "x"\n',
            "integrations.a: no installed connector",
        ),
        (
            '[integrations.a]\nconnector = "github"\nproject = "x"\n',
            "integrations.a: github projects look like",
        ),
        (
            '[integrations.a]\nconnector = "sim"\nproject = "demo"\nurl = "https://api.github.com/projects/o/r"\n',
            "url names github::o/r",
        ),
        ("[integrations.a\n", "not valid TOML"),
    ],
)
def test_schema_errors_are_clear(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_registry(write(tmp_path, text), environ=ENV)
    assert says in str(info.value)


def test_enabled_without_credentials_lists_what_is_missing(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if k not in ("GITHUB_TOKEN", "JIRA_API_TOKEN")}
    with pytest.raises(ConfigError) as info:
        load_registry(write(tmp_path, GOOD), environ=env)
    text = str(info.value)
    assert "2 invalid integration(s)" in text
    assert "integrations.upstream: enabled, but github needs GITHUB_TOKEN" in text
    assert "integrations.tickets: enabled, but jira needs JIRA_API_TOKEN" in text
    assert "wiki" not in text, "a disabled integration needs no credentials"


async def test_one_integration_failing_never_cancels_or_hides_the_others() -> None:
    finished: list[str] = []
    errors = {
        "auth": AuthError("token revoked"),
        "limited": RateLimited("slow down", retry_after=None),
        "egress": EgressDenied("https://evil.example", ["https://api.github.com"]),
    }

    async def run(integration: Integration) -> str:
        if integration.name in errors:
            raise errors[integration.name]
        await asyncio.sleep(0.01)  # still running when the others have failed
        finished.append(integration.name)
        return f"{integration.name} done"

    names = ["auth", "slow", "limited", "egress", "fine"]
    outcomes = await fan_out(
        [Integration(n, "sim", "demo", True, "http://127.0.0.1:7878/projects/demo") for n in names],
        run,
    )
    assert [o.name for o in outcomes] == names
    assert sorted(finished) == ["fine", "slow"]
    by_name = {o.name: o for o in outcomes}
    assert by_name["slow"].ok
    assert by_name["slow"].value == "slow done"
    for name, error in errors.items():
        assert not by_name[name].ok
        assert by_name[name].error is error
