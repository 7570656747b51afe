"""``RhythmConnector``: the Rhythm tracker's issues through the SDK's gated client."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import httpx

from reposix import (
    AuthError,
    Capabilities,
    ConfigError,
    DeleteModel,
    DeleteReason,
    HttpConnector,
    InvalidRecord,
    NotFound,
    Page,
    Record,
    RecordDraft,
    RecordId,
    RecordStream,
    RefreshingAuth,
    Runtime,
    Secret,
    StatusRule,
    StatusTable,
    TokenPair,
    TokenStore,
    Untainted,
    decode,
    paginate_token,
    require_untainted,
)
from reposix_rhythm import DEFAULT_BASE_URL, ENV_VARS, mapping
from reposix_rhythm.wire import (
    CURSOR_PARAM,
    ERROR,
    ISSUE,
    LIMIT_PARAM,
    PAGE,
    TOKENS,
    RhError,
    RhIssue,
    RhPage,
)

__all__ = ["DEFAULT_BASE_URL", "RhythmConnector", "parse_project", "record_from_issue"]

MAX_PAGE_SIZE: Final = 100
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_LOGIN_AGAIN: Final = (
    "log in again: set RHYTHM_EMAIL and RHYTHM_PASSWORD, or a fresh RHYTHM_REFRESH_TOKEN "
    "(refresh tokens rotate: each one works once, and expire after about 7 days)"
)
_SPEC: Final = "reposix_rhythm/fake.py (the Rhythm API: roles, errors)"
"""Rhythm is self-hosted and has no public docs: the fake encodes its API description."""


def _summary(body: RhError) -> str:
    return f"{body.error.code}: {body.error.message}" if body.error.code else ""


STATUSES: Final = StatusTable(
    "rhythm",
    env_vars=ENV_VARS,
    error_adapter=ERROR,
    render=_summary,
    rules={
        401: StatusRule(
            AuthError,
            "rhythm refused the credentials",
            hint="check RHYTHM_EMAIL and RHYTHM_PASSWORD",
            source=_SPEC,
        ),
        403: StatusRule(
            AuthError,
            "your project role does not allow it",
            hint="ask a project admin for a higher role: reporters create open issues, "
            "developers update issues, tags and assignees, admins delete",
            source=_SPEC,
        ),
        404: StatusRule(
            NotFound,
            hint="check org_slug/project_slug and the number; rhythm answers 404 for "
            "projects of organizations you are not a member of",
            source=_SPEC,
        ),
        422: StatusRule(
            InvalidRecord,
            "rhythm refused the values",
            hint="fix the field rhythm names and retry",
            writes_only=True,
            source=_SPEC,
        ),
    },
)
"""Rhythm's statuses where they differ from (or add hints to) the SDK's RFC defaults."""


def parse_project(project: str) -> tuple[str, str]:
    """Split and validate ``org_slug/project_slug``; anything else is a ``ConfigError``."""
    org, sep, proj = project.partition("/")
    if not sep or not _SLUG.match(org) or not _SLUG.match(proj):
        raise ConfigError(
            f"rhythm project {project!r} is not org_slug/project_slug",
            hint="use the organization's and the project's slugs, e.g. acme/tracker",
        )
    return org, proj


def record_from_issue(issue: RhIssue) -> Record:
    """The reposix record for a Rhythm issue: the first assignee is ``assignee`` (the
    others are kept by updates, not shown); priority, type, stage and sprint that differ
    from the server's defaults are ``extensions``."""
    tags = [t.name for t in issue.tags]
    extensions: dict[str, Any] = {}
    for key, default in mapping.EXTENSION_DEFAULTS.items():
        value = getattr(issue, key)
        if value != default:
            extensions[key] = value
    return Record(
        id=issue.number,
        title=issue.title,
        status=mapping.status_from_wire(issue.status, tags),
        assignee=issue.assignees[0].email if issue.assignees else None,
        labels=mapping.user_labels(tags),
        created_at=issue.created_at,
        updated_at=issue.updated_at,
        version=int(issue.updated_at.timestamp()),
        body=issue.description or "",
        extensions=extensions,
    )


