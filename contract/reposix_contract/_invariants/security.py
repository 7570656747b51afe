"""Security and transport invariants S01–S08: egress, redirects, decoys, auth, secrets, audit."""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from reposix._audit_event import AuditEvent
from reposix._backend import BackendConnector, DeleteReason
from reposix._errors import AuthError, EgressDenied, NotSupported, ProtocolError, ReposixError
from reposix._faults import DECOY_ORIGIN, FOREIGN_ORIGIN
from reposix._http.allowlist import Allowlist, origin_of
from reposix._http.redact import fresh_registry
from reposix._records import Record
from reposix_contract._harness import Harness, graphql_operation
from reposix_contract._invariants._support import (
    MISSING_ID,
    describe,
    new_draft,
    outcome_of,
    patch_of,
    requests_since,
    secret_forms,
    seeded_project,
    supported,
)
from reposix_contract._registry import invariant

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

Call = Callable[[], Awaitable[Any]]


def every_method(
    connector: BackendConnector, project: str, record: Record, *, writes: bool = True
) -> list[tuple[str, Call]]:
    """``(name, call)`` for every public method, with plausible arguments."""
    calls: list[tuple[str, Call]] = [
        ("list_records", lambda: connector.list_records(project)),
        ("list_records_complete", lambda: connector.list_records_complete(project)),
        ("list_changed_since", lambda: connector.list_changed_since(project, _EPOCH)),
        ("get_record", lambda: connector.get_record(project, record.id)),
    ]
    if writes:
        calls += [
            ("create_record", lambda: connector.create_record(project, new_draft("kit write"))),
            (
                "update_record",
                lambda: connector.update_record(
                    project, record.id, patch_of(record, title=record.title + " (kit)")
                ),
            ),
            (
                "delete_or_close",
                lambda: connector.delete_or_close(project, record.id, DeleteReason.DUPLICATE),
            ),
        ]
    return calls


def _declared_away(connector: BackendConnector, name: str) -> bool:
    requirement = {
        "create_record": "create",
        "update_record": "update",
        "delete_or_close": "delete_or_close",
    }.get(name)
    return requirement is not None and not supported(connector, requirement)  # type: ignore[arg-type]


def base_origin(h: Harness) -> str:
    """``scheme://host:port`` of the fake the target talks to."""
    origin = origin_of(h.base_url)
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    return f"{origin.scheme}://{host}:{origin.port}"


def permissive(h: Harness) -> BackendConnector:
    """A connector whose allowlist also admits the decoy and foreign hosts.

    The SDK's allowlist would refuse them anyway; allowing them proves the connector
    itself does not follow links, whatever allowlist a user configures.
    """
    allow = Allowlist.parse(f"{base_origin(h)},{DECOY_ORIGIN},{FOREIGN_ORIGIN}")
    return h.build(allowlist=allow)


def off_origin(h: Harness, requests: list[httpx.Request]) -> list[httpx.Request]:
    """Requests that went anywhere but the fake's own origin."""
    home = origin_of(h.base_url)
    out = []
    for request in requests:
        try:
            if origin_of(request.url) != home:
                out.append(request)
        except ValueError:
            out.append(request)
    return out


# -- S01 -----------------------------------------------------------------------------------


@invariant(
    "S01",
    "with the fake's origin not allowlisted, every method raises EgressDenied and no "
    "request reaches the network",
)
async def s01_egress_allowlist(h: Harness) -> None:
    """The allowlist is the user's only guarantee about where their data and credentials go;
    it holds only if every request goes through the SDK client (no private httpx client)."""
    project, (record,) = seeded_project(h, 1)
    connector = h.build(allowlist=Allowlist.parse("https://other.example"))
    start = len(h.requests)
    wrong: list[str] = []
    try:
        for name, call in every_method(connector, project, record):
            result = await outcome_of(call())
            if isinstance(result, NotSupported) and _declared_away(connector, name):
                continue
            if not isinstance(result, EgressDenied):
                got = (
                    f"raised {type(result).__name__}"
                    if isinstance(result, BaseException)
                    else "returned normally"
                )
                wrong.append(f"{name} {got}")
    finally:
        await connector.aclose()
    sent = requests_since(h, start)
    assert not sent, (
        f"with the fake's origin outside REPOSIX_ALLOWED_ORIGINS, {len(sent)} request(s) still "
        f"reached the network ({describe(sent)}); build every request with "
        "reposix._http.client(ClientOpts(runtime=runtime, ...)), never your own httpx client"
    )
    assert not wrong, (
        "with the fake's origin outside the allowlist these calls did not raise "
        f"EgressDenied: {', '.join(wrong)}; let the SDK client's EgressDenied propagate"
    )


