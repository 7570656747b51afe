"""``BitbucketConnector``: Bitbucket Cloud issues (REST 2.0) through the SDK's gated client.

Vendor behaviour relied on, with its source:

* paths, bodies, responses (404 "does not have the issue tracker enabled", 410), the
  ``paginated_issues`` envelope, ``POST …/changes`` for state changes, partial ``PUT``
  ("any field not present keeps its existing value", ``null`` clears): Bitbucket's API
  description https://api.bitbucket.org/swagger.json (issue tracker operations) and
  https://developer.atlassian.com/cloud/bitbucket/rest/api-group-issue-tracker/
* "use the link [next], refrain from constructing your own URLs"; ``pagelen`` up to 100:
  https://developer.atlassian.com/cloud/bitbucket/rest/intro/#pagination
* BBQL ``q=`` and ``sort=``, double-quoted string values:
  https://developer.atlassian.com/cloud/bitbucket/rest/intro/#filtering
* Basic auth with an Atlassian account email and an API token (app passwords are being
  retired), OAuth bearer tokens:
  https://developer.atlassian.com/cloud/bitbucket/rest/intro/#authentication
* 429 over a rolling one-hour window, ``X-RateLimit-Limit/Resource/NearLimit``:
  https://support.atlassian.com/bitbucket-cloud/docs/api-request-limits/ and
  https://bitbucket.org/blog/introducing-scaled-rate-limits-for-bitbucket-cloud-api
* the 404 body ``{"type":"error","error":{"message":"Repository has no issue tracker."}}``
  is third-party observed (clients and emulators quote it), not in the swagger.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final

import httpx

from reposix import (
    AuthError,
    BasicAuth,
    BearerAuth,
    Capabilities,
    ConfigError,
    DeleteModel,
    DeleteReason,
    HttpConnector,
    InvalidRecord,
    NotFound,
    Page,
    Paginator,
    RateLimited,
    Record,
    RecordDraft,
    RecordId,
    RecordStream,
    Runtime,
    Secret,
    StatusRule,
    StatusTable,
    Untainted,
    decode,
    paginate_cursor_url,
    protocol_error,
    require_untainted,
)
from reposix_bitbucket import DEFAULT_BASE_URL, ENV_VARS, mapping
from reposix_bitbucket.wire import ERROR, ISSUE, PAGE, BbError, BbIssue, BbPage

__all__ = [
    "MAX_PAGE_SIZE",
    "BitbucketConnector",
    "bbql_string",
    "parse_project",
    "record_from_issue",
    "version_of",
]

log = logging.getLogger("reposix.bitbucket")

_ISSUES_DOC: Final = "https://developer.atlassian.com/cloud/bitbucket/rest/api-group-issue-tracker/"
_AUTH_DOC: Final = "https://developer.atlassian.com/cloud/bitbucket/rest/intro/#authentication"


def _no_tracker(message: str) -> bool:
    return "issue tracker" in message.lower()


_TRACKER_OFF: Final = StatusRule(
    NotFound,
    "the repository's issue tracker is disabled",
    hint="enable it in the repository's Settings > Features > Issues, or use another "
    "repository; Bitbucket answers 404 for every issue call until then",
    when=_no_tracker,
    # "Repository has no issue tracker." (404): https://github.com/apache/devlake/pull/3064,
    # https://github.com/DXHeroes/dx-scanner/issues/263
    source="https://github.com/apache/devlake/pull/3064",
)

STATUSES: Final = StatusTable(
    "bitbucket",
    env_vars=ENV_VARS,
    error_adapter=ERROR,
    render=BbError.summary,
    rules={
        401: StatusRule(
            AuthError,
            "bitbucket rejected the credentials",
            hint="check BITBUCKET_EMAIL + BITBUCKET_API_TOKEN (an API token with the "
            "issue scopes), BITBUCKET_USERNAME + BITBUCKET_APP_PASSWORD, or "
            "BITBUCKET_OAUTH_TOKEN",
            source=_AUTH_DOC,
        ),
        403: StatusRule(
            AuthError,
            "bitbucket refused access",
            hint="the credentials need read (and, to write, write) access to the "
            "repository's issues: scopes read:issue:bitbucket / write:issue:bitbucket",
            source=_AUTH_DOC,
        ),
        404: (
            _TRACKER_OFF,
            StatusRule(
                NotFound,
                hint="check workspace/repo_slug and the issue id; a private repository "
                "answers 404 when the credentials cannot see it, and so does a repository "
                "whose issue tracker is disabled",
                source=_ISSUES_DOC,
            ),
        ),
        410: (
            _TRACKER_OFF,
            StatusRule(
                NotFound,
                "the issue is unavailable",
                hint="the issue was removed, or the repository's issue tracker was disabled",
                source=_ISSUES_DOC,
            ),
        ),
        429: StatusRule(
            RateLimited,
            "bitbucket refused for rate limiting",
            hint="Bitbucket counts requests over a rolling hour (1,000/hour for most "
            "/2.0/repositories endpoints); wait, or use an access token with its own "
            "allowance",
            source="https://support.atlassian.com/bitbucket-cloud/docs/api-request-limits/",
        ),
        400: StatusRule(
            InvalidRecord,
            "bitbucket refused the values",
            hint="fix the field Bitbucket names and retry",
            writes_only=True,
            source=_ISSUES_DOC,
        ),
    },
)
"""Bitbucket's statuses where they differ from (or add hints to) the SDK's RFC defaults."""

MAX_PAGE_SIZE: Final = 100
"""``pagelen`` maximum ("the default value is 10 with 100 being the maximum")."""
_WORKSPACE = re.compile(r"[A-Za-z0-9_-]{1,62}|\{[0-9a-fA-F-]{36}\}")
_SLUG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,61}|\{[0-9a-fA-F-]{36}\}")
_ACCOUNT = re.compile(r"[A-Za-z0-9:._-]{1,128}|\{[0-9a-fA-F-]{36}\}")
_CATCH_UP_ROUNDS: Final = 3
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def parse_project(project: str) -> tuple[str, str]:
    """Split and validate ``workspace/repo_slug``; anything else is a ``ConfigError``."""
    workspace, sep, slug = project.partition("/")
    if not sep or not _WORKSPACE.fullmatch(workspace) or not _SLUG.fullmatch(slug):
        raise ConfigError(
            f"bitbucket project {project!r} is not workspace/repo_slug",
            hint="use the workspace id and the repository slug from the repository URL, "
            "e.g. acme/widgets for https://bitbucket.org/acme/widgets",
        )
    return workspace, slug


def bbql_string(value: str) -> str:
    """``value`` as a BBQL string literal: double-quoted, ``\\`` and ``"`` backslash-escaped.

    Control characters are refused (``ConfigError``): nothing legitimate needs them and a
    newline must never end a filter expression early.
    """
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ConfigError(f"a BBQL value may not contain control characters: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def version_of(updated_on: datetime) -> int:
    """``Record.version``: ``updated_on`` in epoch microseconds (Bitbucket's precision).

    Bitbucket has no optimistic concurrency on issues; the version tells reads apart.
    """
    return (updated_on - _EPOCH) // timedelta(microseconds=1)


def record_from_issue(issue: BbIssue) -> Record:
    """The reposix record for a Bitbucket issue (see ``mapping`` for the status table)."""
    extension: dict[str, str] = {"state": issue.state}
    if issue.kind is not None:
        extension["kind"] = issue.kind
    if issue.priority is not None:
        extension["priority"] = issue.priority
    return Record(
        id=issue.id,
        title=issue.title,
        status=mapping.STATUS_OF[issue.state],
        assignee=issue.assignee.ref if issue.assignee is not None else None,
        labels=[],
        created_at=issue.created_on,
        updated_at=issue.updated_on,
        version=version_of(issue.updated_on),
        body=(issue.content.raw or "") if issue.content is not None else "",
        extensions={mapping.EXTENSION: dict(extension)},
    )


def _assignee(ref: str | None) -> dict[str, str] | None:
    if ref is None:
        return None
    if not _ACCOUNT.fullmatch(ref):
        raise InvalidRecord(
            f"{ref!r} is not a bitbucket account id",
            hint="set assignee to the user's Atlassian account_id (e.g. 557058:c0b7…), or "
            "to the {uuid} of an app user, as the connector reads them",
        )
    return {"uuid": ref} if ref.startswith("{") else {"account_id": ref}


def _stamp(since: datetime) -> str:
    if since.tzinfo is None:
        raise ConfigError(
            "list_changed_since needs a timezone-aware datetime",
            hint="pass e.g. datetime(..., tzinfo=UTC)",
        )
    return since.astimezone(UTC).isoformat(timespec="microseconds")


def _page(body: BbPage) -> Page[BbIssue]:
    return Page(body.values, next=body.next, total=body.size)


class BitbucketConnector(HttpConnector):
    """Bitbucket Cloud issues of one or more ``workspace/repo_slug`` repositories.

    Auth: ``BasicAuth(email, api_token)`` (Atlassian API token; a username with an app
    password works the same way) or ``BearerAuth(oauth_token)``; build it with
    `with_basic` or `with_bearer`.

    Bitbucket issues have no labels (declared uncarried; labels on a write are not sent)
    and no parent; ``kind``, ``priority`` and the exact ``state`` travel in
    ``extensions["bitbucket"]``. Versioning is ``TIMESTAMP`` (no conditional update: last
    writer wins). Deletes are real.
    """

    name: ClassVar[str] = "bitbucket"
    capabilities: ClassVar[Capabilities] = Capabilities(delete=DeleteModel.DELETE)
    root_collection_name: ClassVar[str] = "issues"
    uncarried_fields: ClassVar[frozenset[str]] = frozenset({"labels", "parent_id"})
    assignee_pattern: ClassVar[re.Pattern[str] | None] = _ACCOUNT
    """Account ids (``557058:<uuid>``, 24 hex digits) or an app user's ``{uuid}``: the
    characters those use; Bitbucket itself answers 400 for an id it does not know."""

    def __init__(
        self,
        auth: BasicAuth | BearerAuth,
        *,
        base_url: str = DEFAULT_BASE_URL,
        runtime: Runtime | None = None,
    ) -> None:
        if not isinstance(auth, BasicAuth | BearerAuth):
            raise TypeError("BitbucketConnector takes a reposix.BasicAuth or reposix.BearerAuth")
        super().__init__(
            base_url, auth=auth, headers={"Accept": "application/json"}, runtime=runtime
        )
        self._near_limit_warned = False

    @classmethod
    def with_basic(
        cls,
        user: str,
        secret: Secret,
        *,
        base_url: str = DEFAULT_BASE_URL,
        runtime: Runtime | None = None,
    ) -> BitbucketConnector:
        """Basic auth: Atlassian account email + API token, or username + app password."""
        return cls(
            BasicAuth(user, cls.require_secret(secret, "the API token")),
            base_url=base_url,
            runtime=runtime,
        )

    @classmethod
    def with_bearer(
        cls, token: Secret, *, base_url: str = DEFAULT_BASE_URL, runtime: Runtime | None = None
    ) -> BitbucketConnector:
        """OAuth 2 (or repository/workspace access token) bearer auth."""
        return cls(BearerAuth(cls.require_secret(token)), base_url=base_url, runtime=runtime)

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        """``pagelen`` to ask for: the runtime's page size, clamped to 1..100."""
        size = self.runtime.page_size or MAX_PAGE_SIZE
        return max(1, min(MAX_PAGE_SIZE, size))

    @staticmethod
    def _issues(project: str) -> str:
        workspace, slug = parse_project(project)
        return f"repositories/{workspace}/{slug}/issues"

    def _watch(self, response: httpx.Response) -> None:
        """Warn once when Bitbucket says fewer than 20 % of the hour's requests remain."""
        if response.headers.get("x-ratelimit-nearlimit", "").lower() == "true":
            if not self._near_limit_warned:
                log.warning(
                    "bitbucket: near the hourly rate limit (%s requests/hour for %s)",
                    response.headers.get("x-ratelimit-limit", "?"),
                    response.headers.get("x-ratelimit-resource", "?"),
                )
            self._near_limit_warned = True

    def _raise_for(self, response: httpx.Response, *, what: str, missing: str) -> None:
        """Watch the rate-limit headers, then map a non-2xx response through ``STATUSES``."""
        self._watch(response)
        STATUSES.raise_for(response, what=what, missing=missing)

    async def _fetch(self, project: str, issue_id: RecordId, *, what: str) -> BbIssue:
        response = await self._http.get(f"{self._issues(project)}/{issue_id}", op=what)
        self._raise_for(
            response,
            what=what,
            missing=f"bitbucket issue {project}#{issue_id} not found",
        )
        issue = decode(response, ISSUE, f"bitbucket issue {project}#{issue_id}")
        if issue.id != issue_id:
            raise protocol_error(response, f"{what}: asked for #{issue_id}, got #{issue.id}")
        return issue

    async def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        *,
        project: str,
        what: str,
        missing: str,
    ) -> httpx.Response:
        json_body = dict(body) if body is not None else None
        response = await self._http.request(method, path, op=what, json=json_body)
        self._raise_for(response, what=what, missing=missing)
        return response

    async def _change_state(self, project: str, issue_id: int, state: str, *, what: str) -> None:
        """``POST …/issues/{id}/changes`` with ``{"changes": {"state": {"new": state}}}``."""
        await self._send(
            "POST",
            f"{self._issues(project)}/{issue_id}/changes",
            {"changes": {"state": {"new": state}}},
            project=project,
            what=what,
            missing=f"bitbucket issue {project}#{issue_id} not found",
        )

    # -- listing ------------------------------------------------------------------------------

    def _stream(
        self, project: str, params: Mapping[str, Any], *, op: str, cap: int | None = None
    ) -> tuple[RecordStream, Paginator[BbIssue]]:
        """Issues as records, page by page, up to ``cap`` (``max_records``), following
        ``next`` exactly as given; the paginator is keyed on id, so a repeated issue is
        dropped (the first copy wins). The paginator is returned too: its ``truncated``
        says whether one of our caps (not the server) cut the listing."""
        what = f"bitbucket issues of {project}"

        def check(response: httpx.Response) -> None:
            self._raise_for(
                response,
                what=what,
                missing=f"bitbucket repository {project} not found",
            )

        pages = paginate_cursor_url(
            self._http,
            self._issues(project),
            op=op,
            adapter=PAGE,
            extract=_page,
            params={**params, "pagelen": self.page_size},
            key=lambda item: item.id,
            what=what,
            env_vars=ENV_VARS,
            check=check,
        )

        def build(page: Sequence[BbIssue]) -> list[Record]:
            return [record_from_issue(i) for i in page]

        limit = self.runtime.max_records if cap is None else cap
        return self.record_stream(pages, build, cap=limit), pages

    # -- read -------------------------------------------------------------------------------

    def iter_records(self, project: str) -> RecordStream:
        """Every issue of ``project`` in id order (``sort=id``), page by page."""
        stream, _ = self._stream(project, {"sort": "id"}, op="list")
        return stream

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        """Ids of issues updated strictly after ``since``, via BBQL ``updated_on > "…"``.

        Pages are numbered offsets, so the listing reads newest first
        (``sort=-updated_on``): an issue edited meanwhile moves to page 1, already read,
        and shifts rows down (duplicates, dropped), never up (gaps). Then it asks again for
        what changed after the newest ``updated_on`` seen, which catches that edited issue,
        until nothing newer comes back (at most three rounds).
        """
        found: dict[RecordId, Record] = {}
        after = since
        complete = True
        for _ in range(_CATCH_UP_ROUNDS):
            cap = self.runtime.max_records - len(found)
            stream, pages = self._stream(
                project,
                {"q": f"updated_on > {bbql_string(_stamp(after))}", "sort": "-updated_on"},
                op="list_changed_since",
                cap=cap,
            )
            records = [r async for r in stream]
            done = stream.is_complete
            capped = (not done and len(records) >= cap) or pages.truncated in (
                "max_items",
                "max_pages",
            )
            # a first pass that read fewer rows than ``size`` promised lost some to a
            # shift; the catch-up rounds re-ask for everything newer than what was seen
            complete = done if not found else complete and (done or not records)
            fresh = [
                r for r in records if r.id not in found or r.updated_at > found[r.id].updated_at
            ]
            for record in records:
                found[record.id] = record
            if not fresh or capped:
                break
            after = max(r.updated_at for r in records)
        if not complete:
            log.warning(
                "bitbucket: changes of %s since %s may be incomplete (%d issues read)",
                project,
                since.isoformat(),
                len(found),
            )
        return sorted(r.id for r in found.values() if r.updated_at > since)

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        """One issue; ``NotFound`` if it does not exist or the tracker is disabled."""
        return record_from_issue(await self._fetch(project, record_id, what="get"))

    # -- write ------------------------------------------------------------------------------

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        """``POST …/issues`` with ``title``, ``content.raw`` (Markdown), ``kind``,
        ``priority`` and ``assignee``; a status other than ``open`` (``new``) then takes a
        ``POST …/changes`` and a ``GET`` for the final view. The POST is never retried."""
        value = require_untainted(draft, RecordDraft)
        extra = mapping.extension_fields(value.extensions)
        body: dict[str, Any] = {
            "title": value.title,
            "content": {"raw": value.body, "markup": "markdown"},
        }
        for key in ("kind", "priority"):
            if key in extra:
                body[key] = extra[key]
        if value.assignee is not None:
            body["assignee"] = _assignee(value.assignee)
        path = self._issues(project)
        response = await self._send(
            "POST",
            path,
            body,
            project=project,
            what="create",
            missing=f"bitbucket repository {project} not found",
        )
        issue = decode(response, ISSUE, "bitbucket create response")
        state = mapping.state_to_write(value.status, extra.get("state"), None)
        if state != issue.state:
            await self._change_state(project, issue.id, state, what="create (state)")
            issue = await self._fetch(project, issue.id, what="create (read back)")
        return record_from_issue(issue)

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        """``GET``; a state change through ``POST …/changes``; then one partial ``PUT``.

        The state goes through the changes endpoint, Bitbucket's documented way (``PUT``
        does not change it in every case); the ``PUT`` comes last so its answer is the
        final view. ``expected_version`` is ignored (``TIMESTAMP``: no conditional update).
        """
        value = require_untainted(patch, Record)
        del expected_version  # declared: TIMESTAMP versioning, no server-side check
        extra = mapping.extension_fields(value.extensions)
        current = await self._fetch(project, record_id, what="update")
        state = mapping.state_to_write(value.status, extra.get("state"), current.state)
        if state != current.state:
            await self._change_state(project, record_id, state, what="update (state)")
        body: dict[str, Any] = {
            "title": value.title,
            "content": {"raw": value.body},
            "assignee": _assignee(value.assignee),
        }
        for key in ("kind", "priority"):
            if key in extra:
                body[key] = extra[key]
        response = await self._send(
            "PUT",
            f"{self._issues(project)}/{record_id}",
            body,
            project=project,
            what="update",
            missing=f"bitbucket issue {project}#{record_id} not found",
        )
        return record_from_issue(decode(response, ISSUE, "bitbucket update response"))

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        """``DELETE …/issues/{id}`` (``DeleteModel.DELETE``: the issue is gone; needs write
        access). ``reason`` is not recorded: Bitbucket keeps nothing of a deleted issue."""
        del reason
        await self._send(
            "DELETE",
            f"{self._issues(project)}/{record_id}",
            None,
            project=project,
            what="delete_or_close",
            missing=f"bitbucket issue {project}#{record_id} not found",
        )
