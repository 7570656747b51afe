"""``LinearConnector``: Linear issues over its GraphQL API, through the SDK's gated client."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final, TypeVar

from pydantic import TypeAdapter

from reposix import (
    BearerAuth,
    Capabilities,
    ConfigError,
    DeleteModel,
    DeleteReason,
    HeaderAuth,
    HttpConnector,
    InvalidRecord,
    NotFound,
    Page,
    Record,
    RecordDraft,
    RecordId,
    RecordStatus,
    RecordStream,
    Runtime,
    Secret,
    Untainted,
    graphql_call,
    paginate_graphql,
    require_untainted,
)
from reposix_linear import DEFAULT_BASE_URL, ENV_VARS, mapping, wire
from reposix_linear.wire import LnIssue, LnState, LnTeam

__all__ = ["DEFAULT_BASE_URL", "LinearConnector", "parse_team", "record_from_issue"]

log = logging.getLogger("reposix.linear")

T = TypeVar("T")

MAX_PAGE_SIZE: Final = 250
"""Linear's connection ``first`` cap (https://linear.app/developers/pagination)."""
_TEAM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,9}$")
_IDENTIFIER = re.compile(r"^(?P<team>[A-Za-z0-9][A-Za-z0-9_]{0,9})-(?P<number>[1-9][0-9]*)$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MS = timedelta(milliseconds=1)


def parse_team(project: str) -> str:
    """Validate a team key (``ENG``); anything else is a ``ConfigError``."""
    if not _TEAM_KEY.match(project):
        raise ConfigError(
            f"linear project {project!r} is not a team key",
            hint="use the team's key as Linear shows it in issue identifiers, e.g. ENG",
        )
    return project.upper()


def record_from_issue(issue: LnIssue) -> Record:
    """The reposix record for a Linear issue (see `LinearConnector` for the fields)."""
    parent = issue.parent
    same_team = parent is not None and parent.team.key == issue.team.key
    ext: dict[str, Any] = {
        "id": issue.id,
        "identifier": issue.identifier,
        "priority": issue.priority,
        "state": issue.state.name,
        "state_type": issue.state.type,
    }
    if issue.archivedAt is not None:
        ext["archived_at"] = issue.archivedAt.astimezone(UTC).isoformat()
    if parent is not None and not same_team:
        ext["parent"] = parent.id  # a parent in another team has no record id here
    return Record(
        id=issue.number,
        title=issue.title,
        status=mapping.status_of(issue.state.type, issue.state.name),
        assignee=issue.assignee.displayName if issue.assignee else None,
        labels=sorted({label.name for label in issue.labels.nodes}, key=str.lower),
        created_at=issue.createdAt,
        updated_at=issue.updatedAt,
        version=int(issue.updatedAt.timestamp() * 1000),
        body=issue.description or "",
        parent_id=parent.number if parent is not None and same_team else None,
        extensions={"linear": ext},
    )


def _gt_param(since: datetime) -> str:
    """``since`` floored to Linear's millisecond precision, ISO 8601 UTC."""
    if since.tzinfo is None:
        raise ConfigError(
            "list_changed_since needs a timezone-aware datetime",
            hint="pass e.g. datetime(..., tzinfo=UTC)",
        )
    floored = since.astimezone(UTC)
    floored = floored.replace(microsecond=floored.microsecond // 1000 * 1000)
    return floored.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _TeamCache:
    team: LnTeam
    labels: dict[str, str] = field(default_factory=dict)
    """Label name (case-folded) → id, team labels over workspace labels."""
    labels_loaded: bool = False


class LinearConnector(HttpConnector):
    """Issues of Linear teams, read and write, over ``POST /graphql``.

    * **Project**: a team key (``ENG``). An unknown key is ``NotFound``.
    * **Record id**: the issue *number* (``123`` of ``ENG-123``): what users see, and
      unique within the team. The UUID (stable across team moves) and the identifier are
      kept in ``extensions["linear"]`` (``id``, ``identifier``); `get_by_ref` reads
      an issue by either.
    * **Status**: by workflow-state type (see `reposix_linear.mapping`); writes
      pick the team's state of the wanted type, first by position, cached per team.
    * **Assignee**: the user's ``displayName`` (the @handle, unique in a workspace). On
      write an email (anything with ``@``) is accepted too; an unknown user is
      ``InvalidRecord``.
    * **Labels**: by name, team labels first, then workspace labels (case-insensitive);
      a name that exists nowhere is created as a team label (``issueLabelCreate``).
    * **Parent**: ``parentId``; a parent in another team reads as ``parent_id=None``
      with its UUID in ``extensions["linear"]["parent"]``.
    * **Priority**: read into ``extensions["linear"]["priority"]`` (0 none, 1 urgent …
      4 low); written when a record's ``extensions["linear"]["priority"]`` is set.
    * **Versioning**: none exists in Linear (no precondition on ``issueUpdate``), so
      ``Record.version`` is ``updatedAt`` in epoch milliseconds and
      ``expected_version`` is ignored: ``TIMESTAMP``, last writer wins.
    * **delete_or_close**: moves the issue to a closing state (``completed``,
      ``canceled``, or ``duplicate`` when the team has one); the issue stays readable.
      Archiving (``issueArchive``) and trashing (``issueDelete``, 30-day grace) are
      `archive` and `trash`, never implied.
    * ``include_archived`` lists archived issues too (Linear's ``includeArchived``,
      default false).
    """

    name: ClassVar[str] = "linear"
    capabilities: ClassVar[Capabilities] = Capabilities(delete=DeleteModel.CLOSE, hierarchy=True)
    uncarried_fields: ClassVar[frozenset[str]] = frozenset({"extensions"})
    """``extensions["linear"]`` is filled by reads (UUID, identifier, state name) and
    only its ``priority`` is written, so extensions do not round-trip as given."""
    root_collection_name: ClassVar[str] = "issues"

    def __init__(
        self,
        credential: Secret,
        *,
        oauth: bool = False,
        base_url: str = DEFAULT_BASE_URL,
        runtime: Runtime | None = None,
        include_archived: bool = False,
    ) -> None:
        secret = self.require_secret(credential, "the API key or OAuth token")
        # A personal API key goes raw in Authorization, an OAuth token as Bearer
        # (https://linear.app/developers/graphql#authentication).
        auth = BearerAuth(secret) if oauth else HeaderAuth("Authorization", secret)
        super().__init__(
            base_url, auth=auth, headers={"Content-Type": "application/json"}, runtime=runtime
        )
        self.include_archived = include_archived
        self._teams: dict[str, _TeamCache] = {}

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        size = self.runtime.page_size or 50
        return max(1, min(MAX_PAGE_SIZE, size))

    async def _call(
        self,
        document: str,
        adapter: TypeAdapter[T],
        variables: Mapping[str, Any] | None = None,
        *,
        what: str,
    ) -> T:
        return await graphql_call(
            self._http,
            "graphql",
            document,
            adapter,
            variables=variables,
            what=what,
            env_vars=ENV_VARS,
        )

    async def _team(self, project: str) -> _TeamCache:
        key = parse_team(project)
        cached = self._teams.get(key)
        if cached is not None:
            return cached
        data = await self._call(
            wire.TEAM_BY_KEY, wire.TEAMS, {"key": key}, what=f"linear team {key}"
        )
        found = [t for t in data.teams.nodes if t.key.upper() == key]
        if not found:
            raise NotFound(
                f"linear team {key} not found",
                hint="check the team key (Settings → Teams) and that the key can see the team",
            )
        cache = _TeamCache(found[0])
        self._teams[key] = cache
        return cache

    async def _find(self, project: str, number: RecordId, *, what: str) -> LnIssue:
        team = await self._team(project)
        data = await self._call(
            wire.GET_ISSUE,
            wire.ONE_ISSUE,
            {"team": team.team.key, "number": number},
            what=f"{what} linear issue {team.team.key}-{number}",
        )
        for issue in data.issues.nodes:
            if issue.number == number and issue.team.key == team.team.key:
                return issue
        raise NotFound(
            f"linear issue {team.team.key}-{number} not found",
            hint="check the number; an issue moved to another team has a new identifier",
        )

    def _pages(
        self,
        document: str,
        adapter: TypeAdapter[Any],
        variables: Mapping[str, Any],
        *,
        op: str,
        what: str,
    ) -> Any:
        def extract(doc: Any) -> Page[Any]:
            return Page.relay(doc.data.issues.nodes, doc.data.issues.pageInfo)

        return paginate_graphql(
            self._http,
            "graphql",
            op=op,
            query=document,
            adapter=adapter,
            extract=extract,
            variables={**variables, "first": self.page_size},
            key=lambda item: item.number,
            what=what,
            env_vars=ENV_VARS,
        )

    # -- read -------------------------------------------------------------------------------

    def iter_records(self, project: str) -> RecordStream:
        """Every issue of the team, oldest first (``orderBy: createdAt``), Relay-paged, page
        by page; the paginator is keyed on ``number`` (a repeat is dropped) and the stream
        stops at ``max_records``. An unknown team: ``NotFound`` on the first iteration."""

        async def start() -> RecordStream:
            team = await self._team(project)
            pages = self._pages(
                wire.LIST_ISSUES,
                wire.ISSUES_RESPONSE,
                {"team": team.team.key, "includeArchived": self.include_archived},
                op="ListIssues",
                what=f"linear issues of {team.team.key}",
            )

            def build(page: Sequence[Any]) -> list[Record]:
                return [record_from_issue(i) for i in page]

            return self.record_stream(pages, build, cap=self.runtime.max_records)

        return RecordStream.after(start)

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        """Numbers of issues updated strictly after ``since``, paged by keyset on ``updatedAt``.

        ``filter: {updatedAt: {gt: …}}`` with ``orderBy: updatedAt``
        (https://linear.app/developers/filtering, https://linear.app/developers/pagination).
        A Relay cursor names a position, and an issue edited while the listing runs moves
        to the end of an updated-ordered list, which can slide an unread issue back
        across the cursor. So each page asks afresh for ``updatedAt >= <newest seen>``
        (numbers de-duplicated); only while a whole page shares one timestamp does it
        follow ``endCursor``. Linear keeps milliseconds: the first query asks ``gt`` the
        millisecond floor of ``since`` and the exact ``> since`` is applied here.
        """
        gt = _gt_param(since)
        team = await self._team(project)
        cap = self.runtime.max_records
        what = f"linear changes of {team.team.key}"
        found: dict[int, datetime] = {}
        bound: dict[str, str] = {"gt": gt}
        after: str | None = None
        asked: set[tuple[str, str, str | None]] = set()
        complete = True
        while True:
            step = (next(iter(bound)), next(iter(bound.values())), after)
            if step in asked:  # a repeating cursor: stop rather than loop
                complete = False
                break
            asked.add(step)
            data = await self._call(
                wire.LIST_CHANGED,
                wire.CHANGES,
                {
                    "filter": {"team": {"key": {"eq": team.team.key}}, "updatedAt": bound},
                    "first": self.page_size,
                    "after": after,
                    "includeArchived": self.include_archived,
                },
                what=what,
            )
            nodes = data.issues.nodes
            for change in nodes:
                if change.updatedAt > since:
                    found[change.number] = change.updatedAt
            info = data.issues.pageInfo
            if len(found) > cap or not info.hasNextPage:
                break
            newest = max((c.updatedAt for c in nodes), default=None)
            if newest is not None and _gt_param(newest) != next(iter(bound.values())):
                bound, after = {"gte": _gt_param(newest)}, None
            elif info.endCursor:
                after = info.endCursor  # a whole page in one millisecond: only the cursor moves
            else:
                complete = False  # more claimed, no way to ask for it
                break
        if len(found) > cap or not complete:
            log.warning(
                "linear: changes of %s since %s may be incomplete (cap %d)", project, gt, cap
            )
        return sorted(found, key=lambda n: (found[n], n))[:cap]

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        """One issue by number (archived ones too); ``NotFound`` if the team has none."""
        return record_from_issue(await self._find(project, record_id, what="get"))

    async def get_by_ref(self, ref: str) -> Record:
        """One issue by its identifier (``ENG-123``) or UUID, wherever it lives now.

        Linear's ``issue(id:)`` takes either; a UUID finds an issue after a team move.
        """
        if not (_IDENTIFIER.match(ref) or _UUID.match(ref)):
            raise ConfigError(
                f"{ref!r} is neither a Linear issue identifier nor a UUID",
                hint="use e.g. ENG-123 or the issue's UUID",
            )
        data = await self._call(
            wire.FIND_ISSUE, wire.FOUND_ISSUE, {"id": ref}, what=f"linear {ref}"
        )
        return record_from_issue(data.issue)

    # -- write helpers -----------------------------------------------------------------------

    def _state_for(
        self, team: _TeamCache, status: RecordStatus, current: LnState | None = None
    ) -> LnState:
        state = mapping.choose_state(team.team.states.nodes, status, current)
        if state is None:
            raise InvalidRecord(
                f"linear team {team.team.key} has no workflow state for status {status.value}",
                hint="add one (Settings → Teams → Workflow): a started state named "
                "'In Review' holds in_review",
            )
        return state

    async def _user_id(self, who: str) -> str:
        field_name = "email" if "@" in who else "displayName"
        data = await self._call(
            wire.FIND_USERS,
            wire.USERS,
            {"filter": {field_name: {"eq": who}}},
            what=f"linear user {who}",
        )
        if not data.users.nodes:
            raise InvalidRecord(
                f"linear has no user {who!r}",
                hint="assign by the user's display name (@handle) or email",
            )
        return data.users.nodes[0].id

    async def _label_ids(self, team: _TeamCache, names: list[str]) -> list[str]:
        if not names:
            return []
        if not team.labels_loaded or any(n.lower() not in team.labels for n in names):
            await self._load_labels(team)
        ids: list[str] = []
        for name in names:
            key = name.lower()
            if key not in team.labels:
                data = await self._call(
                    wire.CREATE_LABEL,
                    wire.LABEL_CREATE,
                    {"input": {"name": name, "teamId": team.team.id}},
                    what=f"linear label {name!r} create",
                )
                created = data.issueLabelCreate.issueLabel
                if not data.issueLabelCreate.success or created is None:
                    raise InvalidRecord(f"linear refused to create label {name!r}")
                team.labels[key] = created.id
            if team.labels[key] not in ids:
                ids.append(team.labels[key])
        return ids

    async def _load_labels(self, team: _TeamCache) -> None:
        labels: dict[str, str] = {}
        after: str | None = None
        for _ in range(40):  # 10,000 labels at most: a runaway cursor must end
            data = await self._call(
                wire.TEAM_LABELS,
                wire.LABELS,
                {"teamId": team.team.id, "after": after},
                what=f"linear labels of {team.team.key}",
            )
            for label in data.issueLabels.nodes:
                key = label.name.lower()
                is_team = label.team is not None and label.team.id == team.team.id
                if is_team or key not in labels:
                    labels[key] = label.id
            info = data.issueLabels.pageInfo
            if not info.hasNextPage or not info.endCursor or info.endCursor == after:
                break
            after = info.endCursor
        team.labels, team.labels_loaded = labels, True

    async def _parent_uuid(self, project: str, parent: RecordId | None) -> str | None:
        if parent is None:
            return None
        return (await self._find(project, parent, what="parent of")).id

    @staticmethod
    def _priority(extensions: Mapping[str, Any]) -> int | None:
        ext = extensions.get("linear")
        value = ext.get("priority") if isinstance(ext, Mapping) else None
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4:
            raise InvalidRecord(
                f"extensions.linear.priority {value!r} is not 0..4",
                hint="0 none, 1 urgent, 2 high, 3 medium, 4 low",
            )
        return value

    # -- write ------------------------------------------------------------------------------

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        """``issueCreate`` in the team's state for the draft's status (one mutation).

        Never re-sent (a mutation): on an error, list before creating again. Labels and
        users are looked up first (queries), a missing label created.
        """
        value = require_untainted(draft, RecordDraft)
        team = await self._team(project)
        payload: dict[str, Any] = {
            "teamId": team.team.id,
            "title": value.title,
            "description": value.body,
            "stateId": self._state_for(team, value.status).id,
            "labelIds": await self._label_ids(team, list(value.labels)),
        }
        if value.assignee is not None:
            payload["assigneeId"] = await self._user_id(value.assignee)
        parent = await self._parent_uuid(project, value.parent_id)
        if parent is not None:
            payload["parentId"] = parent
        priority = self._priority(value.extensions)
        if priority is not None:
            payload["priority"] = priority
        data = await self._call(
            wire.CREATE_ISSUE,
            wire.CREATE,
            {"input": payload},
            what=f"linear create in {team.team.key}",
        )
        issue = data.issueCreate.issue
        if not data.issueCreate.success or issue is None:
            raise InvalidRecord(f"linear did not create the issue in {team.team.key}")
        return record_from_issue(issue)

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        """Read the issue, then ``issueUpdate`` its user fields (one mutation).

        ``expected_version`` is ignored: Linear has no precondition (``TIMESTAMP``).
        """
        value = require_untainted(patch, Record)
        del expected_version  # declared: TIMESTAMP versioning, no server-side check
        team = await self._team(project)
        current = await self._find(project, record_id, what="update")
        payload: dict[str, Any] = {
            "title": value.title,
            "description": value.body,
            "labelIds": await self._label_ids(team, list(value.labels)),
            "assigneeId": None if value.assignee is None else await self._user_id(value.assignee),
            "parentId": await self._parent_uuid(project, value.parent_id),
        }
        state = self._state_for(team, value.status, current.state)
        if state.id != current.state.id:
            payload["stateId"] = state.id
        priority = self._priority(value.extensions)
        if priority is not None:
            payload["priority"] = priority
        data = await self._call(
            wire.UPDATE_ISSUE,
            wire.UPDATE,
            {"id": current.id, "input": payload},
            what=f"linear update {current.identifier}",
        )
        issue = data.issueUpdate.issue
        if not data.issueUpdate.success or issue is None:
            raise InvalidRecord(f"linear did not update {current.identifier}")
        return record_from_issue(issue)

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        """Move the issue to the team's closing state for ``reason`` (it stays readable).

        ``COMPLETED`` → first ``completed`` state; ``DUPLICATE`` → the ``duplicate``
        state when the team has one, else ``canceled``; the others → ``canceled``. An
        issue already in a state that reads as ``reason.closed_status`` is left alone.
        Archiving or trashing is never implied (see `archive`, `trash`).
        """
        team = await self._team(project)
        current = await self._find(project, record_id, what="delete_or_close")
        if mapping.status_of(current.state.type, current.state.name) is reason.closed_status:
            return
        state = mapping.close_state(team.team.states.nodes, reason)
        if state is None:
            raise InvalidRecord(
                f"linear team {team.team.key} has no {'/'.join(mapping.close_types(reason))} state"
            )
        data = await self._call(
            wire.UPDATE_ISSUE,
            wire.UPDATE,
            {"id": current.id, "input": {"stateId": state.id}},
            what=f"linear close {current.identifier}",
        )
        if not data.issueUpdate.success:
            raise InvalidRecord(f"linear did not close {current.identifier}")

    async def archive(self, project: str, record_id: RecordId) -> None:
        """``issueArchive``: hide the issue from default listings (``include_archived``
        still lists it; ``get_record`` still reads it)."""
        current = await self._find(project, record_id, what="archive")
        data = await self._call(
            wire.ARCHIVE_ISSUE,
            wire.ARCHIVE,
            {"id": current.id},
            what=f"linear archive {current.identifier}",
        )
        if not data.issueArchive.success:
            raise InvalidRecord(f"linear did not archive {current.identifier}")

    async def trash(self, project: str, record_id: RecordId) -> None:
        """``issueDelete`` without ``permanentlyDelete``: the issue goes to the trash,
        restorable for 30 days (the schema's ``issueDelete`` description); used by the
        live smoke test's cleanup."""
        current = await self._find(project, record_id, what="trash")
        data = await self._call(
            wire.TRASH_ISSUE,
            wire.TRASH,
            {"id": current.id},
            what=f"linear trash {current.identifier}",
        )
        if not data.issueDelete.success:
            raise InvalidRecord(f"linear did not trash {current.identifier}")
