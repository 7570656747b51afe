"""``GitHubConnector``: GitHub Issues (REST v3) through the SDK's gated client."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

import httpx

from reposix import (
    AuthError,
    BearerAuth,
    Capabilities,
    ConfigError,
    DeleteModel,
    DeleteReason,
    HttpConnector,
    InvalidRecord,
    NotFound,
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
    next_link,
    paginate_link,
    protocol_error,
    require_untainted,
)
from reposix_github import DEFAULT_BASE_URL, ENV_VARS, mapping
from reposix_github.wire import ERROR, ISSUE, PAGE, GhError, GhIssue

__all__ = [
    "API_VERSION",
    "DEFAULT_BASE_URL",
    "ENV_VARS",
    "GitHubConnector",
    "parse_project",
    "record_from_issue",
]


log = logging.getLogger("reposix.github")


def _says_rate_limit(message: str) -> bool:
    return "rate limit" in message.lower()


STATUSES: Final = StatusTable(
    "github",
    env_vars=ENV_VARS,
    error_adapter=ERROR,
    render=GhError.summary,
    rules={
        301: StatusRule(
            NotFound,
            "it was moved or transferred",
            hint="look the issue up in its new repository",
            source="https://docs.github.com/en/rest/issues/issues#get-an-issue",
        ),
        401: StatusRule(
            AuthError,
            "github rejected the token",
            hint="check GITHUB_TOKEN: it may be mistyped, expired or revoked",
            source="https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api",
        ),
        403: (
            # A secondary limit whose headers the gate did not see (no retry-after): GitHub
            # answers 403 (or 429) with only a message saying so.
            StatusRule(
                RateLimited,
                "github refused for rate limiting",
                when=_says_rate_limit,
                source="https://docs.github.com/en/rest/using-the-rest-api/"
                "rate-limits-for-the-rest-api#exceeding-the-rate-limit; "
                "https://github.com/KnpLabs/php-github-api/issues/1070",
            ),
            StatusRule(
                AuthError,
                "github refused access",
                hint="check GITHUB_TOKEN has access to the repository and the "
                "'issues: write' (fine-grained) or 'repo' (classic) permission",
                source="https://docs.github.com/en/rest/issues/issues#update-an-issue",
            ),
        ),
        404: StatusRule(
            NotFound,
            hint="check the owner/repo and number; a private repository answers 404 when "
            "GITHUB_TOKEN cannot see it",
            source="https://docs.github.com/en/rest/issues/issues#get-an-issue",
        ),
        410: StatusRule(
            NotFound,
            "issues are disabled in the repository, or the issue was deleted",
            hint="enable Issues in the repository's settings, or use another repository",
            source="https://docs.github.com/en/rest/issues/issues#get-an-issue",
        ),
        422: StatusRule(
            InvalidRecord,
            "github refused the values",
            hint="fix the field GitHub names and retry",
            writes_only=True,
            source="https://docs.github.com/en/rest/issues/issues#create-an-issue",
        ),
    },
)
"""GitHub's statuses where they differ from (or add hints to) the SDK's RFC defaults."""

_LISTING_HINTS: Final = {
    301: "use the repository's new owner/name",
    404: "check the owner/repo spelling; a private repository answers 404 when "
    "GITHUB_TOKEN cannot see it",
    410: "enable Issues in the repository's settings, or use another repository",
}

API_VERSION: Final = "2022-11-28"
MAX_PAGE_SIZE: Final = 100
PAGE_CONCURRENCY: Final = 20
"""Most revealed listing pages fetched at once unless ``Runtime.page_concurrency`` says.