# -- S02 -----------------------------------------------------------------------------------


@invariant(
    "S02",
    "no redirect and no next link to another origin is followed",
)
async def s02_no_foreign_follow(h: Harness) -> None:
    """A redirect or next link to another host would carry the credentials, the project
    name and paging state to whoever controls that host (an SSRF and a token leak)."""
    project, records = seeded_project(h, 5)
    connector = permissive(h)
    start = len(h.requests)
    problems: list[str] = []
    try:
        for name, call in every_method(connector, project, records[0]):
            if _declared_away(connector, name):
                continue
            h.knobs.redirect_to = f"{FOREIGN_ORIGIN}/stolen?from={name}"
            result = await outcome_of(call())
            h.knobs.redirect_to = None
            if isinstance(result, BaseException) and not isinstance(result, ReposixError):
                problems.append(
                    f"{name} answered with a redirect raised {type(result).__name__} "
                    "(raise a typed ReposixError, e.g. ProtocolError)"
                )
        h.knobs.foreign_next = True
        h.knobs.page_size = 2
        result = await outcome_of(connector.list_records(project))
        h.knobs.foreign_next = False
        if isinstance(result, BaseException) and not isinstance(
            result, EgressDenied | ProtocolError
        ):
            problems.append(
                f"list_records with a foreign next link raised {type(result).__name__}; "
                "the SDK paginators raise EgressDenied"
            )
    finally:
        h.knobs.redirect_to = None
        h.knobs.foreign_next = False
        await connector.aclose()
    foreign = off_origin(h, requests_since(h, start))
    assert not foreign, (
        f"the connector followed a redirect or next link off the fake's origin: "
        f"{describe(foreign)}; keep follow_redirects off and paginate with reposix._pagination "
        "helpers, which pin the listing's origin"
    )
    assert not problems, "; ".join(problems)


# -- S03 -----------------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def declared_url_extensions(connector: BackendConnector) -> frozenset[str]:
    """Extension keys a connector declares may carry server URLs."""
    return frozenset(getattr(connector, "url_extensions", ()))


@invariant(
    "S03",
    "decoy URL fields (url, html_url, self, _links, avatars) are never requested and do not "
    "leak into extensions unless declared",
)
async def s03_decoys_ignored(h: Harness) -> None:
    """Server-supplied URLs are attacker-controllable (a crafted issue can carry any link);
    following them is an SSRF that sends the user's token to a stranger."""
    project, records = seeded_project(h, 3)
    h.knobs.decoys = True
    connector = permissive(h)
    start = len(h.requests)
    decoy_host = origin_of(DECOY_ORIGIN).host
    leaked: list[str] = []
    try:
        for name, call in every_method(connector, project, records[0]):
            if _declared_away(connector, name):
                continue
            result = await outcome_of(call())
            found: list[Record] = []
            if isinstance(result, Record):
                found = [result]
            elif isinstance(result, list):
                found = [r for r in result if isinstance(r, Record)]
            elif hasattr(result, "records"):
                found = list(result.records)
            allowed = declared_url_extensions(connector)
            for record in found:
                for key, value in record.extensions.items():
                    if key in allowed:
                        continue
                    if any(decoy_host in s for s in _strings(value)):
                        leaked.append(f"{name}: record {record.id} extensions[{key!r}]")
    finally:
        await connector.aclose()
    decoys = [r for r in requests_since(h, start) if r.url.host == decoy_host]
    assert not decoys, (
        f"the connector requested decoy URLs from response fields: {describe(decoys)}; "
        "build every URL from the configured base URL and ids, never from url/html_url/"
        "self/_links fields of a response"
    )
    assert not leaked, (
        "server URL fields leaked into extensions: "
        + ", ".join(sorted(set(leaked)))
        + "; drop url/html_url/_links/avatar fields when translating (or declare the key "
        "in the connector's url_extensions)"
    )


# -- S04 -----------------------------------------------------------------------------------


