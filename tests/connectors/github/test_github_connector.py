"""The connector against hand-written responses: headers, pagination, errors, traps."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from reposix import load_plugins
from reposix._audit import MemoryAuditSink
from reposix._credentials import Credentials
from reposix._errors import (
    AuthError,
    ConfigError,
    InvalidRecord,
    MissingCredentials,
    NotFound,
    ProtocolError,
    RateLimited,
    ReposixError,
)
from reposix._records import RecordDraft, RecordStatus
from reposix._runtime import Runtime
from reposix._secret import Secret
from reposix._taint import Tainted, sanitize_for_create
from reposix_github import from_env, plugin
from reposix_github.connector import GitHubConnector

Load = Callable[[str], Any]
Build = Callable[..., GitHubConnector]

CANARY = "ghp_CANARYcanary0123456789abcdefCANARY99"
REPO = "https://api.github.com/repos/octo-org/hello-world/issues"


def issue(number: int, *, updated: str = "2026-01-01T00:00:00Z", **fields: Any) -> dict[str, Any]:
    """A minimal issue item shaped like GitHub's (URL fields omitted on purpose)."""
    body: dict[str, Any] = {
        "number": number,
        "title": f"issue {number}",
        "body": None,
        "state": "open",
        "state_reason": None,
        "labels": [],
        "assignee": None,
        "assignees": [],
        "created_at": "2025-12-01T00:00:00Z",
        "updated_at": updated,
    }
    body.update(fields)
    return body


def pull(number: int, **fields: Any) -> dict[str, Any]:
    return issue(number, pull_request={"url": f"https://decoy.invalid/pulls/{number}"}, **fields)


def page_of(items: list[dict[str, Any]], next_url: str | None = None) -> httpx.Response:
    headers = {"link": f'<{next_url}>; rel="next"'} if next_url else {}
    return httpx.Response(200, json=items, headers=headers)


# -- headers and credentials ----------------------------------------------------------------


