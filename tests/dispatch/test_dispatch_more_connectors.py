"""Dispatch for the connectors built alongside this one (GitLab, Bitbucket, Linear, Rhythm).

Each case is skipped, with the reason, while its connector is not installed; once its
plugin is merged the case runs against the plugin's own declarations.
"""

from __future__ import annotations

import pytest

from reposix import RemoteUrlError, load_plugins, parse_remote_url, spec_to_url, url_to_spec

INSTALLED = load_plugins()

CASES = [
    # (connector, url, origin, project, base_url)
    (
        "gitlab",
        "https://gitlab.com/projects/group/project",
        "https://gitlab.com",
        "group/project",
        "https://gitlab.com/api/v4",
    ),
    (
        "gitlab",
        "https://gitlab.com/projects/group/sub/deeper/project",
        "https://gitlab.com",
        "group/sub/deeper/project",
        "https://gitlab.com/api/v4",
    ),
    (
        "gitlab",
        "https://git.corp.example/gitlab/projects/platform/infra/api",
        "https://git.corp.example",
        "platform/infra/api",
        "https://git.corp.example/api/v4",
    ),
    (
        "gitlab",
        "https://git.corp.example:8443/gitlab/projects/a/b",
        "https://git.corp.example:8443",
        "a/b",
        "https://git.corp.example:8443/api/v4",
    ),
    (
        "bitbucket",
        "https://api.bitbucket.org/projects/acme/widgets",
        "https://api.bitbucket.org",
        "acme/widgets",
        "https://api.bitbucket.org/2.0",
    ),
    (
        "bitbucket",
        "https://bitbucket.org/acme/widgets",
        "https://bitbucket.org",
        "acme/widgets",
        "https://api.bitbucket.org/2.0",
    ),
    (
        "linear",
        "https://api.linear.app/projects/ENG",
        "https://api.linear.app",
        "ENG",
        "https://api.linear.app",
    ),
    (
        "rhythm",
        "https://rhythm.corp.example/rhythm/projects/acme/tracker",
        "https://rhythm.corp.example",
        "acme/tracker",
        "https://rhythm.corp.example",
    ),
    (
        "rhythm",
        "rhythm://acme/tracker",
        "http://localhost:8080",
        "acme/tracker",
        "http://localhost:8080",
    ),
    (
        "rhythm",
        "http://localhost:8080/rhythm/projects/acme/tracker",
        "http://localhost:8080",
        "acme/tracker",
        "http://localhost:8080",
    ),
]


def _skip_unless(connector: str) -> None:
    if connector not in INSTALLED:
        pytest.skip(f"the {connector} connector is not installed (its branch has not merged)")


@pytest.mark.parametrize(("connector", "url", "origin", "project", "base"), CASES)
def test_forms_of_the_later_connectors(
    connector: str, url: str, origin: str, project: str, base: str
) -> None:
    _skip_unless(connector)
    parsed = parse_remote_url("reposix::" + url)
    assert (parsed.connector, parsed.origin, parsed.project) == (connector, origin, project)
    assert parsed.base_url == base


@pytest.mark.parametrize(
    ("connector", "project"),
    [
        ("gitlab", "group/sub/project"),
        ("bitbucket", "acme/widgets"),
        ("linear", "ENG"),
        ("rhythm", "acme/tracker"),
    ],
)
def test_specs_of_the_later_connectors_round_trip(connector: str, project: str) -> None:
    _skip_unless(connector)
    spec = f"{connector}::{project}"
    assert url_to_spec(spec_to_url(spec, environ={})) == spec


def test_gitlab_needs_a_group_and_a_project() -> None:
    _skip_unless("gitlab")
    with pytest.raises(RemoteUrlError) as info:
        parse_remote_url("https://gitlab.com/projects/lonely")
    assert info.value.reason in {"shape", "empty-project"}
