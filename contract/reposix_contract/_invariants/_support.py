"""Helpers every invariant family shares (no family imports another family's helpers):
outcomes and expected errors, record views and diffs, request inspection, seeding,
declaration checks and the generated value domains."""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import httpx
from hypothesis import strategies as st

from reposix._backend import BackendConnector, DeleteReason
from reposix._errors import NotSupported
from reposix._records import Record, RecordDraft, RecordStatus
from reposix._taint import ServerMetadata, Tainted, Untainted, sanitize, sanitize_for_create
from reposix_contract._harness import Exchange, Harness
from reposix_contract._registry import Requirement, requirement_met


def ids(records: Iterable[Record]) -> list[int]:
    """The ids of ``records``, in order."""
    return [r.id for r in records]


def duplicates(values: Iterable[int]) -> list[int]:
    """Values that occur more than once."""
    return sorted(v for v, n in Counter(values).items() if n > 1)


def set_diff(expected: Iterable[int], got: Iterable[int]) -> str:
    """``missing [...]; unexpected [...]`` (empty when the sets are equal)."""
    exp, act = set(expected), set(got)
    parts = []
    if exp - act:
        parts.append(f"missing {sorted(exp - act)}")
    if act - exp:
        parts.append(f"unexpected {sorted(act - exp)}")
    return "; ".join(parts)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else repr(exc)


def exchanges(h: Harness, start: int = 0) -> list[Exchange]:
    """The harness's exchange log after ``start`` (empty for harnesses without one)."""
    log: Sequence[Exchange] = getattr(h, "exchanges", ())
    return list(log)[start:]


def mark(h: Harness) -> int:
    """The current length of the exchange log."""
    return len(exchanges(h))


T = TypeVar("T")

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
MISSING_ID = 987_654_321
"""An id no fake or simulator hands out during a check."""

# -- shared helpers ------------------------------------------------------------------------


def supported(connector: BackendConnector, requirement: Requirement) -> bool:
    """Whether ``connector``'s ``Capabilities`` declare ``requirement``."""
    return requirement_met(connector.capabilities, requirement)


def new_draft(title: str, **fields: Any) -> Untainted[RecordDraft]:
    """A vetted draft for ``create_record``."""
    return sanitize_for_create(Tainted(RecordDraft(title=title, **fields)))


def patch_of(record: Record, **changes: Any) -> Untainted[Record]:
    """A vetted update patch: ``record`` with ``changes``, server fields from ``record``."""
    meta = ServerMetadata(record.id, record.created_at, record.updated_at, record.version)
    return sanitize(Tainted(record.replace(**changes)), meta)


def user_view(record: Record | RecordDraft) -> dict[str, Any]:
    """The user-controlled fields every write must carry (labels compared as a multiset)."""
    return {
        "title": record.title,
        "body": record.body,
        "labels": sorted(record.labels),
        "assignee": record.assignee,
        "status": record.status.value,
    }


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _where_strings_differ(a: str, b: str) -> str:
    """Where two strings first differ, by code point (for differences you cannot see)."""
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    left = f"U+{ord(a[i]):04X}" if i < len(a) else "end"
    right = f"U+{ord(b[i]):04X}" if i < len(b) else "end"
    return f" (first difference at index {i}: expected {left}, got {right})"


