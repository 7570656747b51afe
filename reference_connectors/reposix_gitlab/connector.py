"""``GitLabConnector``: GitLab Issues (REST v4) through the SDK's gated client.

Vendor behaviour relied on, with its source:

* Issues API, paths, attributes, ``state_event``, ``add_labels``/``remove_labels``, delete
  for owners only: https://docs.gitlab.com/api/issues/
* project ids or URL-encoded full paths (``group%2Fsubgroup%2Fproject``):
  https://docs.gitlab.com/api/rest/#namespaced-paths
* ``PRIVATE-TOKEN`` / ``Authorization: Bearer``: https://docs.gitlab.com/api/rest/authentication/
* offset (``page``/``per_page``, ``x-next-page``, ``x-total``) and keyset
  (``pagination=keyset``, ``Link: rel="next"``) pagination, totals omitted above 10,000:
  https://docs.gitlab.com/api/rest/#pagination
* ``updated_after`` is inclusive ("updated on or after"): https://docs.gitlab.com/api/issues/#list-project-issues
* 429 with ``RateLimit-*`` and ``Retry-After``: https://docs.gitlab.com/user/gitlab_com/#rate-limits-on-gitlabcom
* users by name: https://docs.gitlab.com/api/users/#list-users (``?username=``)
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final, Literal
from urllib.parse import quote

import httpx

from reposix import (
    AuthError,
    BearerAuth,
    Capabilities,
    ConfigError,
    DeleteModel,
    DeleteReason,
    HeaderAuth,
    HttpConnector,
    InvalidRecord,
    NotFound,
    Paginator,
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
    paginate_link,
    protocol_error,
    require_untainted,
)
from reposix_gitlab import DEFAULT_BASE_URL, ENV_VARS, mapping
from reposix_gitlab.wire import ERROR, ISSUE, PAGE, USERS, GlError, GlIssue

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PAGE_SIZE",
    "GitLabConnector",
    "project_ref",
    "record_from_issue",
    "version_of",
]

log = logging.getLogger("reposix.gitlab")

_STATUS_DOC: Final = "https://docs.gitlab.com/api/rest/troubleshooting/#status-codes"
STATUSES: Final = StatusTable(
    "gitlab",
    env_vars=ENV_VARS,
    error_adapter=ERROR,
    render=GlError.summary,
    rules={
        401: StatusRule(
            AuthError,
            "gitlab rejected the token",
            hint="check GITLAB_TOKEN (PRIVATE-TOKEN) or GITLAB_OAUTH_TOKEN: it may be "
            "mistyped, expired or revoked, or lack the 'api' scope",
            source="https://docs.gitlab.com/api/rest/authentication/",
        ),
        403: StatusRule(
            AuthError,
            "gitlab refused access",
            hint="the token needs the 'api' scope and at least the Planner or Reporter "
            "role to write issues; a project with issues disabled answers 403 too",
            source="https://docs.gitlab.com/api/issues/#new-issue",
        ),
        404: StatusRule(
            NotFound,
            hint="check the project path or id and the issue number; a private project "
            "answers 404 when the token cannot see it",
            source=_STATUS_DOC,
        ),
        # A 429 whose headers the SDK's gate could not act on (GitLab sometimes omits
        # them, https://gitlab.com/gitlab-org/gitlab/-/issues/365728): the default rule.
        400: StatusRule(
            InvalidRecord,
            "gitlab refused the values",
            hint="fix the field GitLab names and retry",
            writes_only=True,
            source=_STATUS_DOC,
        ),
        422: StatusRule(
            InvalidRecord,
            "gitlab refused the values",
            hint="fix the field GitLab names and retry",
            writes_only=True,
            source=_STATUS_DOC,
        ),
    },
)
"""GitLab's statuses where they differ from (or add hints to) the SDK's RFC defaults."""

_DELETE_403: Final = (
    "only project Owners and administrators may delete issues "
    "(https://docs.gitlab.com/api/issues/#delete-an-issue); use a token with the Owner "
    "role, or close the issue instead (update_record with status done or wont_fix)"
)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MAX_PAGE_SIZE: Final = 100
"""GitLab's ``per_page`` maximum (https://docs.gitlab.com/api/rest/#offset-based-pagination)."""
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")
_NUMERIC = re.compile(r"[1-9][0-9]{0,18}")
_USERNAME = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}")


