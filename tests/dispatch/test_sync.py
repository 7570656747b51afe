"""``reposix sync``: sim → two sim projects, sim → the GitHub and Jira wire fakes;
idempotence, resume after a kill in the crash window and after a failing target."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from reposix import (
    Allowlist,
    BackendConnector,
    ConfigError,
    MemoryAuditSink,
    NotFound,
    ParsedRemote,
    Record,
    RecordDraft,
    RecordStatus,
    Runtime,
    Secret,
    TransportError,
    Untainted,
)
from reposix._clock import VirtualClock
from reposix._sync import SyncJob, SyncState, run_job, run_jobs
from reposix.sim._app import SimApp, create_app
from reposix.sim._backend import SimBackend
from reposix_contract._fakes import FakeStore, Knobs
from reposix_github.connector import GitHubConnector
from reposix_github.fake import GitHubFake
from reposix_jira.connector import JiraConnector
from reposix_jira.fake import JiraFake

SIM = "http://127.0.0.1:7878"
GH = "https://api.github.com"
SITE = "https://reposix-test.atlassian.net"
ENV = {"REPOSIX_JIRA_INSTANCE": "reposix-test"}


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing catches it."""


@pytest.fixture
def app() -> SimApp:
    sim = create_app(clock=VirtualClock())
    for project in ("mirror-a", "mirror-b"):
        sim.store.add_project(project)
    return sim


class Wiring:
    """Builds connectors against in-process servers; can arm a kill or failure."""

    def __init__(self, app: SimApp, mock: respx.MockRouter) -> None:
        self.app = app
        self.transport = httpx.ASGITransport(app=app)
        self.github = GitHubFake(FakeStore(VirtualClock()), Knobs(), token="gh-token")
        self.github.store.add_project("octo/mirror")
        self.jira = JiraFake(FakeStore(), Knobs(), email="bot@example.com", token="jira-token")
        self.jira.store.add_project("MIR")
        mock.route(host="api.github.com").mock(side_effect=self.github.handle)
        mock.route(url__startswith=SITE).mock(side_effect=self.jira.handle)
        self.kill_after: dict[str, int] = {}
        self.fail_after: dict[str, int] = {}

    def connect(self, parsed: ParsedRemote) -> BackendConnector:
        conn: BackendConnector
        if parsed.connector == "sim":
            conn = SimBackend(
                SIM,
                runtime=Runtime(
                    audit=MemoryAuditSink(),
                    transport=self.transport,
                    allowlist=Allowlist.parse(SIM),
                ),
            )
        elif parsed.connector == "github":
            conn = GitHubConnector(
                Secret("gh-token"),
                runtime=Runtime(audit=MemoryAuditSink(), allowlist=Allowlist.parse(GH)),
            )
        else:
            conn = JiraConnector(
                "bot@example.com",
                Secret("jira-token"),
                base_url=SITE,
                runtime=Runtime(audit=MemoryAuditSink(), allowlist=Allowlist.parse(SITE)),
            )
        return _Armed(conn, self, parsed.spec)


class _Armed(BackendConnector):
    """Delegates to a real connector; dies right after the Nth create (the crash window)."""

    def __init__(self, inner: BackendConnector, wiring: Wiring, spec: str) -> None:
        super().__init__()
        self.inner, self.wiring, self.spec = inner, wiring, spec
        self.name = inner.name  # type: ignore[misc]
        self.capabilities = inner.capabilities  # type: ignore[misc]
        self.uncarried_fields = inner.uncarried_fields  # type: ignore[misc]
        self.label_pattern = inner.label_pattern  # type: ignore[misc]

    async def list_records_complete(self, project: str) -> Any:
        return await self.inner.list_records_complete(project)

    async def get_record(self, project: str, record_id: int) -> Record:
        return await self.inner.get_record(project, record_id)

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        fail = self.wiring.fail_after.get(self.spec)
        if fail is not None:
            if fail == 0:
                raise TransportError("connection reset by the target (injected)")
            self.wiring.fail_after[self.spec] = fail - 1
        made = await self.inner.create_record(project, draft)
        kill = self.wiring.kill_after.get(self.spec)
        if kill is not None:
            if kill <= 1:
                del self.wiring.kill_after[self.spec]
                raise Killed  # the remote has the record; the state row is not written yet
            self.wiring.kill_after[self.spec] = kill - 1
        return made

    async def update_record(
        self, project: str, record_id: int, patch: Any, expected_version: int | None = None
    ) -> Record:
        return await self.inner.update_record(project, record_id, patch, expected_version)

    async def delete_or_close(self, project: str, record_id: int, reason: Any) -> None:
        await self.inner.delete_or_close(project, record_id, reason)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def wiring(app: SimApp) -> Iterator[Wiring]:
    with respx.mock(assert_all_called=False, assert_all_mocked=False) as mock:
        mock.route(host="127.0.0.1").pass_through()
        yield Wiring(app, mock)