def field_diff(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    """``field: expected -> actual`` for every field that differs."""
    lines = []
    for k in sorted(set(expected) | set(actual)):
        a, b = expected.get(k), actual.get(k)
        if a == b:
            continue
        line = f"{k}: expected {_show(a)}, got {_show(b)}"
        if isinstance(a, str) and isinstance(b, str):
            line += _where_strings_differ(a, b)
        lines.append(line)
    return "; ".join(lines)


def record_diff(expected: Record, actual: Record) -> str:
    """Field-by-field differences between two records (empty when equal)."""
    return field_diff(expected.model_dump(mode="json"), actual.model_dump(mode="json"))


def requests_since(h: Harness, start: int) -> list[httpx.Request]:
    """Requests that reached the mocked network after the first ``start``."""
    return list(h.requests)[start:]


def describe(requests: Sequence[httpx.Request]) -> str:
    """``GET /path, POST /path`` for messages."""
    return ", ".join(f"{r.method} {r.url}" for r in requests) or "(none)"


def json_body(request: httpx.Request) -> Any:
    """The request's JSON body, or None when it has none / is not JSON."""
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = request.read()
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def walk(value: Any, path: str = "$") -> Iterator[tuple[str, Any, Any]]:
    """Every ``(path, key, value)`` in a JSON document (key None for list items and leaves)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.{k}", k, v
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield f"{path}[{i}]", None, v
            yield from walk(v, f"{path}[{i}]")


async def outcome_of(call: Awaitable[T]) -> T | Exception:
    """Await ``call``; return its exception instead of raising it."""
    try:
        return await call
    except Exception as exc:
        return exc


async def expect_error(
    kind: type[BaseException], call: Awaitable[Any], what: str, fix: str
) -> BaseException:
    """Await ``call`` and insist it raises ``kind`` (not any error)."""
    result = await outcome_of(call)
    if isinstance(result, kind):
        return result
    if isinstance(result, BaseException):
        raise AssertionError(
            f"{what} raised {type(result).__name__} ({first_line(result)}) instead of "
            f"{kind.__name__}; {fix}"
        )
    shown = repr(result)
    shown = shown if len(shown) < 160 else shown[:157] + "..."
    raise AssertionError(f"{what} returned {shown} instead of raising {kind.__name__}; {fix}")


def seeded_project(h: Harness, count: int) -> tuple[str, list[Record]]:
    """The seeded project with ``count`` open records the check may change (in the
    target's ``stored_form``, as its server would hold them)."""
    project = h.projects.seeded
    drafts = [
        h.connector.stored_form(
            RecordDraft(
                title=f"kit record {i}",
                body=f"body {i}\n\nsecond paragraph",
                labels=list(filter(h.connector.accepts_label, ["kit", f"n{i}"])),
                assignee="agent-alpha" if i % 2 else None,
            )
        )
        for i in range(count)
    ]
    h.state.add_project(project)
    return project, h.state.seed(project, drafts)


async def call_write(
    connector: BackendConnector, method: str, project: str, record: Record
) -> None:
    """Call write method ``method`` with plausible arguments for ``record``."""
    if method == "create_record":
        await connector.create_record(project, new_draft("kit: must not be created"))
    elif method == "update_record":
        await connector.update_record(
            project, record.id, patch_of(record, title="kit: must not be updated"), record.version
        )
    else:
        await connector.delete_or_close(project, record.id, DeleteReason.COMPLETED)


METHOD_OF: dict[str, str] = {
    "create": "create_record",
    "update": "update_record",
    "delete_or_close": "delete_or_close",
}


async def check_not_supported(h: Harness, method: str) -> None:
    """``method`` raises NotSupported, sends nothing and changes nothing."""
    project, (record,) = seeded_project(h, 1)
    start, mutations = len(h.requests), h.state.mutations
    await expect_error(
        NotSupported,
        call_write(h.connector, method, project, record),
        f"{method} (declared unsupported)",
        f"a connector that declares it cannot {method.split('_')[0]} must raise "
        "NotSupported before any I/O (leave the base class method alone, or declare "
        "the capability in Capabilities)",
    )
    sent = requests_since(h, start)
    assert not sent, (
        f"{method} is declared unsupported but sent {describe(sent)} before raising; "
        "raise NotSupported before building any request"
    )
    assert h.state.mutations == mutations, (
        f"{method} is declared unsupported but the server recorded a change"
    )


async def check_declaration(h: Harness, requires: Sequence[Requirement]) -> None:
    """Declared-away write methods hold: they raise NotSupported and send nothing."""
    for requirement in requires:
        if requirement in METHOD_OF and not supported(h.connector, requirement):
            await check_not_supported(h, METHOD_OF[requirement])


def _declared_for(*requires: Requirement) -> Callable[[Harness], Awaitable[None]]:
    async def check(h: Harness) -> None:
        await check_declaration(h, requires)

    return check


# -- generated values ------------------------------------------------------------------

_LINE_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))
_LINE = st.text(_LINE_CHARS, max_size=40)
_BODY_LINE = st.one_of(
    _LINE,
    st.sampled_from(
        [
            "---",
            "title: not frontmatter",
            "version: 999",
            "# Heading",
            "- [ ] task item",
            "```python\nprint('x')\n```",
            "> quoted **bold** _em_ `code`",
            "| a | b |\n|---|---|",
            "emoji 🚀✨👩🏽‍💻 and 日本語 and العربية",
            "<script>alert(1)</script>",
            "",
            "\ttab-indented",
        ]
    ),
)
_BODY = st.one_of(
    st.just(""),
    st.lists(_BODY_LINE, max_size=8).map("\n".join),
    st.lists(_BODY_LINE, min_size=2, max_size=4).map("\r\n".join),
    st.builds(
        lambda n, s: (s + "\n") * n,
        st.integers(200, 600),
        st.sampled_from(["long ✓ body line", "---"]),
    ),
)
_TITLE = st.text(_LINE_CHARS, min_size=1, max_size=200).filter(str.strip)
"""Titles as the record model accepts them: any line of text, up to 200 characters, with
leading and trailing spaces kept (a backend that trims declares it in ``stored_form``)."""
_LABEL = st.text(
    st.characters(
        codec="utf-8", categories=("L", "N", "S", "Pd", "Pc", "Po"), exclude_characters=","
    ),
    min_size=1,
    max_size=32,
)
"""Label names: letters of any script and case, digits, symbols (emoji), dashes, dots,
colons; labels a backend refuses are declared by ``label_pattern``, normalization by
``stored_form``."""


