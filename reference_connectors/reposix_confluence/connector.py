"""``ConfluenceConnector``: Confluence Cloud pages (REST v2, v1 for CQL and labels)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final, cast
from zoneinfo import ZoneInfo

import httpx

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
    Record,
    RecordDraft,
    RecordId,
    RecordStream,
    ReposixError,
    Runtime,
    Secret,
    StatusRule,
    StatusTable,
    Untainted,
    VersioningModel,
    VersionMismatch,
    adf,
    atlassian_zone,
    decode,
    paginate_cursor_url,
    require_untainted,
)
from reposix_confluence import mapping
from reposix_confluence.cql import changed_since_cql, check_space_key
from reposix_confluence.wire import (
    ERRORS,
    LABEL_PAGE,
    PAGE,
    PAGE_LIST,
    SEARCH_PAGE,
    SPACE_LIST,
    USER,
    CfErrors,
    CfLabel,
    CfLabelPage,
    CfPage,
    CfPageList,
    CfSearchContent,
    CfSearchPage,
)

__all__ = ["API", "CREDENTIAL_VARS", "ConfluenceConnector", "SpaceInfo"]

log = logging.getLogger("reposix.confluence")

API: Final = "wiki/api/v2"
"""v2 paths, relative to the site's root (so a gateway prefix survives)."""
V1: Final = "wiki/rest/api"
CREDENTIAL_VARS: Final = ("ATLASSIAN_EMAIL", "ATLASSIAN_API_KEY")
MAX_PAGE_SIZE: Final = 250
SEARCH_PAGE_SIZE: Final = 100
LISTED_STATUSES: Final = ("current", "archived")
"""Listed page statuses: trashed/deleted pages are gone, drafts are not published pages."""
_BODY: Final = "atlas_doc_format"
_GONE: Final = frozenset({"trashed", "deleted", "historical"})

_V2_PAGES: Final = "https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-page/"
_CREDENTIALS_HINT: Final = "check ATLASSIAN_EMAIL, ATLASSIAN_API_KEY: "
STATUSES: Final = StatusTable(
    "confluence",
    env_vars=CREDENTIAL_VARS,
    error_adapter=ERRORS,
    render=CfErrors.summary,
    rules={
        401: StatusRule(
            AuthError,
            "confluence rejected the credentials",
            hint=_CREDENTIALS_HINT + "the API token must belong to that email's Atlassian "
            "account (id.atlassian.com → API tokens)",
            source="https://developer.atlassian.com/cloud/confluence/basic-auth-for-rest-apis/",
        ),
        403: StatusRule(
            AuthError,
            "confluence refused access",
            hint=_CREDENTIALS_HINT + "that account needs permission on the space (view, "
            "add and delete pages, add labels)",
            source=_V2_PAGES,
        ),
        404: StatusRule(
            NotFound,
            hint="check the space key and page id; Confluence answers 404 when "
            "ATLASSIAN_EMAIL cannot see the page",
            source=_V2_PAGES,
        ),
        409: StatusRule(
            VersionMismatch,
            "the page changed on the server",
            # v1 PUT content: 409 "the version property has not been set correctly"
            source="https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content/",
        ),
        **dict.fromkeys(
            (400, 413),
            StatusRule(
                InvalidRecord,
                "confluence refused the values",
                hint="page titles must be unique in a space; labels cannot contain "
                "':' ';' ',' '.' '?' '&' '[' ']' '(' ')' '#' '^' '*' '@' '!' or spaces",
                writes_only=True,
                source=_V2_PAGES,
            ),
        ),
    },
)
"""Confluence's statuses where they differ from (or add hints to) the SDK's RFC defaults."""


@dataclass(frozen=True, slots=True)
class SpaceInfo:
    """What a space key resolves to: its numeric id and its homepage's id."""

    key: str
    id: int
    homepage_id: str | None


