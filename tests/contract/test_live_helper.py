"""The kit's live-test helper (`reposix_contract.live_session`): skips, runtime, cleanup.

Driven against the GitHub wire fake (respx), with the environment a real run would set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest
import respx

from reposix import DeleteReason, NotFound, RecordDraft, RecordId, RecordStatus
from reposix_contract import LiveSession, live_session
from reposix_contract._fakes import FakeStore, Knobs
from reposix_github import GitHubConnector, from_env
from reposix_github.fake import GitHubFake

API = "https://api.github.com"
TOKEN = "ghp_LIVEhelper0123456789abcdefLIVEhelper"
REPO = "octo/sandbox"
SKIP = pytest.skip.Exception

Body = Callable[[LiveSession[GitHubConnector]], Any]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubFake]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("REPOSIX_GITHUB_TEST_REPO", f" {REPO} ")
    monkeypatch.setenv("REPOSIX_ALLOWED_ORIGINS", API)
    gh = GitHubFake(FakeStore(), Knobs(), token=TOKEN)
    gh.store.add_project(REPO)
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        router.route(host="api.github.com").mock(side_effect=gh.handle)
        yield gh


async def _run(
    body: Body,
    *,
    project_var: str = "REPOSIX_GITHUB_TEST_REPO",
    credentials: Sequence[Sequence[str]] = (("GITHUB_TOKEN",),),
    origin: str | Callable[[Mapping[str, str]], str] = API,
    cleanup: Any = None,
) -> None:
    async with live_session(
        from_env,
        project_var=project_var,
        credentials=credentials,
        origin=origin,
        cleanup=cleanup,
    ) as live:
        await body(live)


async def _never(live: LiveSession[GitHubConnector]) -> None:
    pytest.fail("the body must not run")


@pytest.mark.usefixtures("fake")
async def test_missing_variables_skip_naming_what_to_set() -> None:
    with pytest.raises(SKIP, match="set GITHUB_TOKEN and REPOSIX_NOPE_REPO"):
        await _run(_never, project_var="REPOSIX_NOPE_REPO")
    with pytest.raises(SKIP, match=r"one of A \+ B \| C and REPOSIX_GITHUB_TEST_REPO"):
        await _run(_never, credentials=[("A", "B"), ("C",)])


@pytest.mark.usefixtures("fake")
async def test_an_origin_outside_the_allowlist_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPOSIX_ALLOWED_ORIGINS", "https://elsewhere.example")
    with pytest.raises(SKIP, match=r"does not include https://api\.github\.com"):
        await _run(_never)


async def test_every_created_record_is_cleaned_up_even_when_the_test_fails(
    fake: GitHubFake,
) -> None:
    seen: list[GitHubConnector] = []

    async def body(live: LiveSession[GitHubConnector]) -> None:
        seen.append(live.connector)
        assert live.project == REPO  # stripped
        assert live.env["GITHUB_TOKEN"] == TOKEN
        first = await live.create(RecordDraft(title="one"))
        second = await live.create(RecordDraft(title="two"))
        patch = live.patch(first, status=RecordStatus.IN_PROGRESS)
        updated = await live.connector.update_record(REPO, first.id, patch)
        assert updated.status is RecordStatus.IN_PROGRESS
        assert live.created == [first.id, second.id]
        raise AssertionError("the test's own failure")

    with pytest.raises(AssertionError, match="the test's own failure"):
        await _run(body, origin=lambda env: API)
    statuses = {r.title: r.status for r in fake.store.list(REPO)}
    assert statuses == {"one": RecordStatus.WONT_FIX, "two": RecordStatus.WONT_FIX}
    assert seen[0]._http._client.is_closed  # the connector was closed too


async def test_a_failed_cleanup_fails_a_passing_test_after_the_others_ran(
    fake: GitHubFake,
) -> None:
    removed: list[RecordId] = []

    async def flaky(connector: GitHubConnector, project: str, record_id: RecordId) -> None:
        removed.append(record_id)
        if len(removed) == 1:
            raise NotFound("already gone")
        await connector.delete_or_close(project, record_id, DeleteReason.ABANDONED)

    async def body(live: LiveSession[GitHubConnector]) -> None:
        await live.create(RecordDraft(title="one"))
        await live.create(RecordDraft(title="two"))

    with pytest.raises(NotFound, match="already gone"):
        await _run(body, cleanup=flaky)
    first, second = sorted(r.id for r in fake.store.list(REPO))
    assert removed == [second, first]  # newest first, both attempted
    statuses = {r.id: r.status for r in fake.store.list(REPO)}
    assert statuses == {first: RecordStatus.WONT_FIX, second: RecordStatus.OPEN}


async def test_a_cleanup_failure_is_noted_on_the_tests_own_failure(fake: GitHubFake) -> None:
    async def broken(connector: GitHubConnector, project: str, record_id: RecordId) -> None:
        raise NotFound("cleanup broke")

    async def body(live: LiveSession[GitHubConnector]) -> None:
        await live.create(RecordDraft(title="one"))
        raise AssertionError("body")

    with pytest.raises(AssertionError, match="body") as info:
        await _run(body, cleanup=broken)
    assert any("cleanup broke" in note for note in info.value.__notes__)
    assert [r.status for r in fake.store.list(REPO)] == [RecordStatus.OPEN]


@pytest.mark.usefixtures("fake")
async def test_audit_rows_under_another_name_fail_the_session() -> None:
    async def body(live: LiveSession[GitHubConnector]) -> None:
        created = await live.create(RecordDraft(title="x"))
        await live.connector.get_record(REPO, created.id)
        assert {e.connector for e in live.audit.events} == {"github"}
        stray = dataclasses.replace(live.audit.events[0], connector="stray")
        live.audit.append(stray)

    with pytest.raises(AssertionError, match="audit rows under other names"):
        await _run(body)


def test_the_helper_is_public() -> None:
    import reposix_contract

    assert {"LiveSession", "live_session"} <= set(reposix_contract.__all__)
