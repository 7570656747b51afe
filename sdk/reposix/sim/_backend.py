"""``SimBackend``: the connector for the simulator, and the control of the conformance kit.

Built only on [`HttpConnector`][reposix.HttpConnector] (the SDK's gated client) and
the ``Link`` paginator, like any third-party connector would be.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import Field, JsonValue, TypeAdapter

from reposix._backend import (
    Capabilities,
    CommentSupport,
    DeleteModel,
    DeleteReason,
    RecordStream,
    VersioningModel,
)
from reposix._connector_base import HttpConnector
from reposix._env import SIM_TOKEN
from reposix._errors import (
    ConfigError,
    InvalidRecord,
    NotFound,
)
from reposix._http import BearerAuth, decode
from reposix._http.decode import error_body, protocol_error
from reposix._http.status import StatusRule, StatusTable
from reposix._pagination.base import PageLimits
from reposix._pagination.link import paginate_link
from reposix._records import SERVER_FIELDS, Record, RecordDraft, RecordId, RecordStatus, UtcDatetime
from reposix._runtime import Runtime
from reposix._secret import Secret
from reposix._taint import Untainted, require_untainted
from reposix._wire import WireModel, wire_adapter

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_PAGE_SIZE", "TOKEN_ENV", "SimBackend"]

DEFAULT_BASE_URL = "http://127.0.0.1:7878"
DEFAULT_PAGE_SIZE = 100
"""Page size asked for when ``Runtime.page_size`` is None (the simulator's maximum)."""
TOKEN_ENV = SIM_TOKEN.name
"""Optional bearer token, for a simulator started with ``--token``."""


class _WireRecord(WireModel):
    """A record as the simulator sends it; unknown fields (``url``, ``html_url``) are ignored."""

    id: RecordId
    title: str
    status: RecordStatus
    assignee: str | None = None
    labels: list[str] = Field(default_factory=list)
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int = Field(ge=0)
    body: str = ""
    parent_id: RecordId | None = None
    extensions: dict[str, JsonValue] = Field(default_factory=dict)

    def to_record(self) -> Record:
        """The normalized record (from the validated fields, without a dump in between)."""
        return Record.model_validate(self.__dict__)


def _to_records(page: Sequence[_WireRecord]) -> list[Record]:
    return [wire.to_record() for wire in page]


_ONE: TypeAdapter[_WireRecord] = wire_adapter(_WireRecord)
_ENVELOPE: TypeAdapter[dict[str, Any]] = wire_adapter(dict[str, Any])
_PAGE: TypeAdapter[list[_WireRecord]] = wire_adapter(list[_WireRecord])


class SimBackend(HttpConnector):
    """The simulator's connector: every capability the simulator can honestly back.

    ``token``: the bearer token of a simulator started with one (``REPOSIX_SIM_TOKEN``).
    ``runtime``: clock, audit sink, allowlist, transport (``httpx.ASGITransport`` mounts
    the app in-process), ``max_records`` and ``page_size``.
    """

    name: ClassVar[str] = "sim"
    capabilities: ClassVar[Capabilities] = Capabilities(
        delete=DeleteModel.DELETE,
        comments=CommentSupport.NONE,
        versioning=VersioningModel.STRONG,
        hierarchy=True,
        search=True,
    )
    root_collection_name: ClassVar[str] = "issues"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        token: Secret | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"simulator URL {base_url!r} must start with http:// or https://",
                hint=f"e.g. {DEFAULT_BASE_URL}",
            )
        super().__init__(base_url, auth=BearerAuth(token) if token else None, runtime=runtime)

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _records(project: str) -> str:
        return f"projects/{quote(project, safe='')}/records"

    def _one(self, project: str, record_id: RecordId) -> str:
        if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id < 1:
            raise NotFound(f"record {record_id!r} in project {project!r} (ids are positive ints)")
        return f"{self._records(project)}/{record_id}"

    def _raise(
        self, response: httpx.Response, what: str, *, expected_version: int | None = None
    ) -> None:
        """Map the simulator's JSON error envelope through ``STATUSES``; quiet on 2xx."""
        actual = (
            _error_body(response).get("current_version") if response.status_code == 409 else None
        )
        STATUSES.raise_for(
            response,
            what=what,
            expected_version=expected_version,
            actual_version=actual
            if isinstance(actual, int) and not isinstance(actual, bool)
            else None,
        )

    # -- read --------------------------------------------------------------------------------

    def _stream(
        self, project: str, params: dict[str, Any], *, op: str, cap: int | None
    ) -> RecordStream:
        pages = paginate_link(
            self._http,
            self._records(project),
            op=op,
            adapter=_PAGE,
            params=params,
            limits=PageLimits(max_items=cap),
            key=lambda r: r.id,
            what=f"listing of project {project!r}",
            env_vars=(TOKEN_ENV,),
            total_header="X-Total-Count",
        )
        return self.record_stream(pages, _to_records)

    def iter_records(self, project: str) -> RecordStream:
        """Every record of ``project`` in id order, page by page; truncated at
        ``runtime.max_records``."""
        page_size = self.runtime.page_size or DEFAULT_PAGE_SIZE
        return self._stream(
            project, {"per_page": page_size}, op="list_records", cap=self.runtime.max_records
        )

    def iter_changed_since(self, project: str, since: datetime) -> RecordStream:
        """Records with ``updated_at`` strictly after ``since``, filtered by the server
        (``?since=``), page by page.

        Not capped by ``max_records``: a truncated change feed would lose changes silently.
        """
        if since.tzinfo is None:
            raise ConfigError(
                "list_changed_since needs a timezone-aware datetime",
                hint="pass e.g. datetime(2026, 1, 1, tzinfo=UTC)",
            )
        page_size = self.runtime.page_size or DEFAULT_PAGE_SIZE
        return self._stream(
            project,
            {"per_page": page_size, "since": since.isoformat(timespec="microseconds")},
            op="list_changed_since",
            cap=None,
        )

    async def search_records(self, project: str, text: str) -> list[Record]:
        """``GET /projects/{p}/records?q=``: every record holding the words, best first."""
        response = await self._http.get(
            self._records(project), op="search_records", params={"q": text}
        )
        self._raise(response, f"search of project {project!r}")
        return [item.to_record() for item in decode(response, _PAGE, "search results")]

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        """One record; ``NotFound`` if the project or the record does not exist."""
        response = await self._http.get(self._one(project, record_id), op="get_record")
        self._raise(response, f"record {record_id} in project {project!r}")
        return decode(response, _ONE, "record").to_record()

    # -- write -------------------------------------------------------------------------------

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        """Create a record; an ``Idempotency-Key`` makes the POST safe to retry."""
        value = require_untainted(draft, RecordDraft)
        body = value.model_dump(mode="json")
        response = await self._http.post(
            self._records(project),
            op="create_record",
            json=body,
            idempotency_key=str(uuid.uuid4()),
        )
        self._raise(response, f"create in project {project!r}")
        if response.status_code != 201:
            raise protocol_error(response, "create: expected HTTP 201")
        return decode(response, _ONE, "created record").to_record()

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        """Send the user-controlled fields; ``If-Match`` when ``expected_version`` is given."""
        value = require_untainted(patch, Record)
        body = value.model_dump(mode="json", exclude=set(SERVER_FIELDS))
        headers = {"If-Match": f'"{expected_version}"'} if expected_version is not None else {}
        response = await self._http.patch(
            self._one(project, record_id), op="update_record", json=body, headers=headers
        )
        self._raise(
            response,
            f"update of record {record_id} in project {project!r}",
            expected_version=expected_version,
        )
        return decode(response, _ONE, "updated record").to_record()

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        """A real ``DELETE`` (the simulator declares ``DELETE``); ``reason`` is not needed."""
        response = await self._http.delete(self._one(project, record_id), op="delete_or_close")
        self._raise(response, f"delete of record {record_id} in project {project!r}")

    async def close_record(self, project: str, record_id: RecordId, reason: DeleteReason) -> Record:
        """Close without deleting: status becomes ``reason.closed_status`` (sim extension)."""
        response = await self._http.post(
            f"{self._one(project, record_id)}/close",
            op="close_record",
            json={"reason": reason.value},
        )
        self._raise(response, f"close of record {record_id} in project {project!r}")
        return decode(response, _ONE, "closed record").to_record()


def _sim_message(body: dict[str, Any]) -> str:
    error = body.get("error")
    return str(error.get("message") or "") if isinstance(error, dict) else ""


_SIM_API = "docs/reference/sim-http.md (the simulator's own HTTP API)"
STATUSES = StatusTable(
    "the simulator",
    env_vars=(TOKEN_ENV,),
    error_adapter=_ENVELOPE,
    render=_sim_message,
    rules={
        status: StatusRule(
            InvalidRecord,
            "the simulator refused it",
            hint="fix the field the message names",
            source=_SIM_API,
        )
        for status in (400, 422)
    },
)
"""The simulator's statuses: the RFC defaults, and 400/422 as a refused record."""


def _error_body(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of a simulator error body, or ``{}`` if it has none."""
    data = error_body(response, _ENVELOPE)
    error = data.get("error") if data is not None else None
    return error if isinstance(error, dict) else {}