def _secret_vars(h: Harness) -> tuple[str, ...]:
    fake = getattr(h, "fake", None)
    if fake is None:
        return ()
    from reposix_contract._targets import secret_vars

    return secret_vars(fake)


def _auth_headers(request: httpx.Request) -> list[tuple[str, str]]:
    names = {"authorization", "private-token", "x-api-key", "proxy-authorization"}
    return [(k, v) for k, v in request.headers.multi_items() if k.lower() in names]


def _credential_exchange(h: Harness, request: httpx.Request) -> bool:
    """A POST to one of the fake's declared token endpoints (``credential_exchange``: a
    login or token-refresh path) on its own origin: there the credential travels in the
    JSON body by design (OAuth 2.0 RFC 6749 §6; the Rhythm blueprint's ``/auth/login``),
    and no bearer header is sent."""
    paths = getattr(getattr(h, "fake", None), "credential_exchange", ())
    try:
        own = origin_of(request.url) == origin_of(h.base_url)
    except ValueError:
        return False
    return own and request.method == "POST" and request.url.path in paths


@invariant(
    "S04",
    "the auth header is byte-exact for the declared scheme (the fake accepts it) and "
    "wrong credentials give AuthError whose message names the env vars to check",
)
async def s04_auth(h: Harness) -> None:
    """A header that is almost right works against one server version and fails on the
    next; and an auth failure that does not say which variable to fix costs users hours."""
    project, (record,) = seeded_project(h, 1)
    start = len(h.requests)
    await h.connector.get_record(project, record.id)
    await h.connector.list_records(project)
    sent = [r for r in requests_since(h, start) if r not in off_origin(h, requests_since(h, start))]
    headers = {tuple(_auth_headers(r)) for r in sent if not _credential_exchange(h, r)}
    assert len(headers) <= 1, (
        f"requests carried different credential headers: {len(headers)} variants; sign "
        "every request the same way (one auth hook on the SDK client)"
    )
    expected = getattr(getattr(h, "fake", None), "expected_auth", None)
    if callable(expected):
        want = expected()
        got = [v for _, v in next(iter(headers), ())]
        assert got == [want], "the credential header is not byte-exact for the declared scheme"
    names = _secret_vars(h)
    if not names:
        return
    wrong = {name: f"wrong-{name.lower()}-value" for name in names}
    connector = h.build(credentials=wrong)
    problems: list[str] = []
    try:
        for name, call in every_method(connector, project, record):
            if _declared_away(connector, name):
                continue
            result = await outcome_of(call())
            if not isinstance(result, AuthError):
                outcome = (
                    f"{type(result).__name__}: {str(result)[:100]}"
                    if isinstance(result, BaseException)
                    else "a normal return"
                )
                problems.append(f"{name} gave {outcome}")
                continue
            text = str(result)
            missing = [n for n in names if n not in text]
            if missing:
                problems.append(
                    f"{name}'s AuthError does not name {', '.join(missing)} "
                    f"(message: {text.splitlines()[0]!r}); pass env_vars= to AuthError"
                )
            leaked = [n for n, v in wrong.items() if v in text]
            if leaked:
                problems.append(f"{name}'s AuthError shows the value of {', '.join(leaked)}")
    finally:
        await connector.aclose()
    assert not problems, (
        "with wrong credentials: "
        + "; ".join(problems)
        + ". Map 401 (and a 403 without rate-limit headers) to AuthError(env_vars=...)"
    )


# -- S05 -----------------------------------------------------------------------------------


_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None)).keys()
) | {"message", "asctime", "_reposix_redacted"}