def _extension_fields(extensions: dict[str, Any]) -> dict[str, Any]:
    """Wire fields for the extensions Rhythm carries; an unknown key is ``InvalidRecord``."""
    unknown = sorted(set(extensions) - set(mapping.EXTENSION_DEFAULTS))
    if unknown:
        raise InvalidRecord(
            f"rhythm carries no extension(s) {unknown}",
            hint=f"use only {sorted(mapping.EXTENSION_DEFAULTS)}",
        )
    return {k: extensions.get(k, d) for k, d in mapping.EXTENSION_DEFAULTS.items()}


class RhythmConnector(HttpConnector):
    """Issues of Rhythm projects (``org_slug/project_slug``), read, write, delete, search.

    Auth: email + password log in (``POST /api/v1/auth/login``), or a refresh token
    alone; the access token (~15 min) is renewed through ``POST /auth/refresh`` by the
    SDK's [`RefreshingAuth`][reposix.RefreshingAuth], which keeps the rotated refresh token in
    ``token_store`` (memory by default; a [`FileTokenStore`][reposix.FileTokenStore] for CLI runs).
    Versioning is ``TIMESTAMP`` (``updated_at`` in epoch seconds; Rhythm has no
    conditional update). Delete is a real ``DELETE`` and needs the project ``admin``
    role; writing tags that do not exist yet creates them (``developer`` role).
    """

    name: ClassVar[str] = "rhythm"
    capabilities: ClassVar[Capabilities] = Capabilities(
        delete=DeleteModel.DELETE, incremental=False, search=True
    )
    uncarried_fields: ClassVar[frozenset[str]] = frozenset({"parent_id"})
    """Issue relations (``…/relations``) are not mapped to ``parent_id``."""
    root_collection_name: ClassVar[str] = "issues"

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        email: str | None = None,
        password: Secret | None = None,
        refresh_token: Secret | None = None,
        token_store: TokenStore | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        if password is not None:
            self.require_secret(password, "the password")
        if refresh_token is not None:
            self.require_secret(refresh_token, "the refresh token")
        if (email is None or password is None) and refresh_token is None:
            raise ConfigError(
                "RhythmConnector needs email and password, or a refresh token",
                hint="set RHYTHM_EMAIL and RHYTHM_PASSWORD, or RHYTHM_REFRESH_TOKEN",
            )
        runtime = runtime or Runtime()
        self._email = email
        self._password = password
        self._auth = RefreshingAuth(
            self._renew,
            clock=runtime.clock,
            refresh_token=refresh_token,
            store=token_store,
            extra_secrets=(password,) if password is not None else (),
        )
        super().__init__(base_url, auth=self._auth, runtime=runtime)

    # -- auth ------------------------------------------------------------------------------

    async def _renew(self, refresh: Secret | None) -> TokenPair:
        """Refresh (rotating the refresh token), or log in when there is none or it is
        refused and a password is at hand; a refused refresh without one is ``AuthError``."""
        if refresh is not None:
            response = await self._http.post(
                "api/v1/auth/refresh",
                op="auth.refresh",
                json={"refresh_token": refresh.reveal()},
                authenticate=False,
            )
            if response.status_code == 200:
                return self._tokens(response)
            if response.status_code not in (400, 401, 403) or self._password is None:
                self._raise_for(
                    response, what="token refresh", missing="refresh endpoint", refresh=True
                )
        if self._email is None or self._password is None:
            raise AuthError(
                "rhythm refused the refresh token", env_vars=ENV_VARS, hint=_LOGIN_AGAIN
            )
        response = await self._http.post(
            "api/v1/auth/login",
            op="auth.login",
            json={"email": self._email, "password": self._password.reveal()},
            authenticate=False,
        )
        if response.status_code != 200:
            self._raise_for(response, what="login", missing="login endpoint", refresh=True)
        return self._tokens(response)

    @staticmethod
    def _tokens(response: httpx.Response) -> TokenPair:
        tokens = decode(response, TOKENS, "rhythm token response")
        return TokenPair(
            access=Secret(tokens.access_token),
            refresh=Secret(tokens.refresh_token),
            expires_in=tokens.expires_in,
        )

    # -- plumbing --------------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        """``limit`` to ask for: the runtime's page size, clamped to 1..100."""
        return max(1, min(MAX_PAGE_SIZE, self.runtime.page_size or MAX_PAGE_SIZE))

    @staticmethod
    def _project_path(project: str) -> str:
        org, proj = parse_project(project)
        return f"api/v1/orgs/{org}/projects/{proj}"

    @staticmethod
    def _raise_for(
        response: httpx.Response,
        *,
        what: str,
        missing: str,
        refresh: bool = False,
    ) -> None:
        """Map a non-2xx response through ``STATUSES``; quiet on 2xx. ``refresh``: a
        login or token call (a POST that writes no record; its 401 means log in again)."""
        if refresh:
            hints = {401: _LOGIN_AGAIN}
            STATUSES.raise_for(response, what=what, missing=missing, hints=hints, write=False)
        STATUSES.raise_for(response, what=what, missing=missing)

    def _stream(self, project: str, params: dict[str, Any], *, op: str) -> RecordStream:
        """Issues as records, page by page, up to ``max_records``; the paginator is keyed on
        ``number``, so an issue served twice is yielded once."""
        what = f"rhythm issues of {project}"

        def check(response: httpx.Response) -> None:
            self._raise_for(response, what=what, missing=f"rhythm project {project} not found")

        def extract(page: RhPage) -> Page[RhIssue]:
            items = [ISSUE.validate_python(item) for item in page.items]
            return Page(items, next=page.next_cursor, more=page.has_more)

        pages = paginate_token(
            self._http,
            self._project_path(project) + "/issues",
            op=op,
            adapter=PAGE,
            extract=extract,
            params={**params, LIMIT_PARAM: self.page_size},
            method="GET",
            token_param=CURSOR_PARAM,
            key=lambda issue: issue.number,
            what=what,
            env_vars=ENV_VARS,
            check=check,
        )

        def build(page: Sequence[RhIssue]) -> list[Record]:
            return [record_from_issue(i) for i in page]

        return self.record_stream(pages, build, cap=self.runtime.max_records)

    async def _send(
        self, method: str, path: str, body: dict[str, Any] | None, *, what: str, missing: str
    ) -> RhIssue | None:
        response = await self._http.request(method, path, op=what, json=body)
        self._raise_for(response, what=what, missing=missing)
        if response.status_code == 204:
            return None
        return decode(response, ISSUE, f"{what} response")

    async def _fetch(self, project: str, number: RecordId, *, what: str) -> RhIssue:
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise NotFound(f"rhythm issue {project}#{number!r} (numbers are positive ints)")
        response = await self._http.get(f"{self._project_path(project)}/issues/{number}", op=what)
        self._raise_for(response, what=what, missing=f"rhythm issue {project}#{number} not found")
        return decode(response, ISSUE, f"rhythm issue {project}#{number}")

    # -- read ------------------------------------------------------------------------------

    def iter_records(self, project: str) -> RecordStream:
        """Every issue of ``project``, by number, page by page."""
        return self._stream(project, {}, op="list")

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        """One issue; ``NotFound`` if it does not exist."""
        return record_from_issue(await self._fetch(project, record_id, what="get"))

    async def search_records(self, project: str, text: str) -> list[Record]:
        """``GET …/issues?q=``: PostgreSQL full text (``english``: stemmed, stop words
        dropped, every word required), title ranked above description, best first."""
        return [r async for r in self._stream(project, {"q": text}, op="search")]

    # -- write -----------------------------------------------------------------------------

    async def _ensure_tags(self, project: str, names: list[str]) -> None:
        """Create the project tags ``names`` needs that do not exist (developer role)."""
        if not names:
            return
        path = self._project_path(project) + "/tags"
        response = await self._http.get(path, op="tags", params={LIMIT_PARAM: MAX_PAGE_SIZE})
        existing: set[str] = set()
        cursor: str | None = None
        while True:
            self._raise_for(response, what="list tags", missing=f"rhythm project {project}")
            page = decode(response, PAGE, "rhythm tags")
            existing.update(str(t.get("name")) for t in page.items)
            cursor = page.next_cursor
            if not cursor:
                break
            response = await self._http.get(
                path, op="tags", params={LIMIT_PARAM: MAX_PAGE_SIZE, CURSOR_PARAM: cursor}
            )
        for name in names:
            if name not in existing:
                created = await self._http.post(path, op="create tag", json={"name": name})
                if created.status_code != 409:  # created meanwhile: fine
                    self._raise_for(
                        created,
                        what=f"create tag {name!r}",
                        missing=f"rhythm project {project}",
                    )

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        """``POST …/issues`` with tags and assignees in the body (one transaction); missing
        project tags are created first (``POST …/tags``, which changes no issue).

        A non-open status, tags or an assignee need the ``developer`` role (reporters
        create plain open issues). The POST is never retried (no idempotency key): on an
        error, list before creating again.
        """
        value = require_untainted(draft, RecordDraft)
        body: dict[str, Any] = {
            "title": value.title,
            "description": value.body or None,
            "status": mapping.wire_status(value.status),
            **_extension_fields(value.extensions),
        }
        tags = mapping.tags_for_write(value.status, value.labels)
        if tags:
            await self._ensure_tags(project, tags)
            body["tags"] = tags
        if value.assignee is not None:
            body["assignees"] = [value.assignee]
        issue = await self._send(
            "POST",
            self._project_path(project) + "/issues",
            body,
            what="create",
            missing=f"rhythm project {project} not found",
        )
        assert issue is not None
        return record_from_issue(issue)

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        """``GET``, then one ``PATCH`` of the changed fields, tags and assignees included.

        ``expected_version`` is ignored (``TIMESTAMP``: last writer wins). The assignee
        becomes the first of the issue's assignees, the others are kept; None removes all.
        """
        value = require_untainted(patch, Record)
        del expected_version
        current = await self._fetch(project, record_id, what="update")
        fields: dict[str, Any] = {
            "title": value.title,
            "description": value.body or None,
            "status": mapping.wire_status(value.status),
            **_extension_fields(value.extensions),
        }
        changed = {k: v for k, v in fields.items() if getattr(current, k) != v}
        tags = mapping.tags_for_write(value.status, value.labels)
        if sorted(tags) != sorted(t.name for t in current.tags):
            await self._ensure_tags(project, tags)
            changed["tags"] = tags
        emails = [u.email for u in current.assignees]
        if value.assignee is None and emails:
            changed["assignees"] = []
        elif value.assignee is not None and emails[:1] != [value.assignee]:
            changed["assignees"] = [value.assignee, *(e for e in emails if e != value.assignee)]
        if not changed:
            return record_from_issue(current)
        issue = await self._send(
            "PATCH",
            f"{self._project_path(project)}/issues/{current.number}",
            changed,
            what="update",
            missing=f"rhythm issue {project}#{record_id} not found",
        )
        assert issue is not None
        return record_from_issue(issue)

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        """``DELETE …/issues/{number}`` (project ``admin`` role); ``reason`` is not stored."""
        del reason
        await self._fetch(project, record_id, what="delete")
        await self._send(
            "DELETE",
            f"{self._project_path(project)}/issues/{record_id}",
            None,
            what="delete",
            missing=f"rhythm issue {project}#{record_id} not found",
        )