GitHub allows "no more than 100 concurrent requests" (a secondary rate limit shared by
REST and GraphQL: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api);
20 stays well under it and lets the 19 pages after a 20-page listing's first go in one
round when the network is slow (``benchmarks/bench_github.py`` (b): 20 pages at 50 ms;
a server that answers at once gets two at a time, see ``reposix._pagination._engine``).
The rate-limit gate still governs every request."""
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def parse_project(project: str) -> tuple[str, str]:
    """Split and validate ``owner/repo``; anything else is a ``ConfigError``."""
    owner, sep, repo = project.partition("/")
    if not sep or not _OWNER.match(owner) or not _REPO.match(repo) or repo in {".", ".."}:
        raise ConfigError(
            f"github project {project!r} is not owner/repo",
            hint="use the repository's owner and name, e.g. octo-org/hello-world",
        )
    return owner, repo


def version_of(updated_at: datetime) -> int:
    """``Record.version`` for GitHub: ``updated_at`` in whole epoch seconds.

    GitHub has no optimistic concurrency on issues; this version only tells two
    reads apart (see `GitHubConnector`).
    """
    return int(updated_at.timestamp())


def record_from_issue(issue: GhIssue) -> Record:
    """The reposix record for a GitHub issue (never call it on a pull request).

    Runs once per listed issue, so it reads each field once and hands ``Record`` a
    plain dict (``model_validate``; keyword arguments cost a third more). ``Record``
    still validates every field.
    """
    status, labels = mapping.read_labels(issue.state, issue.state_reason, issue.label_names)
    if issue.assignees:
        assignee: str | None = issue.assignees[0].login
    else:
        assignee = issue.assignee.login if issue.assignee is not None else None
    updated = issue.updated_at
    return Record.model_validate(
        {
            "id": issue.number,
            "title": issue.title,
            "status": status,
            "assignee": assignee,
            "labels": labels,
            "created_at": issue.created_at,
            "updated_at": updated,
            "version": int(updated.timestamp()),  # version_of
            "body": issue.body or "",
        }
    )


def _since_param(since: datetime) -> str:
    if since.tzinfo is None:
        raise ConfigError(
            "list_changed_since needs a timezone-aware datetime",
            hint="pass e.g. datetime(..., tzinfo=UTC)",
        )
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitHubConnector(HttpConnector):
    """GitHub Issues of one or more ``owner/repo`` projects, read and write.

    Versioning is ``TIMESTAMP``: ``Record.version`` is ``updated_at`` in epoch
    seconds. GitHub cannot refuse a stale write (no ETag/If-Match on issue
    PATCH), so ``expected_version`` is accepted and ignored, as declared; last
    writer wins. There is no real delete: ``delete_or_close`` closes the issue
    with the ``state_reason`` its ``DeleteReason`` maps to.
    """

    name: ClassVar[str] = "github"
    capabilities: ClassVar[Capabilities] = Capabilities(delete=DeleteModel.CLOSE)
    uncarried_fields: ClassVar[frozenset[str]] = frozenset({"parent_id"})
    """Sub-issues live behind a separate endpoint family
    (https://docs.github.com/en/rest/issues/sub-issues) that this connector does not map:
    a ``parent_id`` is neither read nor written (kit: W14)."""
    root_collection_name: ClassVar[str] = "issues"
    label_pattern: ClassVar[re.Pattern[str] | None] = mapping.LABEL_PATTERN
    """Labels in the ``status/`` namespace (any case) are the status field's (kit: W15)."""

    def __init__(
        self,
        token: Secret,
        *,
        base_url: str = DEFAULT_BASE_URL,
        runtime: Runtime | None = None,
    ) -> None:
        # Relative paths below join onto the base, so GHE's /api/v3 prefix survives.
        super().__init__(
            base_url,
            auth=BearerAuth(self.require_secret(token)),
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION},
            runtime=runtime,
        )

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        """``per_page`` to ask for: the runtime's page size, clamped to GitHub's 1..100."""
        size = self.runtime.page_size or MAX_PAGE_SIZE
        return max(1, min(MAX_PAGE_SIZE, size))

    @staticmethod
    def _issues_path(project: str) -> str:
        owner, repo = parse_project(project)
        return f"repos/{owner}/{repo}/issues"

    def _raise_for(
        self, response: httpx.Response, *, what: str, missing: str, listing: bool = False
    ) -> None:
        """Map a non-2xx response through ``STATUSES``; quiet on 2xx.

        Single requests call it directly; listings pass it to the paginator as ``check``
        (``listing=True`` words the not-found hints for a repository).
        """
        hints = _LISTING_HINTS if listing else None
        STATUSES.raise_for(response, what=what, missing=missing, hints=hints)

    async def _fetch(self, project: str, number: RecordId, *, what: str) -> GhIssue:
        owner, repo = parse_project(project)
        response = await self._http.get(f"repos/{owner}/{repo}/issues/{number}", op=what)
        self._raise_for(response, what=what, missing=f"github issue {project}#{number} not found")
        issue = decode(response, ISSUE, f"github issue {project}#{number}")
        if issue.is_pull_request:
            raise NotFound(
                f"{project}#{number} is a pull request, not an issue; "
                "the github connector maps issues only",
                hint="pull requests share the issue number space; pick an issue number",
            )
        return issue

    async def _send(
        self, method: str, path: str, body: Mapping[str, Any], *, what: str, missing: str
    ) -> GhIssue:
        response = await self._http.request(method, path, op=what, json=dict(body))
        self._raise_for(response, what=what, missing=missing)
        issue = decode(response, ISSUE, f"{what} response")
        if issue.is_pull_request:
            raise protocol_error(response, f"{what}: github answered with a pull request")
        return issue

    def _stream(
        self,
        project: str,
        params: Mapping[str, Any],
        *,
        op: str,
    ) -> RecordStream:
        """Issues (pull requests dropped) as records, page by page, up to ``max_records``."""
        what = f"github issues of {project}"

        def check(response: httpx.Response) -> None:
            self._raise_for(
                response, what=what, missing=f"github repository {project} not found", listing=True
            )

        pages = paginate_link(
            self._http,
            self._issues_path(project),
            op=op,
            adapter=PAGE,
            params={**params, "per_page": self.page_size},
            key=lambda item: item.number,
            what=what,
            env_vars=ENV_VARS,
            check=check,
            concurrency=PAGE_CONCURRENCY,
        )

        def build(page: Sequence[GhIssue]) -> list[Record]:
            return [record_from_issue(i) for i in page if not i.is_pull_request]

        return self.record_stream(pages, build, cap=self.runtime.max_records)

    # -- read -------------------------------------------------------------------------------

    def iter_records(self, project: str) -> RecordStream:
        """Every issue of ``project`` (pull requests skipped), oldest first, page by page.

        GitHub's ``rel="last"`` link names the last page, so after the first page the
        rest are fetched up to `PAGE_CONCURRENCY` (or ``Runtime.page_concurrency``) at a
        time, as many as the network's wait calls for, yielded in order.
        """
        return self._stream(
            project, {"state": "all", "sort": "created", "direction": "asc"}, op="list"
        )

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        """Ids of issues updated strictly after ``since``, paged by keyset on ``updated_at``.

        GitHub pages ``sort=updated`` listings by page number, so an issue edited between
        two page requests moves to the end and every issue behind it slides back one
        place: the one on the page boundary is never served. Each request therefore
        asks again for ``since=<newest updated_at seen>`` from page 1, and issues are
        de-duplicated by number. Only while a whole page shares one second (a bulk edit)
        does it page by number (2, 3 …), and then it reads that second once more from its
        first page, to catch an issue an edit slid back. GitHub's ``since`` is inclusive
        and second-precision, so the query asks for ``floor(since)`` and the exact
        timestamps are filtered to ``> since``.
        Source: https://docs.github.com/en/rest/issues/issues#list-repository-issues
        (``since``: "Only show results that were last updated after the given time";
        ``sort``/``direction``; page-number pagination).
        """
        _since_param(since)  # a naive datetime is a ConfigError before any request
        cap = self.runtime.max_records
        what = f"github issues of {project}"
        found: dict[int, GhIssue] = {}
        cursor, page, empty_streak = since, 1, 0
        rechecked: set[int] = set()
        while True:
            params = {
                "state": "all",
                "sort": "updated",
                "direction": "asc",
                "since": _since_param(cursor),
                "per_page": self.page_size,
                "page": page,
            }
            response = await self._http.request(
                "GET", self._issues_path(project), op="list_changed_since", params=params
            )
            self._raise_for(
                response, what=what, missing=f"github repository {project} not found", listing=True
            )
            items = decode(response, PAGE, f"{what} page")
            # The SDK's strict reader: an unreadable Link header is a ProtocolError, never
            # "no next page" (httpx's lenient ``links`` property drops what it cannot read).
            has_next = next_link(response, f"{what} page") is not None
            for item in items:
                if not item.is_pull_request and item.updated_at > since:
                    found[item.number] = item
            if len(found) >= cap or not has_next:
                break
            empty_streak = empty_streak + 1 if not items else 0
            if empty_streak > 2:
                break
            newest = max((i.updated_at for i in items), default=cursor)
            second = int(cursor.timestamp())
            if int(newest.timestamp()) <= second:
                page += 1  # a whole page in one second: only page numbers get past it
            elif page > 1 and second not in rechecked:
                # that second was paged by number, where an edit can slide an issue back
                # onto a page already read: read the second once more from its page 1
                rechecked.add(second)
                page = 1
            else:
                cursor, page = newest, 1
        if len(found) > cap or (len(found) == cap and has_next):
            log.warning(
                "github: changes of %s since %s truncated at %d issues",
                project,
                since.isoformat(),
                cap,
            )
        ordered = sorted(found.values(), key=lambda i: (i.updated_at, i.number))[:cap]
        return [i.number for i in ordered]

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        """One issue; ``NotFound`` for a missing number or a pull request."""
        return record_from_issue(await self._fetch(project, record_id, what="get"))

    # -- write ------------------------------------------------------------------------------

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        """``POST /repos/{o}/{r}/issues``; a closed status takes a second ``PATCH``.

        GitHub creates every issue open, so creating a ``done``/``wont_fix``
        record is two requests. The POST is never retried (GitHub has no
        idempotency key): on an error, list before creating again.
        """
        value = require_untainted(draft, RecordDraft)
        target = mapping.wire_state(value.status)
        body: dict[str, Any] = {
            "title": value.title,
            "body": value.body,
            "labels": mapping.labels_for_write(value.status, value.labels),
        }
        if value.assignee is not None:
            body["assignees"] = [value.assignee]
        owner, repo = parse_project(project)
        path = f"repos/{owner}/{repo}/issues"
        issue = await self._send(
            "POST", path, body, what="create", missing=f"github repository {project} not found"
        )
        if target.closed:
            issue = await self._send(
                "PATCH",
                f"{path}/{issue.number}",
                {"state": "closed", "state_reason": target.state_reason},
                what="create (close)",
                missing=f"github issue {project}#{issue.number} not found",
            )
        return record_from_issue(issue)

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        """``GET`` then ``PATCH`` the user-controlled fields.

        ``expected_version`` is ignored: GitHub cannot refuse a stale write
        (``VersioningModel.TIMESTAMP``). The GET keeps what reposix does not model
        (co-assignees, other ``status/*`` labels) and tells a pull request apart.
        Changing the reason of an already closed issue takes a reopen and a
        close, because GitHub ignores ``state_reason`` unless ``state`` changes.
        """
        value = require_untainted(patch, Record)
        del expected_version  # declared: TIMESTAMP versioning, no server-side check
        current = await self._fetch(project, record_id, what="update")
        target = mapping.wire_state(value.status)
        body: dict[str, Any] = {
            "title": value.title,
            "body": value.body,
            "labels": mapping.labels_for_write(value.status, value.labels, current.label_names),
        }
        assignees = mapping.assignees_for_write(value.assignee, current.assignee_logins)
        if assignees is not None:
            body["assignees"] = assignees
        # A closed issue whose reason already reads as the wanted status keeps its reason
        # (a ``duplicate`` stays ``duplicate``); one that reads otherwise is reopened and
        # closed again, since GitHub ignores state_reason unless state changes.
        reason_change = (
            current.state == "closed"
            and target.closed
            and mapping.closed_status(current.state_reason) is not value.status
        )
        if reason_change:
            body["state"] = "open"
        elif target.state != current.state:
            body["state"] = target.state
            if target.closed:
                body["state_reason"] = target.state_reason
        owner, repo = parse_project(project)
        path = f"repos/{owner}/{repo}/issues/{record_id}"
        missing = f"github issue {project}#{record_id} not found"
        issue = await self._send("PATCH", path, body, what="update", missing=missing)
        if reason_change:
            issue = await self._send(
                "PATCH",
                path,
                {"state": "closed", "state_reason": target.state_reason},
                what="update (close)",
                missing=missing,
            )
        return record_from_issue(issue)

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        """Close the issue with the ``state_reason`` for ``reason`` (GitHub has no delete).

        ``COMPLETED`` closes as ``completed`` (reads back as ``done``), ``DUPLICATE`` as
        ``duplicate`` and ``NOT_PLANNED``/``ABANDONED`` as ``not_planned`` (all three read
        back as ``wont_fix``, ``DeleteReason.closed_status``). The mapped ``status/*``
        labels are removed. An issue already closed with a reason that reads as the
        wanted status is left alone (never reopened to rewrite its reason).
        """
        current = await self._fetch(project, record_id, what="delete_or_close")
        wanted = mapping.close_reason(reason)
        want_status = reason.closed_status
        labels = current.label_names
        kept = [
            n
            for n in labels
            if n.lower() not in (mapping.IN_PROGRESS_LABEL, mapping.IN_REVIEW_LABEL)
        ]
        have = mapping.status_from_wire(current.state, current.state_reason, labels)
        owner, repo = parse_project(project)
        path = f"repos/{owner}/{repo}/issues/{record_id}"
        missing = f"github issue {project}#{record_id} not found"
        if current.state == "closed" and have is want_status:
            return
        if current.state == "closed":
            await self._send(
                "PATCH", path, {"state": "open"}, what="delete_or_close (reopen)", missing=missing
            )
        body: dict[str, Any] = {"state": "closed", "state_reason": wanted}
        if kept != labels:
            body["labels"] = kept
        await self._send("PATCH", path, body, what="delete_or_close", missing=missing)
