"""The ``{{ cookiecutter.connector_name }}`` connector, on the SDK's gated HTTP client.

It maps {{ cookiecutter.connector_title }} items onto reposix records. The API it speaks,
and ``fake.py`` emulates, is a small JSON REST tracker (paths relative to the base URL):

* ``GET /api/projects/{project}/items?per_page=&page=&updated_after=``: a page of
  items (a JSON array); the next page is in ``Link: <...>; rel="next"`` and the
  collection size in ``X-Total-Count``;
* ``GET /api/projects/{project}/items/{id}``: one item, with ``ETag: "<version>"``;
* ``POST /api/projects/{project}/items``: create; ``201`` with the new item;
* ``PATCH /api/projects/{project}/items/{id}``: update; with ``If-Match: "<version>"``
  a stale version is refused with ``412``;
* ``DELETE /api/projects/{project}/items/{id}``: delete; ``204``.

Errors are ``{"error": "...", "message": "..."}`` with 400, 401, 404, 412 or 422.

TODO(connector author): this is a working connector for the API above. Change the
paths, the JSON (``wire.py``), the status table and the declared capabilities to
your tracker's, and change ``fake.py`` the same way: the conformance kit checks
that the two agree and that the connector keeps every rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, Final

import httpx
from reposix import (
    BearerAuth,
    Capabilities,
    CommentSupport,
    ConfigError,
    DeleteModel,
    DeleteReason,
    HttpConnector,
    PageLimits,
    Record,
    RecordDraft,
    RecordId,
    RecordStatus,
    RecordStream,
    Runtime,
    Secret,
    StatusTable,
    Untainted,
    VersioningModel,
    decode,
    error_body,
    paginate_link,
    require_untainted,
)

from {{ cookiecutter.package_name }} import DEFAULT_BASE_URL, ENV_VARS, NAME
from {{ cookiecutter.package_name }}.wire import (
    ERROR,
    ITEM,
    PAGE,
    ItemState,
    ItemWrite,
    WireError,
    WireItem,
)

__all__ = [
    "STATUS_FROM_WIRE",
    "STATUS_TO_WIRE",
    "{{ cookiecutter.__class_prefix }}Connector",
    "items_path",
    "record_from_item",
    "write_body",
]


DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 100
"""The most items the API serves per page."""
_PROJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

# TODO(connector author): your tracker's workflow states. Every RecordStatus needs a
# wire state to write; if several wire states read as one status, keep the reverse
# table explicit instead of inverting this one.
STATUS_FROM_WIRE: Final[dict[ItemState, RecordStatus]] = {
    "new": RecordStatus.OPEN,
    "active": RecordStatus.IN_PROGRESS,
    "review": RecordStatus.IN_REVIEW,
    "resolved": RecordStatus.DONE,
    "rejected": RecordStatus.WONT_FIX,
}
"""Wire state -> reposix status."""

STATUS_TO_WIRE: Final[dict[RecordStatus, ItemState]] = {
    status: state for state, status in STATUS_FROM_WIRE.items()
}
"""reposix status -> wire state (the exact inverse)."""

# TODO(connector author): your tracker's statuses, where they differ from the SDK's
# RFC 9110 defaults (404/410 NotFound, 401/403 AuthError, 409/412 VersionMismatch,
# 422 on a write InvalidRecord, 429 RateLimited, else ProtocolError). Give each rule
# the URL of the vendor document (or public bug report) that says the server does so.
STATUSES: Final = StatusTable(
    NAME,
    env_vars=ENV_VARS,
    error_adapter=ERROR,
    render=WireError.summary,
    # This API follows the defaults (fake.py: 400, 401, 404, 412, 422). A vendor that
    # differs adds rules, tried before the defaults for their status, e.g.:
    #   rules={403: StatusRule(RateLimited, NAME + " refused for rate limiting",
    #                          when=lambda message: "rate limit" in message.lower(),
    #                          source="https://vendor.example/docs/rate-limits")},
)
"""How HTTP error statuses become typed errors (with the server's redacted message)."""


def items_path(project: str, record_id: RecordId | None = None) -> str:
    """The items collection (or one item) of ``project``, relative to the base URL.

    Project keys come from users and config files: anything that is not a plain
    key is refused here, so it can never inject a path, query or fragment.
    """
    if not _PROJECT.match(project):
        raise ConfigError(
            f"{NAME} project {project!r} is not a project key",
            hint="use the project's key as it appears in the tracker's URLs, e.g. demo",
        )
    path = f"api/projects/{project}/items"
    return path if record_id is None else f"{path}/{record_id}"


def record_from_item(item: WireItem) -> Record:
    """The reposix record for an API item."""
    return Record(
        id=item.id,
        title=item.title,
        status=STATUS_FROM_WIRE[item.state],
        assignee=item.assignee.username if item.assignee is not None else None,
        labels=list(item.labels),
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=item.version,
        body=item.description or "",
        parent_id=item.parent_id,
    )


def write_body(value: RecordDraft | Record) -> ItemWrite:
    """The create/update body: user-controlled fields only, never id, version or timestamps.

    TODO(connector author): map any ``extensions`` your API can store here (never
    server URLs).
    """
    return ItemWrite(
        title=value.title,
        description=value.body,
        state=STATUS_TO_WIRE[value.status],
        assignee=value.assignee,
        labels=list(value.labels),
        parent_id=value.parent_id,
    )


class {{ cookiecutter.__class_prefix }}Connector(HttpConnector):
    """{{ cookiecutter.connector_title }} items of one or more projects, read and write.

    Versioning is ``STRONG``: ``Record.version`` is the item's ``version`` and an
    update with ``expected_version`` sends ``If-Match``, so the server refuses a
    stale write (``VersionMismatch``). ``delete_or_close`` deletes (``DELETE``).
    """

    name: ClassVar[str] = NAME
    # TODO(connector author): the defaults are a typical tracker's (create, update,
    # comments behind their own API, timestamp versions, a server-side change filter);
    # declare only where yours differs. The kit checks each declaration (and reports
    # what you declare away as n/a).
    capabilities: ClassVar[Capabilities] = Capabilities(
        delete=DeleteModel.DELETE,
        comments=CommentSupport.NONE,
        versioning=VersioningModel.STRONG,
        hierarchy=True,
    )
    root_collection_name: ClassVar[str] = "items"

    def __init__(
        self,
        token: Secret,
        *,
        base_url: str = DEFAULT_BASE_URL,
        runtime: Runtime | None = None,
    ) -> None:
        # HttpConnector builds the SDK's gated client on ``base_url`` (one trailing slash, so
        # relative paths join onto it and a path prefix survives) and provides ``aclose``
        # and ``repr``. TODO(connector author): your auth hook and fixed headers.
        super().__init__(
            base_url,
            auth=BearerAuth(self.require_secret(token)),
            headers={"Accept": "application/json"},
            runtime=runtime,
        )

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        """``per_page`` to ask for: the runtime's page size, clamped to the API's 1..100."""
        return max(1, min(MAX_PAGE_SIZE, self.runtime.page_size or DEFAULT_PAGE_SIZE))

    @staticmethod
    def _raise_for(
        response: httpx.Response,
        *,
        what: str,
        expected_version: int | None = None,
    ) -> None:
        """Map a non-2xx response through ``STATUSES``; quiet on 2xx.

        A 412 carries the server's current version in its error body, so the
        ``VersionMismatch`` says which version to re-read.
        """
        actual = None
        if response.status_code == 412:
            actual = (error_body(response, ERROR) or WireError()).current_version
        STATUSES.raise_for(
            response, what=what, expected_version=expected_version, actual_version=actual
        )

    def _stream(
        self,
        project: str,
        params: dict[str, str | int],
        *,
        op: str,
        since: datetime | None = None,
    ) -> RecordStream:
        """A listing as records, page by page, up to ``runtime.max_records``.

        ``record_stream`` maps each page of wire items as it arrives and lets it go
        before the next, so memory stays at about a page however long the listing.
        """
        pages = paginate_link(
            self._http,
            items_path(project),
            op=op,
            adapter=PAGE,
            params={**params, "per_page": self.page_size},
            limits=PageLimits(max_items=self.runtime.max_records),
            key=lambda item: item.id,
            what=f"{NAME} items of project {project}",
            env_vars=ENV_VARS,
            total_header="X-Total-Count",
        )

        def build(page: Sequence[WireItem]) -> list[Record]:
            kept = page if since is None else [i for i in page if i.updated_at > since]
            return [record_from_item(i) for i in kept]

        return self.record_stream(pages, build)

    # -- read -------------------------------------------------------------------------------

    def iter_records(self, project: str) -> RecordStream:
        """Every item of ``project``, in the server's order (oldest first), page by page.

        ``list_records`` and ``list_records_complete`` are built on this.
        """
        return self._stream(project, {}, op="list_records")

    def iter_changed_since(self, project: str, since: datetime) -> RecordStream:
        """Items updated strictly after ``since``, filtered by the server, page by page.

        ``updated_after`` is sent with microseconds; the exact timestamps are
        filtered again here, so an inclusive or coarser server filter stays correct.
        ``list_changed_since`` (the ids) is built on this.
        """
        if since.tzinfo is None:
            raise ConfigError(
                "list_changed_since needs a timezone-aware datetime",
                hint="pass e.g. datetime(..., tzinfo=UTC)",
            )
        params: dict[str, str | int] = {"updated_after": since.isoformat()}
        return self._stream(project, params, op="list_changed_since", since=since)

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        """One item; ``NotFound`` if it does not exist in ``project``."""
        path = items_path(project, record_id)
        response = await self._http.get(path, op="get_record")
        self._raise_for(response, what=f"{NAME} item {record_id} of project {project}")
        return record_from_item(decode(response, ITEM, f"{NAME} item {record_id}"))

    # -- write ------------------------------------------------------------------------------

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        """``POST`` the user fields; the server assigns id, timestamps and version.

        A POST is never retried (the API has no idempotency key): on a transport
        error, list before creating again.
        """
        value = require_untainted(draft, RecordDraft)
        response = await self._http.post(
            items_path(project),
            op="create_record",
            json=write_body(value).model_dump(mode="json"),
        )
        self._raise_for(response, what=f"create in {NAME} project {project}")
        return record_from_item(decode(response, ITEM, f"{NAME} created item"))

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        """``PATCH`` the user fields; with ``expected_version``, ``If-Match`` guards it."""
        value = require_untainted(patch, Record)
        headers = {} if expected_version is None else {"If-Match": f'"{expected_version}"'}
        response = await self._http.patch(
            items_path(project, record_id),
            op="update_record",
            json=write_body(value).model_dump(mode="json"),
            headers=headers,
        )
        what = f"update of {NAME} item {record_id} of project {project}"
        self._raise_for(response, what=what, expected_version=expected_version)
        return record_from_item(decode(response, ITEM, f"{NAME} updated item"))

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        """``DELETE`` the item (the API deletes outright; ``reason`` is not sent).

        TODO(connector author): if your tracker closes instead of deleting, declare
        ``delete=DeleteModel.CLOSE`` and set the state to
        ``STATUS_TO_WIRE[reason.closed_status]`` with a ``PATCH``.
        """
        response = await self._http.delete(items_path(project, record_id), op="delete_or_close")
        self._raise_for(response, what=f"delete of {NAME} item {record_id} of project {project}")