ASSIGNEES = (
    "agent-alpha",
    "agent-beta",
    "bob-2",
    "x",
    "Ada.Lovelace",
    "octo_cat",
    "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
)
"""User handles in the shapes vendors hand out: GitHub logins (one character, dashes),
Atlassian account ids (``557058:<uuid>``), dotted and underscored names."""


def user_fields(connector: BackendConnector) -> st.SearchStrategy[dict[str, Any]]:
    """Generated user fields; labels only of names ``connector`` accepts (``label_pattern``)."""
    label = _LABEL if connector.label_pattern is None else _LABEL.filter(connector.accepts_label)
    return st.fixed_dictionaries(
        {
            "title": _TITLE,
            "body": _BODY,
            "labels": st.lists(label, unique=True, max_size=4),
            "assignee": st.one_of(st.none(), st.sampled_from(_assignees(connector))),
            "status": st.sampled_from(list(RecordStatus)),
        }
    )


def _assignees(connector: BackendConnector) -> list[str]:
    """The handles of ``ASSIGNEES`` ``connector`` accepts (``assignee_pattern``)."""
    return [a for a in ASSIGNEES if connector.accepts_assignee(a)] or ["agent-alpha"]


def fit_labels(connector: BackendConnector, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` without the labels ``connector`` declares it cannot accept, and with an
    assignee it accepts (``assignee_pattern``: another handle of ``ASSIGNEES`` in its place)."""
    out = dict(fields)
    if "labels" in out:
        out["labels"] = [n for n in out["labels"] if connector.accepts_label(n)]
    assignee = out.get("assignee")
    if assignee is not None and not connector.accepts_assignee(assignee):
        out["assignee"] = _assignees(connector)[0]
    return out


def uncarried(h: Harness) -> frozenset[str]:
    """User fields the target declares it cannot carry (compared loosely)."""
    declared_away: Any = getattr(h, "uncarried_fields", None) or getattr(
        h.connector, "uncarried_fields", ()
    )
    return frozenset(str(name) for name in declared_away)


def carried_view(h: Harness, record: Record | RecordDraft) -> dict[str, Any]:
    """``user_view`` without the fields the target declares it cannot carry."""
    skip = uncarried(h)
    return {k: v for k, v in user_view(record).items() if k not in skip}


def stored(h: Harness, record: Record | RecordDraft) -> RecordDraft:
    """``record``'s user fields as the target's server keeps them (its ``stored_form``)."""
    draft = record.draft() if isinstance(record, Record) else record
    return h.connector.stored_form(draft)


def expected_view(h: Harness, record: Record | RecordDraft) -> dict[str, Any]:
    """``carried_view`` of what the server should hold once ``record`` is written: the
    EXPECTED side of a comparison (the actual side stays un-normalized, so a connector
    that returns anything but the stored form is still caught)."""
    return carried_view(h, stored(h, record))


# -- secrets -------------------------------------------------------------------------------

_B64ISH = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")


def secret_forms(text: str, secret: str) -> list[str]:
    """The forms of ``secret`` found in ``text``: ``raw``, ``percent-encoded`` (found once
    the text is percent-decoded, ``+`` as space or not) or ``base64`` (standard or URL-safe, at any
    alignment, e.g. inside HTTP Basic's ``base64(email:token)``)."""
    if not secret or not text:
        return []
    found = []
    if secret in text:
        found.append("raw")
    elif "%" in text and any(
        secret in decode(text) for decode in (urllib.parse.unquote, urllib.parse.unquote_plus)
    ):
        found.append("percent-encoded")
    needle = secret.encode("utf-8")
    for chunk in _B64ISH.findall(text):
        body = chunk.rstrip("=")
        for decoder in (base64.b64decode, base64.urlsafe_b64decode):
            for cut in range(4):  # the encoded secret may start mid-quantum
                part = body[cut:]
                try:
                    raw = decoder(part + "=" * (-len(part) % 4))
                except (binascii.Error, ValueError):
                    continue
                if needle in raw:
                    found.append("base64")
                    return found
    return found
