"""``JiraConnector``: Jira Cloud issues (REST v3) through the SDK's gated client."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any, ClassVar, Final, TypeVar

import httpx
from pydantic import TypeAdapter

from reposix import (
    AtlassianSite,
    AuthError,
    BasicAuth,
    Capabilities,
    DeleteModel,
    DeleteReason,
    HttpConnector,
    InvalidRecord,
    NewestFirst,
    NotFound,
    NotSupported,
    Page,
    PageLimits,
    Paginator,
    ProtocolError,
    Record,
    RecordDraft,
    RecordId,
    RecordStatus,
    RecordStream,
    Runtime,
    Secret,
    StatusRule,
    StatusTable,
    Untainted,
    adf,
    atlassian_zone,
    decode,
    excerpt,
    paginate_token,
    protocol_error,
    require_untainted,
)
from reposix_jira import jql, mapping
from reposix_jira.wire import (
    CREATED,
    ERRORS,
    ISSUE,
    MYSELF,
    PROJECT,
    SEARCH,
    TRANSITIONS,
    ErrorCollection,
    Issue,
    SearchPage,
    Transition,
)

__all__ = ["FIELDS", "SECRET_ENV_VARS", "JiraConnector"]

log = logging.getLogger("reposix.jira")

FIELDS: Final = (
    "summary",
    "description",
    "status",
    "resolution",
    "assignee",
    "labels",
    "created",
    "updated",
    "parent",
    "issuetype",
    "priority",
    "project",
)
"""The only fields reposix requests: the ones it maps."""

SECRET_ENV_VARS: Final = ("JIRA_EMAIL", "JIRA_API_TOKEN")
"""Named in every authentication error."""

MAX_PAGE_SIZE: Final = 100
_T = TypeVar("_T")

_ISSUES_DOC: Final = "https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/"
STATUSES: Final = StatusTable(
    "jira",
    env_vars=SECRET_ENV_VARS,
    error_adapter=ERRORS,
    render=ErrorCollection.text,
    limit=160,
    rules={
        **dict.fromkeys(
            (401, 403),
            StatusRule(
                AuthError,
                "jira refused the credentials",
                hint="check JIRA_EMAIL and JIRA_API_TOKEN (an API token from "
                "id.atlassian.com, for that email) and that the account can see the project",
                source="https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/",
            ),
        ),
        400: StatusRule(
            InvalidRecord,
            "jira refused the request",
            hint="fix the field Jira names (labels cannot contain spaces; the assignee "
            "is an accountId; the summary is one line)",
            writes_only=True,
            # 400 with an ErrorCollection naming the field ("Field 'priority' is required")
            source=_ISSUES_DOC + "#api-rest-api-3-issue-post",
        ),
    },
)
"""Jira's statuses where they differ from (or add hints to) the SDK's RFC defaults; a
409 "conflicting update" on ``PUT /issue`` is the default ``VersionMismatch``."""
_SEARCH = "rest/api/3/search/jql"


class JiraConnector(HttpConnector):
    """Issues of Jira Cloud projects (by project key), read and write.

    * Versioning is ``TIMESTAMP``: ``version`` is ``fields.updated`` in epoch
      milliseconds. Jira has no ETag or If-Match on issues, so ``expected_version`` is
      accepted and ignored, as declared: last writer wins.
    * ``delete_or_close`` closes by workflow transition (``COMPLETED`` → a done status,
      other reasons → a won't-do status or resolution); reposix never deletes Jira issues.
    * Status writes go through the workflow's transitions; a status the workflow cannot
      reach from the current one is ``NotSupported`` and names the available transitions.
    * Bodies are Markdown ↔ ADF through `reposix._formats.adf`.
    * ``assignee`` is the user's ``accountId`` (stable; display names are not unique).
    """

    name: ClassVar[str] = "jira"
    capabilities: ClassVar[Capabilities] = Capabilities(delete=DeleteModel.CLOSE)
    root_collection_name: ClassVar[str] = "issues"

    def __init__(
        self,
        email: str,
        token: Secret,
        *,
        base_url: str,
        runtime: Runtime | None = None,
    ) -> None:
        # The site root or the gateway (https://api.atlassian.com/ex/jira/{cloudId}): every
        # request path below is relative, so the gateway prefix survives.
        self.site = AtlassianSite.parse(base_url, "jira")
        super().__init__(
            self.site.client_base,
            auth=BasicAuth(email, self.require_secret(token, "the API token")),
            headers={"Accept": "application/json"},
            runtime=runtime,
        )
        self._issue_types: dict[str, str] = {}
        self._zone: tzinfo | None = None
        self._zone_known = False

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        """``maxResults`` to ask for: the runtime's page size, clamped to 1..100."""
        return max(1, min(MAX_PAGE_SIZE, self.runtime.page_size or MAX_PAGE_SIZE))

    @staticmethod
    def _check(response: httpx.Response, *, what: str, missing: str = "") -> None:
        """Map a non-2xx response through ``STATUSES`` (Jira's ErrorCollection text)."""
        STATUSES.raise_for(response, what=what, missing=missing or None)

    def _check_search(self, response: httpx.Response, *, project: str, what: str) -> None:
        """``_check`` for a search page: a 400 naming a missing project is ``NotFound``.

        Jira answers an unknown project key in JQL with 400 "... does not exist";
        any other 400 is a refused query (``ProtocolError``), not an invalid record.
        """
        if response.status_code != 400:
            self._check(response, what=what)
            return
        text = _error_text(response)
        detail = text or excerpt(response)
        if "does not exist" in detail:
            raise NotFound(
                f"jira project {project} (the search says: {detail})",
                hint="check the project key (it is case-sensitive) and that JIRA_EMAIL "
                "can browse the project",
            )
        suffix = f": {text}" if text else ""
        raise protocol_error(response, f"{what}: jira refused the search (HTTP 400{suffix})")

    def _decode(self, response: httpx.Response, adapter: TypeAdapter[_T], what: str) -> _T:
        return decode(response, adapter, what)

    def _issue_path(self, record_id: RecordId) -> str:
        if not isinstance(record_id, int) or isinstance(record_id, bool) or record_id <= 0:
            raise NotFound(f"jira issue {record_id!r} (ids are positive integers)")
        return f"rest/api/3/issue/{record_id}"

    async def _fetch(self, project: str, record_id: RecordId) -> Issue:
        key = jql.validate_key(project)
        missing = f"jira issue {record_id} in project {key}"
        response = await self._http.get(
            self._issue_path(record_id), op="get_record", params={"fields": ",".join(FIELDS)}
        )
        self._check(response, what=f"get jira issue {record_id}", missing=missing)
        issue = self._decode(response, ISSUE, "jira issue")
        owner = issue.fields.project
        if owner is None or (owner.key is not None and owner.key != key):
            raise NotFound(f"{missing}: it belongs to project {owner.key if owner else '?'}")
        if issue.id != record_id:
            raise NotFound(f"{missing}: jira answered with issue {issue.id} instead")
        return issue

    # -- read -------------------------------------------------------------------------------

    def _pages(
        self,
        project: str,
        query: str,
        fields: tuple[str, ...],
        op: str,
        newest: NewestFirst[Issue] | None = None,
        *,
        progress: bool = True,
    ) -> Paginator[Issue]:
        body: dict[str, Any] = {"jql": query, "fields": list(fields), "maxResults": self.page_size}
        what = f"jira search in {project}"

        def extract(page: SearchPage) -> Page[Issue]:
            if newest is not None and newest.done_after(page.issues):
                return Page(page.issues)  # sorted newest first: nothing newer follows
            more = None if page.isLast is None else not page.isLast
            return Page(page.issues, next=page.nextPageToken or None, more=more)

        def check(response: httpx.Response) -> None:
            self._check_search(response, project=project, what=what)

        return paginate_token(
            self._http,
            _SEARCH,
            op=op,
            adapter=SEARCH,
            extract=extract,
            body=body,
            limits=PageLimits(max_items=self.runtime.max_records),
            key=lambda issue: issue.id,
            what=what,
            on_items=self.report_progress if progress else None,
            env_vars=SECRET_ENV_VARS,
            check=check,
        )

    async def _drain(self, project: str, pages: Paginator[Issue]) -> tuple[list[Issue], bool]:
        """Read every page; ``(issues, complete)``."""
        issues: list[Issue] = []
        async for issue in pages:
            issues.append(issue)
        if not pages.complete:
            log.warning("jira: listing of %s is incomplete: %s", project, pages.reason)
        return issues, pages.complete

    def iter_records(self, project: str) -> RecordStream:
        """Every issue of ``project`` via the enhanced search (``nextPageToken``/``isLast``),
        page by page (a token style: pages come one after another)."""
        query = jql.project_jql(project)
        pages = self._pages(project, query, FIELDS, "list_records", progress=False)
        return self.record_stream(pages, _records_of)

    async def _user_zone(self) -> tzinfo | None:
        """The calling user's profile time zone (JQL reads dates in it); cached."""
        if not self._zone_known:
            response = await self._http.get("rest/api/3/myself", op="myself")
            self._check(response, what="read the jira user's time zone")
            self._zone = atlassian_zone(self._decode(response, MYSELF, "jira user").timeZone)
            if self._zone is None:
                log.warning("jira: unknown user time zone; widening JQL dates by 14 hours")
            self._zone_known = True
        return self._zone

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        """Ids with ``updated > since``: JQL ``updated >= "minute"`` in the user's zone, then
        filtered on the exact timestamps (JQL is minute-precise and inclusive)."""
        query = jql.changed_since_jql(project, since, await self._user_zone())

        def updated(issue: Issue) -> datetime:
            value = issue.fields.updated
            if value is None:
                raise ProtocolError(f"jira issue {issue.key} has no usable 'updated' field")
            return value

        # Newest first: paging stops after a page ending with an issue not newer than
        # ``since``, unless an issue came out of that order (then every page is read).
        newest = NewestFirst(since, updated)
        pages = self._pages(project, query, ("updated",), "list_changed_since", newest)
        issues, _ = await self._drain(project, pages)
        return [issue.id for issue in issues if updated(issue) > since]

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        """One issue by numeric id; ``NotFound`` if missing or in another project."""
        return mapping.record_from_issue(await self._fetch(project, record_id))

    # -- write ------------------------------------------------------------------------------

    async def _issue_type(self, project: str) -> str:
        """The id of the project's "Task" issue type (else its first standard type), cached."""
        if project not in self._issue_types:
            response = await self._http.get(f"rest/api/3/project/{project}", op="project")
            self._check(
                response, what=f"read jira project {project}", missing=f"jira project {project}"
            )
            types = list(self._decode(response, PROJECT, "jira project").issueTypes)
            standard = [t for t in types if not t.subtask]
            if not standard:
                raise NotSupported(
                    f"jira project {project} has no standard issue type to create issues with"
                )
            task = [t for t in standard if t.name.lower() == "task"]
            self._issue_types[project] = (task or standard)[0].id
        return self._issue_types[project]

    def stored_form(self, draft: RecordDraft) -> RecordDraft:
        """``draft`` as Jira keeps it: the body as the canonical Markdown its ADF reads back
        as (ADF stores structure, not Markdown spelling: ``* a`` reads back as ``- a``)."""
        return draft.model_copy(update={"body": adf.canonicalize(draft.body)})

    @staticmethod
    def _description(body: str) -> dict[str, Any] | None:
        return adf.from_markdown(body) if body else None

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        """``POST /rest/api/3/issue``, then move it to the draft's status, then read it back."""
        d = require_untainted(draft, RecordDraft)
        key = jql.validate_key(project)
        fields: dict[str, Any] = {
            "project": {"key": key},
            "issuetype": {"id": await self._issue_type(key)},
            "summary": d.title,
            "labels": list(d.labels),
        }
        description = self._description(d.body)
        if description is not None:
            fields["description"] = description
        if d.assignee is not None:
            fields["assignee"] = {"accountId": d.assignee}
        if d.parent_id is not None:
            fields["parent"] = {"id": str(d.parent_id)}
        response = await self._http.post(
            "rest/api/3/issue", op="create_record", json={"fields": fields}
        )
        self._check(response, what=f"create a jira issue in {key}", missing=f"jira project {key}")
        created = self._decode(response, CREATED, "jira created issue")
        record_id = created.id
        record = await self.get_record(key, record_id)
        if record.status is not d.status:
            await self._move(key, record, d.status)
            record = await self.get_record(key, record_id)
        return record

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        """``PUT /rest/api/3/issue/{id}`` with the changed fields, then a transition for a
        changed status. ``expected_version`` is ignored (TIMESTAMP versioning)."""
        r = require_untainted(patch, Record)
        key = jql.validate_key(project)
        current = await self.get_record(key, record_id)
        fields: dict[str, Any] = {}
        if r.title != current.title:
            fields["summary"] = r.title
        if r.body != current.body:
            fields["description"] = self._description(r.body)
        if r.labels != current.labels:
            fields["labels"] = list(r.labels)
        if r.assignee != current.assignee:
            fields["assignee"] = {"accountId": r.assignee} if r.assignee is not None else None
        if r.parent_id != current.parent_id:
            fields["parent"] = {"id": str(r.parent_id)} if r.parent_id is not None else None
        if fields:
            response = await self._http.put(
                self._issue_path(record_id), op="update_record", json={"fields": fields}
            )
            self._check(
                response,
                what=f"update jira issue {record_id}",
                missing=f"jira issue {record_id} in project {key}",
            )
        if r.status is not current.status:
            await self._move(key, current, r.status)
        return await self.get_record(key, record_id)

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        """Close by transition: ``COMPLETED`` → done, other reasons → won't do."""
        key = jql.validate_key(project)
        current = await self.get_record(key, record_id)
        want = reason.closed_status
        if current.status is not want:
            await self._move(key, current, want)

    async def _move(self, project: str, current: Record, want: RecordStatus) -> None:
        """Apply the workflow transition that leads to ``want``, or ``NotSupported``."""
        path = self._issue_path(current.id) + "/transitions"
        missing = f"jira issue {current.id} in project {project}"
        response = await self._http.get(path, op="transitions")
        self._check(response, what=f"list transitions of jira issue {current.id}", missing=missing)
        available = self._decode(response, TRANSITIONS, "jira transitions").transitions
        chosen = mapping.choose_transition(available, want)
        body: dict[str, Any]
        if chosen is not None:
            body = {"transition": {"id": chosen.id}}
        else:
            fallback = _resolution_fallback(available, want)
            if fallback is None:
                raise NotSupported(
                    f"the jira workflow of {project} has no transition from "
                    f"'{_status_name(current)}' to a {want.value} status "
                    f"(available: {_describe(available)})",
                    hint="add a transition to the workflow, or set this status in Jira",
                )
            body = {
                "transition": {"id": fallback.id},
                "fields": {"resolution": {"name": "Won't Do"}},
            }
        response = await self._http.post(path, op="transition", json=body)
        self._check(response, what=f"transition jira issue {current.id}", missing=missing)
        if chosen is None:
            after = await self.get_record(project, current.id)
            if after.status is not want:
                raise NotSupported(
                    f"the jira workflow of {project} closed issue {current.id} as "
                    f"'{_status_name(after)}' ({after.status.value}), not {want.value}: it has "
                    "no won't-do status and ignores the resolution",
                    hint="add a Won't Do status or a resolution screen to the workflow",
                )


def _records_of(page: Sequence[Issue]) -> list[Record]:
    return [mapping.record_from_issue(issue) for issue in page]


def _resolution_fallback(available: list[Transition], want: RecordStatus) -> Transition | None:
    """For ``wont_fix`` with no won't-do status: a done transition, setting the resolution."""
    if want is not RecordStatus.WONT_FIX:
        return None
    done = [
        t
        for t in available
        if t.isAvailable and mapping.category(t.to.statusCategory.key) == "done"
    ]
    return done[0] if done else None


def _status_name(record: Record) -> str:
    jira = record.extensions.get("jira")
    if isinstance(jira, Mapping):
        name = jira.get("status_name")
        if isinstance(name, str):
            return name
    return record.status.value


def _describe(available: list[Transition]) -> str:
    if not available:
        return "none"
    return ", ".join(f"'{t.name}' → '{t.to.name}'" for t in available)


def _error_text(response: httpx.Response) -> str:
    """Jira's ErrorCollection as one line, redacted by the SDK (empty if not one)."""
    return STATUSES.message(response)
