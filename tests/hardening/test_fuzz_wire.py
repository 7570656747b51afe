"""Fuzz: each shipped connector against its wire fake with one response mutated.

For github, jira and confluence, hypothesis picks an operation, one of the responses the
fake sends for it, and a mutation of that response: a JSON value swapped for another
type, a null, deep nesting, a huge or non-ASCII-digit id, an overflowing timestamp,
invalid UTF-8, a truncated body, or header garbage (an unreadable ``Link``). The only
acceptable outcomes are a typed ``ReposixError`` or a result equal to the fake's truth
(the same operation on an unmutated fake). A mutation the connector legitimately reads
as different data (a null in an optional field) is not generated: nulls go only where
the vendor documents a required field.

ADF bodies (Jira ``fields.description``, Confluence ``body``) are left alone here: the
ADF reader's depth bound belongs to ``reposix._formats``, fuzzed with it.

CI profile: ``derandomize=True`` (a fixed seed), ``max_examples=30`` per connector.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reposix import (
    BackendConnector,
    MemoryAuditSink,
    RecordDraft,
    ReposixError,
    Runtime,
    Secret,
    Tainted,
    VirtualClock,
    sanitize_for_create,
)
from reposix._http import Allowlist
from reposix_confluence.connector import ConfluenceConnector
from reposix_confluence.fake import ConfluenceFake
from reposix_contract._fakes import FakeStore, Knobs
from reposix_github.connector import GitHubConnector
from reposix_github.fake import GitHubFake
from reposix_jira.connector import JiraConnector
from reposix_jira.fake import JiraFake

TOKEN = "fuzz-CANARY-0123456789-token"
EMAIL = "bot@example.com"
GITHUB = "https://api.github.com"
ATLASSIAN = "https://fuzz.atlassian.net"
SINCE = datetime(2000, 1, 1, tzinfo=UTC)
SKIP_KEYS = frozenset({"description", "body"})
"""ADF subtrees (owned by reposix._formats, fuzzed there)."""
REQUIRED_NULLABLE = {
    # Keys a vendor documents as always present and non-null on what we read.
    "github": {"number", "title", "state", "created_at", "updated_at", "login", "name"},
    "jira": {"id", "key", "summary", "status", "created", "updated", "name", "accountId"},
    "confluence": {"id", "status", "title", "spaceId", "createdAt", "number", "key", "name"},
}


@dataclass
class Target:
    name: str
    project: str
    make: Callable[[FakeStore], tuple[Any, str, BackendConnector]]


def _runtime() -> Runtime:
    return Runtime(
        audit=MemoryAuditSink(),
        clock=VirtualClock(),
        allowlist=Allowlist.parse(f"{GITHUB},{ATLASSIAN}"),
        page_size=2,
    )


def _github(store: FakeStore) -> tuple[Any, str, BackendConnector]:
    fake = GitHubFake(store, Knobs(), token=TOKEN)
    return fake, GITHUB, GitHubConnector(Secret(TOKEN), base_url=GITHUB, runtime=_runtime())


def _jira(store: FakeStore) -> tuple[Any, str, BackendConnector]:
    fake = JiraFake(store, Knobs(), token=TOKEN, email=EMAIL, base_url=ATLASSIAN)
    return (
        fake,
        ATLASSIAN,
        JiraConnector(EMAIL, Secret(TOKEN), base_url=ATLASSIAN, runtime=_runtime()),
    )


def _confluence(store: FakeStore) -> tuple[Any, str, BackendConnector]:
    fake = ConfluenceFake(store, Knobs(), base_url=ATLASSIAN, email=EMAIL, api_key=TOKEN)
    conn = ConfluenceConnector(EMAIL, Secret(TOKEN), base_url=ATLASSIAN, runtime=_runtime())
    return fake, ATLASSIAN, conn


TARGETS = {
    "github": Target("github", "octo-org/hello-world", _github),
    "jira": Target("jira", "DEMO", _jira),
    "confluence": Target("confluence", "DEMO", _confluence),
}

OPS: dict[str, Callable[[BackendConnector, str, int], Any]] = {
    "list": lambda c, p, _: c.list_records_complete(p),
    "get": lambda c, p, rid: c.get_record(p, rid),
    "changed": lambda c, p, _: c.list_changed_since(p, SINCE),
    "create": lambda c, p, _: c.create_record(
        p, sanitize_for_create(Tainted(RecordDraft(title="fuzzed", labels=["a"])))
    ),
}


def _store(project: str) -> tuple[FakeStore, int]:
    store = FakeStore(VirtualClock())
    records = store.seed(project, [RecordDraft(title=f"r{i}", labels=["x"]) for i in range(3)])
    return store, records[1].id


def _normal(result: Any) -> Any:
    if hasattr(result, "records"):
        return ([r.model_dump() for r in result.records], result.is_complete)
    if isinstance(result, list):
        return sorted(result)
    return result.model_dump() if hasattr(result, "model_dump") else result


_sent: dict[tuple[str, str], int] = {}
"""How many responses the fake sends for each (connector, op) when nothing is mutated."""


def _run(target: Target, op: str, mutate: Callable[[int, httpx.Response], httpx.Response]) -> Any:
    store, rid = _store(target.project)
    fake, base, connector = target.make(store)
    seen = [0]

    async def handle(request: httpx.Request) -> httpx.Response:
        response = await fake.handle(request)
        index = seen[0]
        seen[0] += 1
        return mutate(index, response)

    async def go() -> Any:
        with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
            router.route(url__startswith=base).mock(side_effect=handle)
            async with connector:
                return await OPS[op](connector, target.project, rid)

    try:
        return asyncio.run(go())
    finally:
        _sent.setdefault((target.name, op), seen[0])


_truth: dict[tuple[str, str], Any] = {}


def truth(name: str, op: str) -> Any:
    if (name, op) not in _truth:
        _truth[name, op] = _normal(_run(TARGETS[name], op, lambda _, r: r))
    return _truth[name, op]


# -- mutations ------------------------------------------------------------------------------


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in SKIP_KEYS:
                yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


def _replace_at(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[head] = _replace_at(doc[head], rest, value)
    return copy


def _looks_like_time(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value


def _nested(depth: int) -> Any:
    node: Any = "x"
    for _ in range(depth):
        node = [node]
    return node


def _other_type(original: Any, pick: int) -> Any:
    """A value of a different JSON type than ``original`` (never null)."""
    if _looks_like_time(original):
        return ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "not a time"][pick % 3]
    if isinstance(original, str) and original.isdigit():
        return ["²", "1" * 5000, "-1", "0", "١٢"][pick % 5]
    if isinstance(original, bool):
        return ["yes", 2, [], {}][pick % 4]
    if isinstance(original, int):
        return ["²", "many", 1.5e300, [original], {"n": original}, "1" * 5000][pick % 6]
    if isinstance(original, str):
        return [12345, True, [original], {"v": original}, _nested(50)][pick % 5]
    if isinstance(original, list):
        return [{"items": original}, "list", 7][pick % 3]
    if isinstance(original, dict):
        return [[original], "object", 7, _nested(50)][pick % 4]
    return "surprise"


@dataclass(frozen=True)
class Mutation:
    """Mutate the ``at``-th response the fake sends (``at`` modulo the count)."""

    at: int
    kind: str
    pick: int
    where: int

    def __call__(self, name: str, index: int, response: httpx.Response) -> httpx.Response:
        if index != self.at or not 200 <= response.status_code < 300:
            return response
        headers = dict(response.headers)
        headers.pop("content-length", None)
        body = response.content
        if self.kind == "link":
            if "link" not in headers and name != "github":
                return response
            garbage = ['<>; rel="next"', "garbage", '<x>; rel="next', "<a> <b>", "\x7f"]
            headers["link"] = garbage[self.pick % len(garbage)]
        elif self.kind == "utf8":
            cut = self.where % max(1, len(body))
            body = body[:cut] + b"\xff\xfe" + body[cut:]
        elif self.kind == "truncate":
            body = body[: self.where % max(1, len(body))]
        elif self.kind == "noise-header":
            headers["x-fuzz"] = "\x01garbage" * (self.pick % 4)
            headers["content-type"] = ["text/html", "application/json; charset=latin-1"][
                self.pick % 2
            ]
        else:
            try:
                doc = json.loads(body)
            except ValueError:
                return response
            nodes = list(_paths(doc))
            path, original = nodes[self.where % len(nodes)]
            if self.kind == "null":
                if not path or path[-1] not in REQUIRED_NULLABLE[name]:
                    return response
                value: Any = None
            elif self.kind == "drop":
                if not path or path[-1] not in REQUIRED_NULLABLE[name]:
                    return response
                parent = path[:-1]
                holder = doc
                for step in parent:
                    holder = holder[step]
                if not isinstance(holder, dict):
                    return response
                value = {k: v for k, v in holder.items() if k != path[-1]}
                path = parent
            else:
                value = _other_type(original, self.pick)
            body = json.dumps(_replace_at(doc, path, value)).encode()
        return httpx.Response(response.status_code, headers=headers, content=body)


MUTATIONS = st.builds(
    Mutation,
    at=st.integers(0, 6),
    kind=st.sampled_from(
        ["type", "type", "type", "null", "drop", "link", "utf8", "truncate", "noise-header"]
    ),
    pick=st.integers(0, 30),
    where=st.integers(0, 10_000),
)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_mutated_responses_give_typed_errors_or_the_truth(name: str) -> None:
    target = TARGETS[name]
    for op in OPS:
        truth(name, op)

    outcomes: list[str] = []

    @settings(
        max_examples=30,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
        deadline=None,
    )
    @given(op=st.sampled_from(sorted(OPS)), mutation=MUTATIONS)
    def check(op: str, mutation: Mutation) -> None:
        try:
            # Aim at one of the responses the operation really gets.
            aimed = replace(mutation, at=mutation.at % max(1, _sent[name, op]))
            result = _run(target, op, lambda i, r: aimed(name, i, r))
        except ReposixError as exc:
            outcomes.append(type(exc).__name__)
            return
        assert _normal(result) == truth(name, op), f"{op} with {mutation} changed the result"
        outcomes.append("truth")

    check()
    # The mutations reached the connector: both outcomes occur, typed errors often.
    assert outcomes.count("truth") >= 3
    assert len(outcomes) - outcomes.count("truth") >= 5