async def _aclose(iterator: AsyncIterator[object]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


class ConfluenceConnector(HttpConnector):
    """Pages of Confluence Cloud spaces (project = space key), read and write.

    Versioning is ``STRONG``: an update sends ``version.number = current + 1`` and the
    server refuses (409) any other number, so a stale ``expected_version`` is a
    ``VersionMismatch``. ``delete_or_close`` moves the page to the trash (``DELETE``).
    Labels and the reposix status labels go through the v1 label endpoints (v2 has no
    label writes) and do not create a page version; every update PUTs the page, so the
    version and ``updated_at`` move on each reposix write. Label names are stored lowercase
    (``stored_form``) and must match ``label_pattern``. Assignee is not carried (see
    ``uncarried_fields``); the page owner is in ``extensions.confluence.owner_id``.
    """

    name: ClassVar[str] = "confluence"
    capabilities: ClassVar[Capabilities] = Capabilities(
        delete=DeleteModel.DELETE, versioning=VersioningModel.STRONG, hierarchy=True
    )
    root_collection_name: ClassVar[str] = "pages"
    uncarried_fields: ClassVar[frozenset[str]] = frozenset({"assignee"})
    """Pages have owners (account ids, not free-form assignees, not settable on create)."""
    label_pattern: ClassVar[re.Pattern[str] | None] = mapping.LABEL_PATTERN

    def __init__(
        self,
        email: str,
        api_key: Secret,
        *,
        base_url: str,
        runtime: Runtime | None = None,
    ) -> None:
        # The site root, the site's /wiki, or the gateway
        # (https://api.atlassian.com/ex/confluence/{cloudId}): one root under which every
        # request and every followed next link stays.
        self.site = AtlassianSite.parse(base_url, "confluence")
        super().__init__(
            self.site.client_base,
            auth=BasicAuth(email, self.require_secret(api_key, "the API key")),
            headers={"Accept": "application/json"},
            runtime=runtime,
        )
        self._spaces: dict[str, SpaceInfo] = {}
        self._zone: tuple[ZoneInfo | None] | None = None

    def stored_form(self, draft: RecordDraft) -> RecordDraft:
        """``draft`` as Confluence keeps it: label names lowercased, each once (first wins);
        the body as the canonical Markdown its ADF reads back as."""
        return draft.model_copy(
            update={
                "labels": mapping.stored_labels(draft.labels),
                "body": adf.canonicalize(draft.body),
            }
        )

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        """``limit`` to ask for: the runtime's page size, clamped to Confluence's 1..250."""
        return max(1, min(MAX_PAGE_SIZE, self.runtime.page_size or MAX_PAGE_SIZE))

    @staticmethod
    def _raise_for(response: httpx.Response, *, what: str, missing: str) -> None:
        """Map a non-2xx response through ``STATUSES``; quiet on 2xx."""
        STATUSES.raise_for(response, what=what, missing=missing)

    async def _space(self, project: str) -> SpaceInfo:
        """Resolve a space key to its id (cached for this connector); NotFound if unknown."""
        key = check_space_key(project)
        cached = self._spaces.get(key)
        if cached is not None:
            return cached
        response = await self._http.get(f"{API}/spaces", op="resolve_space", params={"keys": key})
        missing = f"confluence space {key} not found"
        self._raise_for(response, what="resolve space", missing=missing)
        spaces = decode(response, SPACE_LIST, f"confluence space lookup for {key}")
        match = [s for s in spaces.results if s.key == key]
        if not match:
            raise NotFound(
                missing,
                hint="check the space key (it is case-sensitive, e.g. DEMO in "
                "/wiki/spaces/DEMO) and that ATLASSIAN_EMAIL can see the space",
            )
        info = SpaceInfo(key=key, id=match[0].id, homepage_id=match[0].homepageId)
        self._spaces[key] = info
        return info

    async def _user_zone(self) -> ZoneInfo | None:
        """The calling user's time zone (CQL reads dates in it); cached."""
        if self._zone is None:
            response = await self._http.get(f"{V1}/user/current", op="user_zone")
            self._raise_for(response, what="current user", missing="confluence current user")
            user = decode(response, USER, "confluence current user")
            zone = atlassian_zone(user.timeZone)
            if zone is None:
                log.warning("confluence: unknown user time zone; widening CQL dates by 14 hours")
            self._zone = (zone,)
        return self._zone[0]

    async def _fetch_page(self, page_id: RecordId, *, what: str) -> CfPage:
        response = await self._http.get(
            f"{API}/pages/{page_id}", op=what, params={"body-format": _BODY}
        )
        missing = f"confluence page {page_id} not found"
        self._raise_for(response, what=what, missing=missing)
        page = decode(response, PAGE, f"confluence page {page_id}")
        if page.status in _GONE:
            raise NotFound(
                f"{missing} (it is {page.status})",
                hint="restore it from the space's trash in Confluence to edit it again",
            )
        return page

    async def _labels(self, page_id: int, *, op: str) -> list[str]:
        """Global label names of a page (one request per 250 labels)."""

        def extract(body: CfLabelPage) -> Page[CfLabel]:
            return Page(body.results, next=self.site.next_url(body.links.next))

        pages = paginate_cursor_url(
            self._http,
            f"{API}/pages/{page_id}/labels",
            op=op,
            adapter=LABEL_PAGE,
            extract=extract,
            params={"limit": MAX_PAGE_SIZE},
            site=self.site.root,
            what=f"confluence labels of page {page_id}",
            env_vars=CREDENTIAL_VARS,
        )
        try:
            labels = [label async for label in pages]
        except NotFound:
            raise NotFound(f"confluence page {page_id} not found") from None
        return mapping.wire_labels(labels)

    async def _record(self, page: CfPage, space: SpaceInfo | None, *, op: str) -> Record:
        labels = await self._labels(page.id, op=op)
        homepage = space.homepage_id if space is not None else None
        return mapping.record_from_page(page, labels, homepage)

    async def _space_of(self, project: str, page: CfPage) -> SpaceInfo:
        """The project's space, checking the page belongs to it (else NotFound)."""
        space = await self._space(project)
        if page.spaceId != str(space.id):
            raise NotFound(
                f"confluence page {page.id} is not in space {space.key}",
                hint="use the space key of the page's own space",
            )
        return space

    # -- read -------------------------------------------------------------------------------

    def iter_records(self, project: str) -> RecordStream:
        """Every current or archived page of the space, in id order, page by page.

        Costs one request per 250 pages plus one labels request per page (v2 lists
        pages without their labels); a cursor style, so listing pages come one by one.
        """

        async def source(stream: RecordStream) -> AsyncIterator[list[Record]]:
            space = await self._space(project)

            def extract(body: CfPageList) -> Page[CfPage]:
                return Page(body.results, next=self.site.next_url(body.links.next))

            pages = paginate_cursor_url(
                self._http,
                f"{API}/spaces/{space.id}/pages",
                op="list",
                adapter=PAGE_LIST,
                extract=extract,
                params={
                    "limit": self.page_size,
                    "body-format": _BODY,
                    "sort": "id",
                    "status": list(LISTED_STATUSES),
                },
                site=self.site.root,
                key=lambda item: item.id,
                what=f"confluence pages of space {space.key}",
                env_vars=CREDENTIAL_VARS,
            )
            cap = self.runtime.max_records
            taken = 0

            async def labelled(batch: list[CfPage]) -> tuple[list[Record], bool]:
                """Records of one listing page (a labels request each), up to ``cap``."""
                nonlocal taken
                records: list[Record] = []
                for page in batch:
                    if taken >= cap:
                        return records, True
                    records.append(await self._record(page, space, op="list_labels"))
                    taken += 1
                return records, False

            # Labels are read one listing page behind: a broken cursor (a cycle, a foreign
            # link) is caught before any labels request is spent on what it served.
            batches = pages.by_page()
            held: list[CfPage] | None = None
            try:
                async for batch in batches:
                    if held is not None:
                        records, cut = await labelled(held)
                        held = None
                        if records:
                            self.report_progress(len(records))
                            yield records
                        if cut:
                            stream.finish(complete=False, reason=f"stopped at max_records={cap}")
                            return
                    held = batch
            finally:
                await _aclose(batches)
            if held is not None:
                records, cut = await labelled(held)
                if records:
                    self.report_progress(len(records))
                    yield records
                if cut:
                    stream.finish(complete=False, reason=f"stopped at max_records={cap}")
                    return
            stream.finish(complete=pages.complete, reason=pages.reason)

        return RecordStream(source)

    async def list_changed_since(self, project: str, since: datetime) -> list[RecordId]:
        """Ids of pages modified strictly after ``since``, via a v1 CQL ``lastmodified`` search.

        CQL is minute-precision, inclusive and read in the user's time zone, so the query
        asks for the minute at or before ``since`` and the exact ``version.when`` of each
        candidate is compared with ``since``.
        """
        key = check_space_key(project)
        zone = await self._user_zone()
        cql = changed_since_cql(key, since, zone)
        await self._space(key)  # unknown space: NotFound (CQL would just find nothing)

        # Newest first: paging stops after a page ending with a hit not newer than ``since``,
        # unless a hit came out of that order (then every page is read and filtered).
        newest: NewestFirst[CfSearchContent] = NewestFirst(since, lambda hit: hit.version.when)

        def extract(body: CfSearchPage) -> Page[CfSearchContent]:
            if newest.done_after(body.results):
                return Page(body.results)
            return Page(body.results, next=self.site.next_url(body.links.next))

        context = json.dumps(
            {"spaceKey": key, "contentStatuses": list(LISTED_STATUSES)}, separators=(",", ":")
        )
        pages = paginate_cursor_url(
            self._http,
            f"{V1}/content/search",
            op="list_changed_since",
            adapter=SEARCH_PAGE,
            extract=extract,
            params={
                "cql": cql,
                "cqlcontext": context,
                "expand": "version",
                "limit": min(self.page_size, SEARCH_PAGE_SIZE),
            },
            site=self.site.root,
            key=lambda item: item.id,
            what=f"confluence changes in space {key}",
            env_vars=CREDENTIAL_VARS,
        )
        changed: list[RecordId] = []
        iterator: AsyncIterator[CfSearchContent] = pages.__aiter__()
        try:
            async for hit in iterator:
                if hit.version.when <= since:
                    continue
                if len(changed) >= self.runtime.max_records:
                    log.warning("confluence: changes of %s truncated at %d", key, len(changed))
                    break
                if hit.type == "page":
                    changed.append(hit.id)
        finally:
            if isinstance(iterator, AsyncGenerator):
                await cast("AsyncGenerator[CfSearchContent, None]", iterator).aclose()
        return changed

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        """One page; ``NotFound`` if it is missing, trashed or in another space."""
        page = await self._fetch_page(record_id, what="get")
        space = await self._space_of(project, page)
        return await self._record(page, space, op="get_labels")

    # -- write ------------------------------------------------------------------------------

    @staticmethod
    def _adf(body: str) -> dict[str, str]:
        """``{representation, value}`` with the Markdown body as an ADF JSON string."""
        doc = adf.from_markdown(body)
        value = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        return {"representation": _BODY, "value": value}

    async def _write_labels(self, page_id: int, add: list[str], remove: list[str]) -> None:
        """Apply label changes through v1: removals first (``DELETE …/label?name=``), then one
        ``POST …/label`` with every addition, so two status labels never coexist."""
        missing = f"confluence page {page_id} not found"
        for name in remove:
            response = await self._http.delete(
                f"{V1}/content/{page_id}/label", op="remove_label", params={"name": name}
            )
            if response.status_code == 404:
                continue  # already gone (a concurrent edit): the wanted state holds
            self._raise_for(response, what="remove label", missing=missing)
        if add:
            body = [{"prefix": mapping.GLOBAL_PREFIX, "name": name} for name in add]
            response = await self._http.post(
                f"{V1}/content/{page_id}/label", op="add_labels", json=body
            )
            self._raise_for(response, what="add labels", missing=missing)

    async def _labels_after(
        self, page_id: int, have: list[str], add: list[str], remove: list[str]
    ) -> list[str]:
        """The page's labels once the writes landed (re-read when anything changed)."""
        if not add and not remove:
            return have
        return await self._labels(page_id, op="write_labels")

    async def _check_parent(self, space: SpaceInfo, parent_id: RecordId | None) -> None:
        """A parent must be a live page of the same space (else ``InvalidRecord``)."""
        if parent_id is None:
            return
        try:
            parent = await self._fetch_page(parent_id, what="check_parent")
        except NotFound:
            raise InvalidRecord(
                f"parent page {parent_id} does not exist in space {space.key}",
                hint="set parent_id to a page of the same space, or None for top level",
            ) from None
        if parent.spaceId != str(space.id):
            raise InvalidRecord(f"parent page {parent_id} is not in space {space.key}")

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        """``POST /wiki/api/v2/pages`` (200), then the labels through v1.

        Without ``parent_id`` Confluence files the page under the space homepage, which
        reads back as ``parent_id=None``. The POST is never retried (no idempotency key):
        on an error, list before creating again.
        """
        value = require_untainted(draft, RecordDraft)
        mapping.check_user_labels(value.labels)
        space = await self._space(project)
        await self._check_parent(space, value.parent_id)
        body: dict[str, Any] = {
            "spaceId": str(space.id),
            "status": "current",
            "title": value.title,
            "body": self._adf(value.body),
        }
        if value.parent_id is not None:
            body["parentId"] = str(value.parent_id)
        response = await self._http.post(f"{API}/pages", op="create", json=body)
        self._raise_for(response, what="create", missing=f"confluence space {space.key} not found")
        page = decode(response, PAGE, "confluence create response")
        add, remove = mapping.label_changes([], value.status, value.labels)
        await self._write_labels(page.id, add, remove)
        labels = await self._labels_after(page.id, [], add, remove)
        return mapping.record_from_page(page, labels, space.homepage_id)

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        """``GET``, then ``PUT /wiki/api/v2/pages/{id}`` with ``version.number = current + 1``,
        then label changes.

        With ``expected_version`` the PUT sends ``expected_version + 1``, so the server's
        own check (409) refuses a write that raced another editor; a stale version seen
        by the GET is refused before anything is sent. The PUT comes first, so a refused
        write changes nothing. Archived pages and drafts are not edited.
        """
        value = require_untainted(patch, Record)
        mapping.check_user_labels(value.labels)
        current = await self._fetch_page(record_id, what="update")
        space = await self._space_of(project, current)
        if expected_version is not None and expected_version != current.version.number:
            raise VersionMismatch(
                f"confluence page {record_id} is at version {current.version.number}, "
                f"not the expected {expected_version}",
                expected=expected_version,
                actual=current.version.number,
            )
        if current.status != "current":
            raise NotSupported(
                f"confluence page {record_id} is {current.status}; reposix edits only "
                "published (current) pages",
                hint="restore (unarchive) or publish the page in Confluence first",
            )
        base = current.version.number if expected_version is None else expected_version
        body: dict[str, Any] = {
            "id": str(record_id),
            "status": "current",
            "title": value.title,
            "body": self._adf(value.body),
            "version": {"number": base + 1},
        }
        have_parent = mapping.parent_for(current, space.homepage_id)
        if value.parent_id != have_parent:
            if value.parent_id is None:
                if space.homepage_id is not None:
                    body["parentId"] = space.homepage_id
            else:
                if value.parent_id == record_id:
                    raise InvalidRecord(f"page {record_id} cannot be its own parent")
                await self._check_parent(space, value.parent_id)
                body["parentId"] = str(value.parent_id)
        have_labels = await self._labels(record_id, op="update_labels")
        response = await self._http.put(f"{API}/pages/{record_id}", op="update", json=body)
        if response.status_code == 409:
            raise await self._conflict(record_id, base, response)
        self._raise_for(response, what="update", missing=f"confluence page {record_id} not found")
        page = decode(response, PAGE, "confluence update response")
        add, remove = mapping.label_changes(have_labels, value.status, value.labels)
        await self._write_labels(record_id, add, remove)
        labels = await self._labels_after(record_id, have_labels, add, remove)
        return mapping.record_from_page(page, labels, space.homepage_id)

    async def _conflict(self, page_id: int, base: int, response: httpx.Response) -> ReposixError:
        """The 409 as a ``VersionMismatch`` carrying the server's version if it can be read."""
        detail = STATUSES.message(response)
        actual: int | None = None
        try:
            actual = (await self._fetch_page(page_id, what="update_conflict")).version.number
        except ReposixError:
            actual = None
        return VersionMismatch(
            f"confluence page {page_id} changed on the server: version {base + 1} was "
            f"refused (HTTP 409{': ' + detail if detail else ''})",
            expected=base,
            actual=actual,
        )

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        """``DELETE /wiki/api/v2/pages/{id}``: the page goes to the space's trash.

        ``reason`` is not recorded (Confluence has no delete reason). A trashed page
        reads as ``NotFound``; purging it needs a space admin (see the docs).
        """
        del reason
        page = await self._fetch_page(record_id, what="delete")
        await self._space_of(project, page)
        response = await self._http.delete(f"{API}/pages/{record_id}", op="delete")
        self._raise_for(response, what="delete", missing=f"confluence page {record_id} not found")
