"""Unit tests: the status table, the JSON mapping, the auth header and the error mapping.

The conformance kit checks much more (``pytest --reposix-contract``); these pin the
details a reader of this connector should see spelled out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from reposix import (
    SERVER_FIELDS,
    Allowlist,
    AuthError,
    ConfigError,
    MemoryAuditSink,
    MissingCredentials,
    NotFound,
    Record,
    RecordDraft,
    RecordStatus,
    Runtime,
    Secret,
    ServerMetadata,
    Tainted,
    VersionMismatch,
    origin_of,
    sanitize,
)
from reposix_contract import FakeStore

from {{ cookiecutter.package_name }} import ENV_VAR, from_env, plugin
from {{ cookiecutter.package_name }}.connector import (
    STATUS_FROM_WIRE,
    STATUS_TO_WIRE,
    {{ cookiecutter.__class_prefix }}Connector,
    items_path,
    record_from_item,
    write_body,
)
from {{ cookiecutter.package_name }}.fake import {{ cookiecutter.__class_prefix }}Fake
from {{ cookiecutter.package_name }}.wire import ITEM

T = TypeVar("T")


class Wired:
    """Runs calls on a connector built on ``fake`` (fresh per call, closed after)."""

    def __init__(self, fake: {{ cookiecutter.__class_prefix }}Fake) -> None:
        self.fake = fake
        self.requests: list[httpx.Request] = []

    async def _serve(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.fake.handle(request)

    def connector(
        self,
        token: str | None = None,
        page_size: int | None = None,
    ) -> {{ cookiecutter.__class_prefix }}Connector:
        """The connector, on an in-process transport to the fake (nothing leaves the process)."""
        origin = str(origin_of(httpx.URL(self.fake.base_url)))
        settings = Runtime(
            clock=self.fake.store.clock,
            audit=MemoryAuditSink(),
            allowlist=Allowlist.parse(origin),
            transport=httpx.MockTransport(self._serve),
            page_size=page_size,
        )
        secret = Secret(self.fake.credentials[ENV_VAR] if token is None else token)
        return {{ cookiecutter.__class_prefix }}Connector(
            secret,
            base_url=self.fake.base_url,
            runtime=settings,
        )

    def run(
        self,
        call: Callable[[{{ cookiecutter.__class_prefix }}Connector], Awaitable[T]],
        *,
        token: str | None = None,
        page_size: int | None = None,
    ) -> T:
        """``await call(connector)`` on a fresh event loop."""

        async def main() -> T:
            async with self.connector(token, page_size) as connector:
                return await call(connector)

        return asyncio.run(main())


@pytest.fixture
def fake() -> {{ cookiecutter.__class_prefix }}Fake:
    """A fresh fake whose ``demo`` project holds three items."""
    server = {{ cookiecutter.__class_prefix }}Fake(FakeStore())
    server.store.seed(
        server.projects.seeded,
        [
            RecordDraft(title="First", labels=["bug"], assignee="alice"),
            RecordDraft(title="Second", status=RecordStatus.IN_REVIEW, body="Body\n---\n"),
            RecordDraft(title="Third ✓", status=RecordStatus.WONT_FIX),
        ],
    )
    return server


@pytest.fixture
def wired(fake: {{ cookiecutter.__class_prefix }}Fake) -> Wired:
    """Calls on the connector, against ``fake``."""
    return Wired(fake)


# An item exactly as the API documents it (TODO(connector author): paste your API's).
EXAMPLE_ITEM: dict[str, Any] = {
    "id": 42,
    "title": "Crash when saving",
    "description": "Steps to reproduce:\n\n1. save",
    "state": "active",
    "assignee": {"username": "alice", "avatar_url": "https://cdn.example/alice.png"},
    "labels": ["bug", "p1"],
    "parent_id": 7,
    "created_at": "2026-01-05T09:30:00.123456Z",
    "updated_at": "2026-01-06T10:00:07.000001Z",
    "version": 3,
    "url": "https://tracker.example/api/projects/demo/items/42",
    "web_url": "https://tracker.example/demo/items/42",
}


@pytest.mark.parametrize(("state", "status"), sorted(STATUS_FROM_WIRE.items()))
def test_status_table_row(state: str, status: RecordStatus) -> None:
    assert STATUS_FROM_WIRE[state] is status  # type: ignore[index]
    assert STATUS_TO_WIRE[status] == state


def test_every_status_has_a_wire_state() -> None:
    assert set(STATUS_TO_WIRE) == set(RecordStatus)


def test_record_from_the_documented_example() -> None:
    record = record_from_item(ITEM.validate_python(EXAMPLE_ITEM))
    assert record.model_dump(mode="json") == {
        "id": 42,
        "title": "Crash when saving",
        "status": "in_progress",
        "assignee": "alice",
        "labels": ["bug", "p1"],
        "created_at": "2026-01-05T09:30:00.123456Z",
        "updated_at": "2026-01-06T10:00:07.000001Z",
        "version": 3,
        "body": "Steps to reproduce:\n\n1. save",
        "parent_id": 7,
        "extensions": {},
    }


def test_null_description_and_assignee_read_as_empty() -> None:
    item = ITEM.validate_python({**EXAMPLE_ITEM, "description": None, "assignee": None})
    record = record_from_item(item)
    assert (record.body, record.assignee) == ("", None)


def test_write_body_carries_user_fields_only() -> None:
    record = record_from_item(ITEM.validate_python(EXAMPLE_ITEM))
    body = write_body(record).model_dump(mode="json")
    assert body == {
        "title": "Crash when saving",
        "description": "Steps to reproduce:\n\n1. save",
        "state": "active",
        "assignee": "alice",
        "labels": ["bug", "p1"],
        "parent_id": 7,
    }
    assert not set(body) & SERVER_FIELDS


def test_plugin_fake_resolves_and_seeds_the_sample_project() -> None:
    assert plugin.load_fake()().projects.seeded == plugin.sample_project


def test_auth_header_is_byte_exact(wired: Wired) -> None:
    wired.run(lambda c: c.get_record("demo", 1))
    sent = [r.headers.get_list("Authorization") for r in wired.requests]
    assert sent == [["Bearer " + wired.fake.credentials[ENV_VAR]]]


def test_wrong_token_is_an_auth_error_naming_the_env_var(wired: Wired) -> None:
    with pytest.raises(AuthError, match=ENV_VAR):
        wired.run(lambda c: c.list_records("demo"), token="not-the-token")


def test_missing_credentials_name_the_env_var() -> None:
    with pytest.raises(MissingCredentials, match=ENV_VAR):
        from_env(environ={})


def test_listing_follows_every_page(wired: Wired) -> None:
    listing = wired.run(lambda c: c.list_records_complete("demo"), page_size=1)
    assert [r.title for r in listing.records] == ["First", "Second", "Third ✓"]
    assert listing.is_complete
    assert len(wired.requests) == 3


def test_unknown_project_and_item_are_not_found(wired: Wired) -> None:
    with pytest.raises(NotFound):
        wired.run(lambda c: c.list_records("no-such-project"))
    with pytest.raises(NotFound):
        wired.run(lambda c: c.get_record("demo", 999))


def test_stale_version_is_refused(wired: Wired) -> None:
    current = wired.run(lambda c: c.get_record("demo", 1))
    meta = ServerMetadata(current.id, current.created_at, current.updated_at, current.version)
    patch = sanitize(Tainted(current.replace(title="Edited")), meta)
    with pytest.raises(VersionMismatch):
        wired.run(lambda c: c.update_record("demo", 1, patch, expected_version=0))
    updated: Record = wired.run(
        lambda c: c.update_record("demo", 1, patch, expected_version=current.version)
    )
    assert (updated.title, updated.version) == ("Edited", current.version + 1)


@pytest.mark.parametrize("project", ["../admin", "demo?x=1", "demo#frag", "demo/items", ""])
def test_hostile_project_keys_are_refused(project: str) -> None:
    with pytest.raises(ConfigError):
        items_path(project)