async def test_auth_and_api_headers_byte_for_byte(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    route = mock.get(f"{REPO}/1").respond(200, json=issue(1))
    await connector.get_record("octo-org/hello-world", 1)
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {CANARY}"
    assert sent.headers["accept"] == "application/vnd.github+json"
    assert sent.headers["x-github-api-version"] == "2022-11-28"


def test_missing_credentials_lists_the_env_var() -> None:
    with pytest.raises(MissingCredentials) as info:
        from_env(environ={"GITHUB_TOKEN": "  "})
    assert info.value.missing == ("GITHUB_TOKEN",)
    assert "\n    GITHUB_TOKEN\n" in str(info.value)
    with pytest.raises(MissingCredentials, match="GITHUB_TOKEN"):
        plugin.build("https://api.github.com", Credentials({}), Runtime())


async def test_plugin_declaration(runtime: Runtime) -> None:
    templates = [getattr(f, "template", f) for f in plugin.url_forms]
    assert templates[0] == "https://api.github.com/projects/{owner}/{repo}"  # ADR-008 canonical
    assert "https://github.com/{owner}/{repo}" in templates
    # Registered under its name (pyproject's entry point), not just declared.
    assert load_plugins()["github"] is plugin
    conn = plugin.build(
        plugin.default_base_url, Credentials({"GITHUB_TOKEN": Secret("x")}), runtime
    )
    try:
        assert isinstance(conn, GitHubConnector)
        assert conn.name == "github"
    finally:
        await conn.aclose()
    fake = plugin.load_fake()()
    assert fake.projects.seeded == plugin.sample_project
    assert fake.base_url == plugin.default_base_url
    assert "GITHUB_TOKEN" in fake.credentials


@pytest.mark.parametrize("project", ["octo-org", "a/b/c", "/repo", "owner/", "-x/repo", "o/.."])
async def test_bad_project_is_a_config_error_before_any_request(
    mock: respx.MockRouter, connector: GitHubConnector, project: str
) -> None:
    with pytest.raises(ConfigError, match="owner/repo"):
        await connector.list_records(project)
    with pytest.raises(ConfigError):
        await connector.get_record(project, 1)
    assert not mock.calls


async def test_enterprise_base_url_keeps_its_path(mock: respx.MockRouter, build: Build) -> None:
    from reposix._http import Allowlist

    conn = build(
        base_url="https://ghe.example.com/api/v3",
        allowlist=Allowlist.parse("https://ghe.example.com"),
    )
    route = mock.get("https://ghe.example.com/api/v3/repos/o/r/issues/5").respond(
        200, json=issue(5)
    )
    assert (await conn.get_record("o/r", 5)).id == 5
    assert route.called


# -- listing --------------------------------------------------------------------------------


async def test_pagination_follows_githubs_recorded_link_headers(
    mock: respx.MockRouter, connector: GitHubConnector, load: Load
) -> None:
    """The five real pages of octokit's paginate-issues scenario, Link headers verbatim."""
    pages = load("paginate-issues.json")["pages"]
    first = mock.get(REPO).mock(return_value=page_of([]))
    for number, page in enumerate(pages, start=1):
        response = httpx.Response(200, json=page["body"], headers={"link": page["link"]})
        if number == 1:
            first.mock(return_value=response)
        else:
            mock.get(
                "https://api.github.com/repositories/1000/issues",
                params={"per_page": "3", "page": str(number)},
            ).mock(return_value=response)
    records = await connector.list_records_complete("octo-org/hello-world")
    assert records.is_complete
    assert [r.id for r in records.records] == list(range(13, 0, -1))
    assert len(mock.calls) == 5
    params = mock.calls[0].request.url.params
    assert (params["state"], params["per_page"]) == ("all", "100")
    assert all(r.body == "" and r.status is RecordStatus.OPEN for r in records.records)


async def test_page_size_comes_from_the_runtime(mock: respx.MockRouter, build: Build) -> None:
    route = mock.get(REPO).respond(200, json=[])
    await build(page_size=7).list_records("octo-org/hello-world")
    await build(page_size=500).list_records("octo-org/hello-world")
    sizes = [c.request.url.params["per_page"] for c in route.calls]
    assert sizes == ["7", "100"]


async def test_pull_requests_are_skipped_and_do_not_count_against_the_cap(
    mock: respx.MockRouter, build: Build
) -> None:
    # respx matches routes in order: the more specific page-2 route goes first.
    mock.get(REPO, params={"page": "2"}).mock(return_value=page_of([pull(5), issue(6)]))
    mock.get(REPO).mock(
        return_value=page_of([issue(1), pull(2), pull(3), issue(4)], f"{REPO}?page=2")
    )
    full = await build().list_records_complete("octo-org/hello-world")
    assert [r.id for r in full.records] == [1, 4, 6]
    assert full.is_complete

    capped = await build(max_records=2).list_records_complete("octo-org/hello-world")
    assert [r.id for r in capped.records] == [1, 4]
    assert not capped.is_complete

    exact = await build(max_records=3).list_records_complete("octo-org/hello-world")
    assert [r.id for r in exact.records] == [1, 4, 6]
    assert exact.is_complete


async def test_only_pull_requests_is_an_empty_listing(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    mock.get(REPO).respond(200, json=[pull(1), pull(2)])
    listing = await connector.list_records_complete("octo-org/hello-world")
    assert listing.records == []
    assert listing.is_complete


async def test_unknown_repository_is_not_found(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    mock.get(REPO).respond(404, json={"message": "Not Found", "documentation_url": "x"})
    with pytest.raises(NotFound, match="repository octo-org/hello-world"):
        await connector.list_records("octo-org/hello-world")


async def test_since_is_inclusive_on_github_so_the_connector_filters_strictly(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    since = datetime(2026, 1, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    route = mock.get(REPO).respond(
        200,
        json=[
            issue(1, updated="2026-01-01T12:00:00Z"),  # same second, before since: GitHub sends it
            issue(2, updated="2026-01-01T12:00:01Z"),
            pull(3, updated="2026-01-01T12:00:05Z"),
            issue(4, updated="2026-01-02T00:00:00Z"),
        ],
    )
    assert await connector.list_changed_since("octo-org/hello-world", since) == [2, 4]
    params = route.calls.last.request.url.params
    assert params["since"] == "2026-01-01T12:00:00Z"
    assert (params["sort"], params["direction"], params["state"]) == ("updated", "asc", "all")

    exact = datetime(2026, 1, 1, 12, 0, 1, tzinfo=UTC)
    assert await connector.list_changed_since("octo-org/hello-world", exact) == [4]


async def test_naive_since_is_refused(connector: GitHubConnector) -> None:
    with pytest.raises(ConfigError, match="timezone-aware"):
        await connector.list_changed_since("o/r", datetime(2026, 1, 1))


# -- get ------------------------------------------------------------------------------------


async def test_pull_request_number_is_not_found_saying_so(
    mock: respx.MockRouter, connector: GitHubConnector, load: Load
) -> None:
    mock.get(f"{REPO}/1347").respond(200, json=load("issue-items-pull-request.json")[0])
    with pytest.raises(NotFound, match="is a pull request"):
        await connector.get_record("octo-org/hello-world", 1347)


@pytest.mark.parametrize("status", [404, 410])
async def test_missing_issue_is_not_found(
    mock: respx.MockRouter, connector: GitHubConnector, status: int
) -> None:
    mock.get(f"{REPO}/9").respond(status, json={"message": "Not Found"})
    with pytest.raises(NotFound, match="octo-org/hello-world#9"):
        await connector.get_record("octo-org/hello-world", 9)


# -- errors ---------------------------------------------------------------------------------


async def test_401_is_an_auth_error_naming_the_env_var(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    body = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
    mock.get(f"{REPO}/1").respond(401, json=body)
    mock.get(REPO).respond(401, json=body)
    with pytest.raises(AuthError, match="GITHUB_TOKEN") as info:
        await connector.get_record("octo-org/hello-world", 1)
    assert info.value.env_vars == ("GITHUB_TOKEN",)
    assert "Bad credentials" in str(info.value)
    with pytest.raises(AuthError, match="GITHUB_TOKEN"):
        await connector.list_records("octo-org/hello-world")


async def test_plain_403_is_an_auth_error(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    mock.get(f"{REPO}/1").respond(
        403,
        json={"message": "Resource not accessible by personal access token"},
        headers={"x-ratelimit-remaining": "4999", "x-ratelimit-reset": "1767229200"},
    )
    with pytest.raises(AuthError, match="GITHUB_TOKEN") as info:
        await connector.get_record("octo-org/hello-world", 1)
    assert "Resource not accessible" in str(info.value)


async def test_403_primary_rate_limit_is_waited_out(
    mock: respx.MockRouter, connector: GitHubConnector, runtime: Runtime
) -> None:
    reset = int(runtime.clock.now().timestamp()) + 30
    limited = httpx.Response(
        403,
        json={"message": "API rate limit exceeded for user ID 1."},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )
    mock.get(f"{REPO}/1").mock(side_effect=[limited, httpx.Response(200, json=issue(1))])
    assert (await connector.get_record("octo-org/hello-world", 1)).id == 1
    assert runtime.clock.monotonic() >= 30


@pytest.mark.parametrize(
    "headers",
    [
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1767229230"},
        {"retry-after": "20"},
    ],
)
async def test_persistent_403_rate_limit_is_rate_limited_not_auth(
    mock: respx.MockRouter, connector: GitHubConnector, headers: dict[str, str]
) -> None:
    mock.get(f"{REPO}/1").respond(
        403, json={"message": "You have exceeded a secondary rate limit."}, headers=headers
    )
    with pytest.raises(RateLimited):
        await connector.get_record("octo-org/hello-world", 1)


SECONDARY_BODY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you "
    "try again. If you reach out to GitHub Support for help, please include the request ID "
    "E198:4063:33BD6:375FF:652AAB04.",
    "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "rate-limits-for-the-rest-api#about-secondary-rate-limits",
}


async def test_secondary_limit_in_the_body_only_waits_a_minute_then_reads(
    mock: respx.MockRouter, connector: GitHubConnector, runtime: Runtime
) -> None:
    """A 403 with no Retry-After and no x-ratelimit-* headers, only the body: wait >= 60 s.

    Source: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
    #exceeding-the-rate-limit ("wait for at least one minute before retrying").
    """
    route = mock.get(f"{REPO}/1").mock(
        side_effect=[httpx.Response(403, json=SECONDARY_BODY), httpx.Response(200, json=issue(1))]
    )
    start = runtime.clock.monotonic()
    assert (await connector.get_record("octo-org/hello-world", 1)).id == 1
    assert route.call_count == 2
    assert runtime.clock.monotonic() - start >= 60


async def test_persistent_secondary_limit_is_rate_limited_after_growing_waits(
    mock: respx.MockRouter, connector: GitHubConnector, runtime: Runtime
) -> None:
    """Repeats wait exponentially longer, then raise (same GitHub source as above)."""
    route = mock.get(f"{REPO}/1").respond(403, json=SECONDARY_BODY)
    with pytest.raises(RateLimited, match="secondary rate limit") as info:
        await connector.get_record("octo-org/hello-world", 1)
    assert route.call_count == 2  # sent, waited 60 s, sent again; the next wait (120 s) is over
    assert (info.value.retry_after or 0) >= 120


async def test_secondary_limit_on_create_is_not_resent(
    mock: respx.MockRouter, connector: GitHubConnector, runtime: Runtime
) -> None:
    """A POST is never re-sent (GitHub has no idempotency key); the next request still waits.

    Source: https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api
    #handle-rate-limit-errors-appropriately.
    """
    post = mock.post(REPO).respond(403, json=SECONDARY_BODY)
    get = mock.get(f"{REPO}/1").respond(200, json=issue(1))
    draft = sanitize_for_create(Tainted(RecordDraft(title="t", body="b")))
    with pytest.raises(RateLimited, match="secondary rate limit"):
        await connector.create_record("octo-org/hello-world", draft)
    assert post.call_count == 1
    before = runtime.clock.monotonic()
    await connector.get_record("octo-org/hello-world", 1)
    assert get.call_count == 1
    assert runtime.clock.monotonic() - before >= 60


async def test_listing_401_carries_githubs_message_and_names_the_token(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    body = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
    mock.get(REPO).respond(401, json=body)
    with pytest.raises(AuthError) as info:
        await connector.list_records("octo-org/hello-world")
    err = info.value
    assert "github rejected the token (HTTP 401: Bad credentials)" in str(err)
    assert err.env_vars == ("GITHUB_TOKEN",)
    assert "check GITHUB_TOKEN" in (err.hint or "")


async def test_listing_secondary_limit_without_headers_is_rate_limited(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    """On page 2, mid-listing: the connector's mapping applies to every page, not only the first."""
    mock.get(REPO, params={"page": "2"}).respond(403, json=SECONDARY_BODY)
    mock.get(REPO).mock(return_value=page_of([issue(1)], f"{REPO}?page=2"))
    with pytest.raises(RateLimited, match="secondary rate limit"):
        await connector.list_records("octo-org/hello-world")


async def test_incremental_listing_uses_the_same_mapping(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    mock.get(REPO).respond(403, json={"message": "You have exceeded a secondary rate limit."})
    since = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(RateLimited, match="secondary rate limit"):
        await connector.list_changed_since("octo-org/hello-world", since)


async def test_listing_plain_403_is_still_an_auth_error_with_githubs_message(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    mock.get(REPO).respond(403, json={"message": "Resource not accessible by integration"})
    with pytest.raises(AuthError, match="Resource not accessible by integration") as info:
        await connector.list_records("octo-org/hello-world")
    assert info.value.env_vars == ("GITHUB_TOKEN",)


async def test_listing_a_missing_repository_is_not_found_naming_it(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    mock.get(REPO).respond(404, json={"message": "Not Found"})
    with pytest.raises(NotFound, match="github repository octo-org/hello-world not found") as info:
        await connector.list_records("octo-org/hello-world")
    assert "owner/repo spelling" in (info.value.hint or "")


async def test_422_on_create_is_invalid_record_with_githubs_message(
    mock: respx.MockRouter, connector: GitHubConnector, load: Load
) -> None:
    mock.post(REPO).respond(422, json=load("error-422.json")["body"])
    draft = sanitize_for_create(Tainted(RecordDraft(title="x")))
    with pytest.raises(InvalidRecord, match="Validation Failed") as info:
        await connector.create_record("octo-org/hello-world", draft)
    assert "Label color invalid" in str(info.value)


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"number": 1, "title": "x"', b'{"title": "no number"}', b"[]", b""],
)
async def test_malformed_get_is_a_protocol_error(
    mock: respx.MockRouter, connector: GitHubConnector, content: bytes
) -> None:
    mock.get(f"{REPO}/1").respond(200, content=content)
    with pytest.raises(ProtocolError):
        await connector.get_record("octo-org/hello-world", 1)


async def test_malformed_page_is_a_protocol_error_not_a_partial_listing(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    mock.get(REPO, params={"page": "2"}).respond(200, content=b'[{"number": 2, "tit')
    mock.get(REPO).mock(return_value=page_of([issue(1)], f"{REPO}?page=2"))
    with pytest.raises(ProtocolError, match=r"shape|JSON|json"):
        await connector.list_records("octo-org/hello-world")


async def test_missing_number_in_a_page_is_a_protocol_error(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    broken = issue(2)
    del broken["number"]
    mock.get(REPO).respond(200, json=[issue(1), broken])
    with pytest.raises(ProtocolError, match="number"):
        await connector.list_records("octo-org/hello-world")


async def test_the_token_never_shows(
    mock: respx.MockRouter, connector: GitHubConnector, runtime: Runtime
) -> None:
    echo = {"message": f"Bad credentials {CANARY}", "documentation_url": f"https://x/?t={CANARY}"}
    mock.get(f"{REPO}/1").respond(401, json=echo)
    mock.get(f"{REPO}/2").respond(500, content=f"oops {CANARY}".encode())
    mock.get(f"{REPO}/3").respond(403, json=echo)
    errors: list[ReposixError] = []
    for number in (1, 2, 3):
        with pytest.raises(ReposixError) as info:
            await connector.get_record("octo-org/hello-world", number)
        errors.append(info.value)
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [repr(connector)]
    audit = runtime.audit
    assert isinstance(audit, MemoryAuditSink)
    texts += [json.dumps(e.url) for e in audit.events]
    assert all(CANARY not in text for text in texts), [t for t in texts if CANARY in t]


async def test_naive_recent_update_makes_a_bigger_version(
    mock: respx.MockRouter, connector: GitHubConnector
) -> None:
    later = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=1)
    mock.get(f"{REPO}/1").respond(200, json=issue(1, updated="2026-01-01T00:00:00Z"))
    mock.get(f"{REPO}/2").respond(200, json=issue(2, updated=later.strftime("%Y-%m-%dT%H:%M:%SZ")))
    one = await connector.get_record("octo-org/hello-world", 1)
    two = await connector.get_record("octo-org/hello-world", 2)
    assert two.version == one.version + 1


def test_importing_the_package_stays_light() -> None:
    """Plugin discovery imports every connector package: ours loads no HTTP stack."""
    import subprocess
    import sys

    code = (
        "import sys, reposix_github\n"
        "heavy = [m for m in ('httpx', 'pydantic', 'respx', 'reposix_contract',"
        " 'reposix_github.connector', 'reposix_github.fake') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