def jobs(state: Path, *targets: str, dry_run: bool = False) -> list[SyncJob]:
    return [SyncJob("sim::demo", t, str(state), dry_run=dry_run) for t in targets]


def titles(records: list[Record]) -> list[str]:
    return sorted(r.title for r in records)


async def test_sim_to_two_sim_projects_is_idempotent(
    wiring: Wiring, app: SimApp, tmp_path: Path
) -> None:
    state = tmp_path / "sync.db"
    results = await run_jobs(jobs(state, "sim::mirror-a", "sim::mirror-b"), connect=wiring.connect)
    assert all(r.ok for r in results), [r.error for r in results]
    source = app.store.list("demo")
    for project in ("mirror-a", "mirror-b"):
        assert titles(app.store.list(project)) == titles(source)
    assert results[0].report is not None
    assert results[0].report.count("create") == len(source)

    again = await run_jobs(jobs(state, "sim::mirror-a", "sim::mirror-b"), connect=wiring.connect)
    for result in again:
        assert result.report is not None
        assert result.report.count("create") == 0
        assert result.report.count("update") == 0
        assert result.report.count("unchanged") == len(source)
    assert len(app.store.list("mirror-a")) == len(source)


async def test_second_run_updates_only_what_changed_and_propagates_deletes(
    wiring: Wiring, app: SimApp, tmp_path: Path
) -> None:
    state = tmp_path / "sync.db"
    (job,) = jobs(state, "sim::mirror-a")
    await run_job(job, connect=wiring.connect)
    first, second = app.store.list("demo")[:2]
    app.store.update("demo", first.id, {"title": "renamed"})
    app.store.delete("demo", second.id)
    report = await run_job(job, connect=wiring.connect)
    assert report.count("update") == 1
    assert report.count("create") == 0
    assert report.count("delete") == 1
    assert "renamed" in titles(app.store.list("mirror-a"))
    assert len(app.store.list("mirror-a")) == len(app.store.list("demo"))


async def test_dry_run_writes_nothing(wiring: Wiring, app: SimApp, tmp_path: Path) -> None:
    state = tmp_path / "sync.db"
    (job,) = jobs(state, "sim::mirror-a", dry_run=True)
    report = await run_job(job, connect=wiring.connect)
    assert report.count("create") == len(app.store.list("demo"))
    assert app.store.list("mirror-a") == []
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM mirror").fetchone() == (0,)


async def test_dry_run_fails_as_the_real_run_would_on_a_missing_target_project(
    wiring: Wiring, tmp_path: Path
) -> None:
    # 'reposix sync --from sim::demo --to sim::other --dry-run' planned 8 creates and said
    # ok; the real run then failed with "project 'other' does not exist".
    (job,) = jobs(tmp_path / "sync.db", "sim::other", dry_run=True)
    with pytest.raises(NotFound, match="'other'"):
        await run_job(job, connect=wiring.connect)
    (job,) = jobs(tmp_path / "sync.db", "sim::other")
    with pytest.raises(NotFound, match="'other'"):
        await run_job(job, connect=wiring.connect)


@pytest.mark.parametrize("kind", ["under a file", "not a database"])
def test_an_unusable_state_file_is_a_config_error_naming_it(tmp_path: Path, kind: str) -> None:
    # REPOSIX_SYNC_STATE=/dev/null/x printed only "[Errno 17] File exists: '/dev/null'".
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not sqlite, just text\n" * 100)
    path = blocker / "sync.db" if kind == "under a file" else blocker
    with pytest.raises(ConfigError, match="cannot open the sync state file") as info:
        SyncState(path)
    assert str(path) in info.value.message
    assert info.value.hint is not None
    assert "--state" in info.value.hint
    assert blocker.read_text() == "not sqlite, just text\n" * 100


async def test_sim_to_github_and_jira_fakes(wiring: Wiring, app: SimApp, tmp_path: Path) -> None:
    state = tmp_path / "sync.db"
    targets = ("github::octo/mirror", "jira::MIR")
    results = await run_jobs(jobs(state, *targets), connect=wiring.connect, environ=ENV)
    assert all(r.ok for r in results), [r.error for r in results]
    source = app.store.list("demo")
    assert titles(wiring.github.store.list("octo/mirror")) == titles(source)
    assert titles(wiring.jira.store.list("MIR")) == titles(source)
    gh = results[0].report
    assert gh is not None
    assert gh.uncarried.get("assignee"), "users are not mapped across trackers"
    again = await run_jobs(jobs(state, *targets), connect=wiring.connect, environ=ENV)
    assert [r.report.count("create") for r in again if r.report] == [0, 0]
    assert len(wiring.github.store.list("octo/mirror")) == len(source)
    assert len(wiring.jira.store.list("MIR")) == len(source)