def project_ref(project: str) -> str:
    """The ``:id`` path component for ``project``: a numeric id as is, a full path
    (``group/subgroup/project``) URL-encoded with ``/`` as ``%2F``, as GitLab requires.

    Anything else (empty segments, ``..``, ``?``, ``#``, a trailing ``.git``) is a
    ``ConfigError`` before any request.
    """
    if _NUMERIC.fullmatch(project):
        return project
    parts = project.split("/")
    if (
        len(parts) < 2
        or len(parts) > 21
        or not all(_SEGMENT.fullmatch(p) for p in parts)
        or parts[-1].endswith((".git", ".atom"))
    ):
        raise ConfigError(
            f"gitlab project {project!r} is neither a numeric id nor a full path",
            hint="use the project's numeric id (Settings > General) or its full path, "
            "e.g. my-group/my-subgroup/my-project",
        )
    return quote(project, safe="")


def version_of(updated_at: datetime) -> int:
    """``Record.version`` for GitLab: ``updated_at`` in epoch milliseconds (GitLab's precision).

    GitLab has no optimistic concurrency on issue updates; the version only tells two
    reads apart.
    """
    return (updated_at - _EPOCH) // timedelta(milliseconds=1)


def record_from_issue(issue: GlIssue) -> Record:
    """The reposix record for a GitLab issue: ``id`` is the project-scoped ``iid``;
    ``extensions["gitlab"]`` holds the read-only ``closed_at`` (ISO 8601, ms) and
    ``closed_by`` (username), both None while the issue is open, and ``issue_type``
    (``issue``, ``incident``, ``test_case``, ``task``: the listing returns every type)."""
    names = issue.usernames
    return Record(
        id=issue.iid,
        title=issue.title,
        status=mapping.status_from_wire(issue.state, issue.labels),
        assignee=names[0] if names else None,
        labels=mapping.user_labels(issue.labels),
        created_at=issue.created_at,
        updated_at=issue.updated_at,
        version=version_of(issue.updated_at),
        body=issue.description or "",
        extensions={
            "gitlab": {
                "closed_at": _iso(issue.closed_at) if issue.closed_at else None,
                "closed_by": issue.closed_by.username if issue.closed_by else None,
                "issue_type": issue.issue_type or "issue",
            }
        },
    )


def _iso(when: datetime) -> str:
    utc = when.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _after_param(since: datetime) -> str:
    """``updated_after`` at millisecond precision, floored (the filter is re-applied exactly)."""
    if since.tzinfo is None:
        raise ConfigError(
            "list_changed_since needs a timezone-aware datetime",
            hint="pass e.g. datetime(..., tzinfo=UTC)",
        )
    utc = since.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


async def _aclose(pages: AsyncIterator[object]) -> None:
    """Close a page iterator now, so the paginator's ``finally`` runs (not at GC)."""
    close = getattr(pages, "aclose", None)
    if close is not None:
        await close()


class _KeysetRefused(Exception):
    """The server refused ``pagination=keyset`` for issues (GitLab before 18.3)."""