class _Capture(logging.Handler):
    """Collects every record's message, exception text and extra fields (which structured
    log handlers print)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:
            text = f"{record.msg!r} {record.args!r}"
        self.texts.append(f"{record.name}: {text}")
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}
        if extras:
            self.texts.append(f"{record.name} extra fields: {extras!r}")
        if record.exc_info:
            self.texts.append("".join(traceback.format_exception(*record.exc_info)))
        if record.exc_text:
            self.texts.append(record.exc_text)


def _exception_texts(exc: BaseException) -> Iterator[str]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield f"{type(current).__name__}: {current}"
        yield repr(current)
        yield from (repr(a) for a in current.args)
        yield from (str(n) for n in getattr(current, "__notes__", ()))
        current = current.__cause__ or current.__context__


def _reprs(root: object, depth: int = 3) -> Iterator[tuple[str, str]]:
    """``(path, repr)`` of ``root`` and the objects it holds (attributes, a few levels deep)."""
    seen: set[int] = set()
    stack: list[tuple[str, object, int]] = [("connector", root, 0)]
    while stack:
        path, obj, level = stack.pop()
        if id(obj) in seen or isinstance(obj, str | bytes | int | float | bool | type(None)):
            continue
        seen.add(id(obj))
        try:
            yield path, repr(obj)
        except Exception as exc:
            yield path, f"<repr failed: {exc}>"
        if level >= depth:
            continue
        attrs: dict[str, object] = {}
        with contextlib.suppress(TypeError):
            attrs.update(vars(obj))
        for cls in type(obj).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if isinstance(slot, str) and hasattr(obj, slot):
                    attrs[slot] = getattr(obj, slot)
        for name, value in attrs.items():
            if isinstance(value, dict | list | tuple | set | frozenset):
                continue
            stack.append((f"{path}.{name}", value, level + 1))


def _audit_texts(events: list[AuditEvent]) -> Iterator[str]:
    for event in events:
        yield repr(event)


async def full_exercise(
    h: Harness, connector: BackendConnector
) -> tuple[list[BaseException], list[BackendConnector]]:
    """Call every method on the happy path, on error paths and under faults.

    Returns the exceptions raised and the extra connectors built on the way.
    """
    project, records = seeded_project(h, 3)
    errors: list[BaseException] = []

    async def run(call: Call) -> None:
        result = await outcome_of(call())
        if isinstance(result, BaseException):
            errors.append(result)

    for _name, call in every_method(connector, project, records[0]):
        await run(call)
    await run(lambda: connector.get_record(project, MISSING_ID))
    await run(lambda: connector.list_records(h.projects.unknown))
    for schedule in (["500"] * 8, ["429"] * 8, ["transport"] * 8, ["malformed"], ["truncated"]):
        h.knobs.schedule = list(schedule)
        await run(lambda: connector.get_record(project, records[1].id))
        h.knobs.schedule = []
    if supported(connector, "update"):
        stale = records[2]
        await run(
            lambda: connector.update_record(
                project, stale.id, patch_of(stale, title="kit stale"), stale.version + 100
            )
        )
    denied = h.build(allowlist=Allowlist.parse("https://other.example"))
    try:
        await run(lambda: denied.list_records(project))
    finally:
        await denied.aclose()
    return errors, [denied]


@invariant(
    "S05",
    "the canary credential never appears in an exception message, a repr, a log record or "
    "an audit row during a full exercise of every method",
)
async def s05_no_secret_leaks(h: Harness) -> None:
    """Exceptions, logs and audit rows end up in bug reports, CI logs and terminals; a
    token that shows up in any of them, even percent-encoded or base64-encoded (Basic auth
    encodes ``email:token``), is a leaked token. Construction is watched from a process
    state that has never seen the secret, so masking registered earlier cannot hide a
    connector that logs its credential before handing it to the SDK."""
    canary = h.canary
    assert canary, "the harness gave no canary credential"
    root = logging.getLogger()
    capture = _Capture()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    leaks: list[str] = []
    try:
        names = _secret_vars(h)
        if names:
            fresh = f"{canary}fresh"
            with fresh_registry():
                built = h.build(credentials=dict.fromkeys(names, fresh))
            for text in capture.texts:
                forms = secret_forms(text, fresh)
                if forms:
                    shown = text.replace(fresh, "<CANARY>")[:120]
                    leaks.append(f"log record while building ({'/'.join(forms)}) {shown!r}")
            capture.texts.clear()
            await built.aclose()
        errors, others = await full_exercise(h, h.connector)
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)

    def check(where: str, text: str) -> None:
        forms = secret_forms(text, canary)
        if forms:
            leaks.append(f"{where} ({'/'.join(forms)})")

    for exc in errors:
        for text in _exception_texts(exc):
            check(f"exception {type(exc).__name__}: {str(exc)[:120]!r}", text)
    for connector in (h.connector, *others):
        for path, text in _reprs(connector):
            check(f"repr({path})", text)
    for text in capture.texts:
        check(f"log record {text[:120]!r}", text)
    for text in _audit_texts(list(h.audit.events)):
        check("an audit row", text)
    masked = sorted({leak.replace(canary, "<CANARY>") for leak in leaks})
    assert not masked, (
        "the credential leaked into: "
        + "; ".join(masked)
        + ". Keep credentials as reposix.Secret, pass them only to the SDK's auth hooks "
        "(BearerAuth/BasicAuth/HeaderAuth), never format them into messages or logs"
    )


# -- S08 -----------------------------------------------------------------------------------


@invariant(
    "S08",
    "the credential appears on the wire only where the auth scheme puts it: never in a URL, "
    "query, body or any other header, in raw, percent-encoded or base64 form, and only to "
    "the fake's own origin",
)
async def s08_secret_only_in_auth_header(h: Harness) -> None:
    """A token in a query string lands in server access logs, proxies and browser history; one
    copied into a body or a debug header is stored by the tracker itself. The auth header is
    the one place built to carry it, and only to the host it belongs to."""
    canary = h.canary
    start = len(h.requests)
    _, others = await full_exercise(h, h.connector)
    for other in others:
        await other.aclose()
    home = origin_of(h.base_url)
    problems: list[str] = []
    for request in requests_since(h, start):
        where = f"{request.method} {str(request.url).replace(canary, '<CANARY>')[:100]}"
        forms = secret_forms(str(request.url), canary)
        if forms:
            problems.append(f"{where}: in the URL ({'/'.join(forms)})")
        try:
            body = request.content.decode("utf-8", errors="replace")
        except httpx.RequestNotRead:
            body = request.read().decode("utf-8", errors="replace")
        forms = secret_forms(body, canary)
        if forms and not _credential_exchange(h, request):
            problems.append(f"{where}: in the body ({'/'.join(forms)})")
        auth = {k.lower() for k, _ in _auth_headers(request)}
        try:
            own = origin_of(request.url) == home
        except ValueError:
            own = False
        for name, value in request.headers.multi_items():
            forms = secret_forms(value, canary)
            if not forms:
                continue
            if name.lower() not in auth:
                problems.append(f"{where}: in header {name} ({'/'.join(forms)})")
            elif not own:
                problems.append(f"{where}: {name} sent to another origin")
    assert not problems, (
        "the credential went on the wire outside the auth header:\n  "
        + "\n  ".join(sorted(set(problems))[:10])
        + "\n  attach credentials only through the SDK's auth hooks (BearerAuth/BasicAuth/"
        "HeaderAuth), never in URLs, query parameters, bodies or extra headers"
    )


# -- S06 -----------------------------------------------------------------------------------


@invariant(
    "S06",
    "every request the connector made appears in the audit sink with the right op, method "
    "and status; refused requests appear as egress_denied",
)
async def s06_audit_complete(h: Harness) -> None:
    """The audit log is how a user answers 'what did this tool do to my tracker?': a request
    missing from it, or logged with the wrong method or status, makes that answer a lie."""
    project, records = seeded_project(h, 2)
    start, first_event = len(h.requests), len(h.audit.events)
    ops_by_call: dict[str, set[str]] = {}
    for name, call in every_method(h.connector, project, records[0]):
        before, sent_before = len(h.audit.events), len(h.requests)
        await outcome_of(call())
        is_read = name.startswith(("list", "get"))
        # A GraphQL query is a read sent as POST, audited under its operation name: a
        # write method's lookups (queries) are reads, only its mutations are writes.
        queries = {
            op[1]
            for r in requests_since(h, sent_before)
            if (op := graphql_operation(r)) is not None and op[0] == "query" and op[1]
        }
        ops_by_call[name] = {
            e.op
            for e in list(h.audit.events)[before:]
            if is_read or (e.method in ("POST", "PUT", "PATCH", "DELETE") and e.op not in queries)
        }
    await outcome_of(h.connector.get_record(project, MISSING_ID))
    sent = requests_since(h, start)
    events = [e for e in list(h.audit.events)[first_event:] if e.outcome != "egress_denied"]
    home = [r for r in sent if r not in off_origin(h, sent)]
    exchanges = getattr(h, "exchanges", None)
    statuses: list[int | str | None] = (
        [x.status for x in list(exchanges)[start:] if not x.foreign]
        if exchanges is not None
        else ["?"] * len(home)
    )
    wire = [(r.method, r.url.path, str(st)) for r, st in zip(home, statuses, strict=True)]
    logged = [
        (e.method, httpx.URL(e.url).path, str(e.status) if exchanges is not None else "?")
        for e in events
    ]
    assert len(logged) == len(wire) and sorted(logged) == sorted(wire), (
        f"{len(wire)} request(s) reached the server but the audit sink has {len(logged)} "
        f"matching row(s) (method, path, status).\n  missing from audit: {_minus(wire, logged)}"
        f"\n  audited but not sent: {_minus(logged, wire)}\n  send every request through the "
        "SDK client built with the runtime's audit sink"
    )
    read_ops = set().union(
        *(ops for name, ops in ops_by_call.items() if name.startswith(("list", "get")))
    )
    write_ops = set().union(
        *(ops for name, ops in ops_by_call.items() if not name.startswith(("list", "get")))
    )
    shared = sorted(read_ops & write_ops)
    assert not shared, (
        f"audit op(s) {shared} label both reads and writes; pass op= naming the operation "
        "(e.g. op='create_record') so the audit log tells a read from a write"
    )
    blank = [e for e in events if not e.op or not e.op.strip()]
    assert not blank, f"{len(blank)} audit row(s) have an empty op; pass op= on every request"
    missing_404 = [
        e for e in events if e.method == "GET" and str(MISSING_ID) in e.url and e.status != 404
    ]
    assert not missing_404, (
        f"the get of a missing record was audited with status {missing_404[0].status} "
        "(expected 404)"
    )
    wrong_status = [
        e for e in events if e.outcome == "ok" and (e.status is None or not 100 <= e.status < 400)
    ]
    assert not wrong_status, f"audit rows marked ok carry status {[e.status for e in wrong_status]}"
    denied = h.build(allowlist=Allowlist.parse("https://other.example"))
    first_event = len(h.audit.events)
    try:
        refused = 0
        for _name, call in every_method(denied, project, records[1], writes=False):
            if isinstance(await outcome_of(call()), EgressDenied):
                refused += 1
    finally:
        await denied.aclose()
    rows = [e for e in list(h.audit.events)[first_event:] if e.outcome == "egress_denied"]
    assert len(rows) >= refused, (
        f"{refused} call(s) were refused by the allowlist but the audit sink has "
        f"{len(rows)} egress_denied row(s); refused requests must be audited too"
    )


def _minus(a: list[tuple[str, str, str]], b: list[tuple[str, str, str]]) -> list[str]:
    rest = list(b)
    out = []
    for item in a:
        if item in rest:
            rest.remove(item)
        else:
            out.append(" ".join(item))
    return out


# -- S07 -----------------------------------------------------------------------------------

_INJECTIONS = ("{p}?injected=1", "{p}#injected", "../../admin/{p}", "{p}/../../admin", "{p}%2F..")


@invariant(
    "S07",
    "a project name from the caller cannot inject a query, a fragment or path traversal into "
    "the request: it is percent-encoded or refused",
)
async def s07_no_path_injection(h: Harness) -> None:
    """Project names come from remote URLs, config files and users; spliced raw into a URL
    path they can reach other endpoints (``../admin``) or rewrite the query."""
    project, (record,) = seeded_project(h, 1)
    start = len(h.requests)
    problems: list[str] = []
    for template in _INJECTIONS:
        hostile = template.format(p=project)
        for name, call in every_method(h.connector, hostile, record, writes=False):
            result = await outcome_of(call())
            if not isinstance(result, BaseException):
                problems.append(f"{name}({hostile!r}) succeeded")
            elif not isinstance(result, ReposixError):
                problems.append(f"{name}({hostile!r}) raised {type(result).__name__}")
    for request in requests_since(h, start):
        raw = request.url.raw_path
        segments = raw.split(b"?")[0].split(b"/")
        if (
            "injected" in request.url.params
            or b"admin" in segments
            or b".." in segments
            or request.url.fragment
        ):
            problems.append(f"sent {request.method} {raw.decode('ascii', 'replace')}")
    assert not problems, (
        "a hostile project name changed the request: "
        + "; ".join(sorted(set(problems))[:8])
        + ". Percent-encode every caller-supplied path component "
        "(urllib.parse.quote(value, safe='')) or validate it and raise ConfigError/NotFound"
    )