@pytest.mark.parametrize("target", ["sim::mirror-a", "github::octo/mirror", "jira::MIR"])
async def test_killed_between_create_and_state_write_resumes_without_duplicates(
    wiring: Wiring, app: SimApp, tmp_path: Path, target: str
) -> None:
    state = tmp_path / "sync.db"
    (job,) = jobs(state, target)
    wiring.kill_after[target] = 3
    with pytest.raises(Killed):
        await run_jobs([job], connect=wiring.connect, environ=ENV)
    store: Any = {"sim": app.store, "github": wiring.github.store, "jira": wiring.jira.store}[
        target.split("::")[0]
    ]
    project = target.split("::")[1]
    assert len(store.list(project)) == 3, "three creates reached the target before the kill"
    (result,) = await run_jobs([job], connect=wiring.connect, environ=ENV)
    assert result.report is not None, result.error
    assert result.report.count("adopt") == 1, "the in-flight create was found by its ref"
    source = app.store.list("demo")
    assert titles(store.list(project)) == titles(source), "no duplicates"
    st = SyncState(state)
    (key,) = st.jobs()
    rows = st.rows(key)
    st.close()
    assert {row.state for row in rows.values()} == {"done"}
    assert None not in {row.source_version for row in rows.values()}, "adopted rows too"


async def test_failing_target_never_stops_the_others_and_resumes(
    wiring: Wiring, app: SimApp, tmp_path: Path
) -> None:
    state = tmp_path / "sync.db"
    wiring.fail_after["sim::mirror-b"] = 2
    results = await run_jobs(jobs(state, "sim::mirror-a", "sim::mirror-b"), connect=wiring.connect)
    ok, failed = results
    assert ok.ok
    assert not failed.ok
    assert isinstance(failed.error, TransportError)
    source = app.store.list("demo")
    assert len(app.store.list("mirror-a")) == len(source)
    assert len(app.store.list("mirror-b")) == 2
    del wiring.fail_after["sim::mirror-b"]
    (resumed,) = await run_jobs(jobs(state, "sim::mirror-b"), connect=wiring.connect)
    assert resumed.report is not None
    assert resumed.report.count("create") == len(source) - 2
    assert titles(app.store.list("mirror-b")) == titles(source)


def test_job_is_plain_serializable_data(tmp_path: Path) -> None:
    job = SyncJob("sim::demo", "github::o/r", str(tmp_path / "s.db"), dry_run=True)
    assert SyncJob.from_json(job.to_json()) == job


async def test_closes_propagate_as_status(wiring: Wiring, app: SimApp, tmp_path: Path) -> None:
    state = tmp_path / "sync.db"
    (job,) = jobs(state, "github::octo/mirror")
    await run_job(job, connect=wiring.connect)
    first = app.store.list("demo")[0]
    app.store.update("demo", first.id, {"status": RecordStatus.DONE})
    report = await run_job(job, connect=wiring.connect)
    assert report.count("update") == 1
    mirrored = [r for r in wiring.github.store.list("octo/mirror") if r.title == first.title]
    assert [r.status for r in mirrored] == [RecordStatus.DONE]


async def test_state_keeps_target_id_locator_and_source_version(
    wiring: Wiring, app: SimApp, tmp_path: Path
) -> None:
    state = tmp_path / "sync.db"
    (job,) = jobs(state, "sim::mirror-a")
    await run_job(job, connect=wiring.connect)
    st = SyncState(state)
    rows = st.rows(f"sim:{SIM}:demo -> sim:{SIM}:mirror-a")
    st.close()
    source = {r.id: r for r in app.store.list("demo")}
    mirrors = {r.id for r in app.store.list("mirror-a")}
    assert set(rows) == set(source)
    for source_id, row in rows.items():
        assert row.state == "done"
        assert row.target_id in mirrors
        assert row.target_url == f"{SIM}/projects/mirror-a#{row.target_id}"
        assert row.source_version == source[source_id].version


async def test_a_spec_and_its_url_share_one_mapping(
    wiring: Wiring, app: SimApp, tmp_path: Path
) -> None:
    state = str(tmp_path / "sync.db")
    await run_job(SyncJob("sim::demo", "sim::mirror-a", state), connect=wiring.connect)
    again = SyncJob(f"{SIM}/projects/demo", f"reposix::{SIM}/projects/mirror-a", state)
    report = await run_job(again, connect=wiring.connect)
    assert report.count("create") == 0
    assert len(app.store.list("mirror-a")) == len(app.store.list("demo"))