class GitLabConnector(HttpConnector):
    """GitLab issues of one or more projects, read and write.

    ``auth="private-token"`` (default) sends ``PRIVATE-TOKEN`` (personal, project and group
    access tokens); ``auth="bearer"`` sends ``Authorization: Bearer`` (OAuth tokens). The
    token never travels in the URL (no ``private_token=``).

    Versioning is ``TIMESTAMP``: GitLab cannot refuse a stale write, so
    ``expected_version`` is accepted and ignored; last writer wins. Deletes are real
    (``DELETE``) and need the Owner role: a 403 is an ``AuthError`` that says so.
    Epics, tasks and other work-item hierarchy are not carried (``parent_id``); writes
    ignore ``extensions``, which reads fill with the server-set ``closed_at``/``closed_by``
    (see ``uncarried_fields``).
    """

    name: ClassVar[str] = "gitlab"
    capabilities: ClassVar[Capabilities] = Capabilities(delete=DeleteModel.DELETE)
    root_collection_name: ClassVar[str] = "issues"
    uncarried_fields: ClassVar[frozenset[str]] = frozenset({"parent_id", "extensions"})
    """``parent_id``: epics are group-level (Premium) and tasks are work items of another
    API, neither a parent field of a REST v4 issue. ``extensions``: not written; reads
    carry the server-set ``closed_at`` and ``closed_by`` there."""
    label_pattern: ClassVar[re.Pattern[str] | None] = mapping.LABEL_PATTERN
    assignee_pattern: ClassVar[re.Pattern[str] | None] = _USERNAME
    """GitLab usernames: letters, digits, ``_``, ``.`` and ``-``, not starting with ``-``
    (the namespace path rule, ``lib/gitlab/path_regex.rb`` in gitlab-org/gitlab); an
    Atlassian account id (``557058:<uuid>``) never is one."""

    def __init__(
        self,
        token: Secret,
        *,
        base_url: str = DEFAULT_BASE_URL,
        auth: Literal["private-token", "bearer"] = "private-token",
        runtime: Runtime | None = None,
    ) -> None:
        secret = self.require_secret(token)
        if auth not in ("private-token", "bearer"):
            raise ConfigError(
                f"gitlab auth {auth!r} is unknown", hint="use 'private-token' or 'bearer'"
            )
        hook: httpx.Auth = (
            BearerAuth(secret) if auth == "bearer" else HeaderAuth("PRIVATE-TOKEN", secret)
        )
        # Relative paths join onto the base, so a /gitlab/api/v4 prefix survives.
        super().__init__(
            base_url, auth=hook, headers={"Accept": "application/json"}, runtime=runtime
        )
        self._user_ids: dict[str, int] = {}
        self._offset_only: set[str] = set()
        """``order_by`` values the server refused keyset pagination for (GitLab < 18.3)."""

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        """``per_page`` to ask for: the runtime's page size, clamped to GitLab's 1..100."""
        size = self.runtime.page_size or MAX_PAGE_SIZE
        return max(1, min(MAX_PAGE_SIZE, size))

    @staticmethod
    def _issues(project: str) -> str:
        return f"projects/{project_ref(project)}/issues"

    @staticmethod
    def _raise_for(
        response: httpx.Response,
        *,
        what: str,
        missing: str,
        hints: Mapping[int, str] | None = None,
    ) -> None:
        """Map a non-2xx response through ``STATUSES``; quiet on 2xx."""
        STATUSES.raise_for(response, what=what, missing=missing, hints=hints)

    def _decode(self, response: httpx.Response, project: str, what: str) -> GlIssue:
        return decode(response, ISSUE, f"gitlab {what} of {project}")

    async def _fetch(self, project: str, iid: RecordId, *, what: str) -> GlIssue:
        response = await self._http.get(f"{self._issues(project)}/{iid}", op=what)
        self._raise_for(response, what=what, missing=f"gitlab issue {project}#{iid} not found")
        issue = self._decode(response, project, "issue")
        if issue.iid != iid:
            raise protocol_error(
                response, f"{what}: asked for #{iid}, gitlab answered #{issue.iid}"
            )
        return issue

    async def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any],
        *,
        project: str,
        what: str,
        missing: str,
    ) -> GlIssue:
        response = await self._http.request(method, path, op=what, json=dict(body))
        self._raise_for(response, what=what, missing=missing)
        return self._decode(response, project, f"{what} response")

    async def _user_id(self, username: str) -> int:
        """The numeric id of ``username`` (``assignee_ids`` take ids), cached per connector."""
        if username in self._user_ids:
            return self._user_ids[username]
        if not self.accepts_assignee(username):
            raise InvalidRecord(
                f"{username!r} is not a gitlab username",
                hint="set assignee to the user's username (the part after @)",
            )
        response = await self._http.get("users", op="resolve_user", params={"username": username})
        self._raise_for(response, what="resolve_user", missing="gitlab users endpoint not found")
        users = decode(response, USERS, "gitlab users")
        match = [u for u in users if u.username.lower() == username.lower()]
        if not match:
            raise InvalidRecord(
                f"gitlab has no user named {username!r}",
                hint="set assignee to an existing username, or to None",
            )
        self._user_ids[username] = match[0].id
        return match[0].id

    # -- listing ------------------------------------------------------------------------------

    def _stream(self, project: str, params: Mapping[str, Any], *, op: str) -> RecordStream:
        """Issues as records, page by page, up to ``max_records``; a paginator keyed on
        ``iid`` drops repeated issues (the first copy wins).

        Keyset pagination first (GitLab requires it for large sets: offset pages omit
        totals above 10,000 records and get slow); a server that refuses it for this
        ordering (405, GitLab before 18.3 for project issues) is read with offset pages,
        still following ``Link: rel="next"`` (sent with ``x-next-page``) and checking
        ``x-total`` when present.
        """
        order = str(params.get("order_by"))
        offset = dict(params)
        if offset.get("order_by") == "id":
            offset["order_by"] = "created_at"
        if offset.get("order_by") == "updated_at":
            # Newest first: an issue edited mid-listing moves to page 1 (already read) and
            # shifts the rest down, so nothing is skipped (duplicates are dropped by key);
            # its new updated_at is later than the listing, so the next sync sees it.
            offset["sort"] = "desc"
        keyset = None
        if order not in self._offset_only:
            keyset = self._pages(project, {**params, "pagination": "keyset"}, op=op)
        fallback = self._pages(project, offset, op=op)

        async def source(outer: Paginator[GlIssue]) -> AsyncIterator[list[GlIssue]]:
            chosen = fallback
            if keyset is not None:
                pages = keyset.by_page()
                try:
                    first = await anext(pages, None)
                except _KeysetRefused:
                    log.warning(
                        "gitlab: keyset pagination on %s refused; falling back to offset pages",
                        order,
                    )
                    self._offset_only.add(order)
                else:
                    chosen = keyset
                    try:
                        if first is not None:
                            yield first
                        async for page in pages:
                            yield page
                    finally:
                        await _aclose(pages)
            if chosen is fallback:
                pages = fallback.by_page()
                try:
                    async for page in pages:
                        yield page
                finally:
                    await _aclose(pages)
            outer.complete, outer.truncated, outer.reason = (
                chosen.complete,
                chosen.truncated,
                chosen.reason,
            )

        def build(page: Sequence[GlIssue]) -> list[Record]:
            return [record_from_issue(i) for i in page]

        return self.record_stream(Paginator(source), build, cap=self.runtime.max_records)

    def _pages(self, project: str, params: Mapping[str, Any], *, op: str) -> Paginator[GlIssue]:
        what = f"gitlab issues of {project}"
        keyset = params.get("pagination") == "keyset"
        first = True

        def check(response: httpx.Response) -> None:
            nonlocal first
            was_first, first = first, False
            if keyset and was_first and response.status_code in (405, 501):
                # "Keyset pagination is not yet available for this type of request": 405
                # (501 before GitLab 13.x), lib/api/helpers/pagination_strategies.rb
                raise _KeysetRefused
            self._raise_for(response, what=what, missing=f"gitlab project {project} not found")

        return paginate_link(
            self._http,
            self._issues(project),
            op=op,
            adapter=PAGE,
            params={**params, "per_page": self.page_size},
            key=lambda item: item.iid,
            what=what,
            env_vars=ENV_VARS,
            check=check,
            total_header=None if keyset else "x-total",
        )

    # -- read -------------------------------------------------------------------------------

    def iter_records(self, project: str) -> RecordStream:
        """Every issue of ``project``, by ``iid``, with keyset pagination on ``id``."""
        return self._stream(project, {"order_by": "id", "sort": "asc"}, op="list")

    def iter_changed_since(self, project: str, since: datetime) -> RecordStream:
        """Issues updated strictly after ``since``, via ``updated_after``.

        GitLab's ``updated_after`` is inclusive; the query asks from ``since`` floored to
        the millisecond and the exact timestamps are filtered to ``> since``. Keyset
        pagination on ``updated_at`` cannot skip an issue edited mid-listing (it moves past
        the cursor and is read again; duplicates are dropped).
        Source: https://docs.gitlab.com/api/issues/#list-project-issues (``updated_after``).
        """
        full = self._stream(
            project,
            {"order_by": "updated_at", "sort": "asc", "updated_after": _after_param(since)},
            op="list_changed_since",
        )

        async def source(stream: RecordStream) -> AsyncIterator[Sequence[Record]]:
            async for page in full.pages():
                yield [r for r in page if r.updated_at > since]
            stream.finish(complete=full.is_complete, reason=full.reason)

        return RecordStream(source)

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        """One issue by ``iid``; ``NotFound`` if the project has none."""
        return record_from_issue(await self._fetch(project, record_id, what="get"))

    # -- write ------------------------------------------------------------------------------

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        """``POST /projects/:id/issues``; a closed status takes a second ``PUT``.

        GitLab creates every issue ``opened``, so creating a ``done``/``wont_fix`` record
        is two requests. The POST is never retried (no idempotency key).
        """
        value = require_untainted(draft, RecordDraft)
        labels = mapping.label_change(value.status, value.labels)
        body: dict[str, Any] = {
            "title": value.title,
            "description": value.body,
            "labels": ",".join(labels.full),
        }
        if value.assignee is not None:
            body["assignee_ids"] = [await self._user_id(value.assignee)]
        path = self._issues(project)
        issue = await self._send(
            "POST",
            path,
            body,
            project=project,
            what="create",
            missing=f"gitlab project {project} not found",
        )
        if mapping.wire_state(value.status) == "closed":
            issue = await self._send(
                "PUT",
                f"{path}/{issue.iid}",
                {"state_event": "close"},
                project=project,
                what="create (close)",
                missing=f"gitlab issue {project}#{issue.iid} not found",
            )
        return record_from_issue(issue)

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        """``GET`` then one ``PUT /projects/:id/issues/:iid``.

        Labels change through ``add_labels``/``remove_labels`` (the difference with the
        issue as read), so a label someone added meanwhile survives; the state through
        ``state_event=close|reopen``. ``expected_version`` is ignored (``TIMESTAMP``:
        GitLab has no conditional update). Co-assignees are replaced by the one assignee
        only when the first assignee changes.
        """
        value = require_untainted(patch, Record)
        del expected_version  # declared: TIMESTAMP versioning, no server-side check
        current = await self._fetch(project, record_id, what="update")
        labels = mapping.label_change(value.status, value.labels, current.labels)
        body: dict[str, Any] = {"title": value.title, "description": value.body}
        if labels.add:
            body["add_labels"] = ",".join(labels.add)
        if labels.remove:
            body["remove_labels"] = ",".join(labels.remove)
        names = current.usernames
        if value.assignee is None and names:
            body["assignee_ids"] = []
        elif value.assignee is not None and (not names or names[0] != value.assignee):
            body["assignee_ids"] = [await self._user_id(value.assignee)]
        target = mapping.wire_state(value.status)
        if target != current.state:
            body["state_event"] = "close" if target == "closed" else "reopen"
        return record_from_issue(
            await self._send(
                "PUT",
                f"{self._issues(project)}/{record_id}",
                body,
                project=project,
                what="update",
                missing=f"gitlab issue {project}#{record_id} not found",
            )
        )

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        """``DELETE /projects/:id/issues/:iid`` (``DeleteModel.DELETE``: the issue is gone).

        GitLab lets only project Owners and administrators delete issues; anyone else gets
        a 403, raised as ``AuthError`` with that fix. ``reason`` is not recorded (GitLab
        keeps no trace of a deleted issue).
        """
        del reason
        response = await self._http.delete(
            f"{self._issues(project)}/{record_id}", op="delete_or_close"
        )
        self._raise_for(
            response,
            what=f"delete_or_close of {project}#{record_id}",
            missing=f"gitlab issue {project}#{record_id} not found",
            hints={403: _DELETE_403},
        )
