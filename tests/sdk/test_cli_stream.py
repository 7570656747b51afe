"""``reposix list`` streams: each page is printed (and, as JSON lines, flushed) as it arrives."""

from __future__ import annotations

import asyncio
import json
import types
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

import reposix._cli as cli_module
from reposix._backend import BackendConnector, Listing, RecordStream
from reposix._records import Record, RecordId, RecordStatus
from reposix.sim._app import create_app
from reposix.sim._server import running


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running(create_app()) as url:
        yield url


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPOSIX_AUDIT_DB", ":memory:")
    monkeypatch.delenv("REPOSIX_SIM_TOKEN", raising=False)
    monkeypatch.delenv("REPOSIX_ALLOWED_ORIGINS", raising=False)


class Recorder:
    """Stands in for ``sys.stdout``: remembers writes and flushes in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def write(self, text: str) -> int:
        self.events.append(("write", text))
        return len(text)

    def flush(self) -> None:
        self.events.append(("flush", ""))


def test_json_lines_are_flushed_once_per_page(
    sim_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = Recorder()
    monkeypatch.setattr(cli_module, "sys", types.SimpleNamespace(stdout=out))
    result = CliRunner().invoke(
        cli_module.cli, ["list", "--url", sim_url, "--page-size", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    kinds = [kind for kind, _ in out.events]
    assert kinds == ["write", "flush"] * 3, "one write and one flush per page"
    pages = [text.splitlines() for kind, text in out.events if kind == "write"]
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [json.loads(line)["id"] for p in pages for line in p] == list(range(1, 9))
    assert "8 records" in result.stderr


class Gated(BackendConnector):
    """Serves two pages; the second only after the first was printed."""

    name = "gated"

    def __init__(self, printed: asyncio.Event) -> None:
        super().__init__()
        self.printed = printed

    def iter_records(self, project: str) -> RecordStream:
        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            yield [_record(1)]
            await asyncio.wait_for(self.printed.wait(), timeout=5)
            yield [_record(2)]
            stream.finish(complete=False, reason="test")

        return RecordStream(source)

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        raise NotImplementedError


def _record(n: int) -> Record:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return Record(
        id=n, title=f"r{n}", status=RecordStatus.OPEN, created_at=when, updated_at=when, version=1
    )


def test_the_first_page_is_printed_before_the_second_arrives() -> None:
    seen: list[list[int]] = []

    async def go() -> tuple[int, bool]:
        printed = asyncio.Event()

        def emit(page: list[Record]) -> None:
            seen.append([r.id for r in page])
            printed.set()

        return await cli_module._stream(Gated(printed), "p", emit, show_progress=False)

    assert asyncio.run(go()) == (2, False)
    assert seen == [[1], [2]]


_T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def test_record_stream_after_awaits_its_lookup_when_iteration_starts() -> None:
    """``RecordStream.after``: the lookup runs on first iteration, its error surfaces there,
    and completeness is the inner stream's."""
    from reposix import NotFound

    calls: list[str] = []
    listing = Listing(
        [
            Record(
                id=1, title="a", status=RecordStatus.OPEN, created_at=_T0, updated_at=_T0, version=1
            )
        ],
        False,
    )

    async def start() -> RecordStream:
        calls.append("lookup")
        return RecordStream.of(listing)

    stream = RecordStream.after(start)
    assert calls == []
    collected = await stream.collect()
    assert calls == ["lookup"]
    assert [r.id for r in collected.records] == [1]
    assert not stream.is_complete

    async def missing() -> RecordStream:
        raise NotFound("no such team")

    with pytest.raises(NotFound):
        await RecordStream.after(missing).collect()
