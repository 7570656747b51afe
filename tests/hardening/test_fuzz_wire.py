"""Fuzz: each shipped connector against its wire fake with one response mutated.

For every shipped connector plugin (``reposix.load_plugins()``; a plugin without a
case here fails ``test_every_shipped_plugin_is_fuzzed``), hypothesis picks an operation, one of the responses the
fake sends for it, and a mutation of that response: a JSON value swapped for another
type, a null, deep nesting, a huge or non-ASCII-digit id, an overflowing timestamp,
invalid UTF-8, a truncated body, or header garbage (an unreadable ``Link``). The only
acceptable outcomes are a typed ``ReposixError`` or a result equal to the fake's truth
(the same operation on an unmutated fake). A mutation the connector legitimately reads
as different data (a null in an optional field) is not generated: nulls go only where
the vendor documents a required field.

ADF bodies (Jira ``fields.description``, Confluence ``body``) are left alone here: the
ADF reader's depth bound belongs to ``reposix._formats``, fuzzed with it.

github, jira and confluence have hand-built cases (vendor hosts); every other plugin is
built the way the conformance kit builds it: its declared wire fake (decoys off) and
``plugin.build`` with the fake's credentials, on the fake's ``projects.seeded``. The sim
is excluded (``NOT_FUZZED``): its fake is the simulator on its own store.

CI profile: ``derandomize=True`` (a fixed seed), ``max_examples=30`` per connector.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reposix import (
    BackendConnector,
    ConnectorPlugin,
    Credentials,
    MemoryAuditSink,
    ProtocolError,
    RecordDraft,
    ReposixError,
    Runtime,
    Secret,
    Tainted,
    VirtualClock,
    load_plugins,
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
    # https://docs.gitlab.com/api/issues/#list-issues (iid, title, state, timestamps)
    "gitlab": {"id", "iid", "title", "state", "created_at", "updated_at", "username"},
    # https://developer.atlassian.com/cloud/bitbucket/rest/api-group-issue-tracker/
    "bitbucket": {"id", "title", "state", "created_on", "updated_on"},
    # https://studio.apollographql.com/public/Linear-API/schema (Issue: non-null fields)
    "linear": {"id", "identifier", "number", "title", "createdAt", "updatedAt", "state", "type"},
    # shared/seeds "Rhythm Backend Blueprint": issues.number/title/status/created_at NOT NULL
    "rhythm": {"number", "title", "status", "created_at", "updated_at", "access_token"},
}


@dataclass
class Target:
    name: str
    project: str
    make: Callable[[FakeStore], tuple[Any, str, BackendConnector]]


def _runtime(*origins: str) -> Runtime:
    return Runtime(
        audit=MemoryAuditSink(),
        clock=VirtualClock(),
        allowlist=Allowlist.parse(",".join(origins or (GITHUB, ATLASSIAN))),
        page_size=2,
    )


def _origin(base: str) -> str:
    url = httpx.URL(base)
    return f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")


def _from_plugin(plugin: ConnectorPlugin[BackendConnector]) -> Target:
    """The case the kit would build: the plugin's fake (no decoys) and ``plugin.build``."""
    factory = plugin.load_fake()

    def make(store: FakeStore) -> tuple[Any, str, BackendConnector]:
        fake = factory(store=store, knobs=Knobs(decoys=False))
        creds = dict(fake.credentials)
        setter = getattr(fake, "set_credentials", None)
        if callable(setter):
            setter(creds)
        base = fake.base_url
        credentials = Credentials({k: Secret(v) for k, v in creds.items()})
        return fake, base, plugin.build(base, credentials, _runtime(_origin(base)))

    project = plugin.load_fake()(store=FakeStore(VirtualClock())).projects.seeded
    return Target(plugin.name, project, make)


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


PLUGINS = load_plugins()
NOT_FUZZED = {
    # Its fake is the simulator itself on its own store (no FakeStore to seed), so the
    # generic case does not fit; the server side is fuzzed by tests/sdk/test_sim_hostile.py.
    # Not yet fuzzed: SimBackend reading mutated simulator responses.
    "sim": "the simulator's fake has no FakeStore; see tests/sdk/test_sim_hostile.py",
}
TARGETS = {
    "github": Target("github", "octo-org/hello-world", _github),
    "jira": Target("jira", "DEMO", _jira),
    "confluence": Target("confluence", "DEMO", _confluence),
}
TARGETS.update(
    (name, _from_plugin(p))
    for name, p in sorted(PLUGINS.items())
    if name not in TARGETS and name not in NOT_FUZZED
)


def test_every_shipped_plugin_is_fuzzed() -> None:
    """A connector that ships a plugin gets a fuzz case (or a stated reason for none)."""
    missing = set(PLUGINS) - set(TARGETS) - set(NOT_FUZZED)
    assert not missing, f"shipped plugins with no fuzz case: {sorted(missing)}"
    assert {"gitlab", "bitbucket", "linear", "rhythm"} <= set(TARGETS)


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
            elif original is None:
                # An absent optional value given one is different data, read faithfully.
                return response
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


def _every_time(value: str) -> Callable[[int, httpx.Response], httpx.Response]:
    """Replace every timestamp in every successful JSON response with ``value``."""

    def swap(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: v if k in SKIP_KEYS else swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return value if _looks_like_time(node) else node

    def mutate(_: int, response: httpx.Response) -> httpx.Response:
        if not 200 <= response.status_code < 300:
            return response
        try:
            doc = json.loads(response.content)
        except ValueError:
            return response
        headers = {k: v for k, v in response.headers.items() if k != "content-length"}
        return httpx.Response(response.status_code, headers=headers, json=swap(doc))

    return mutate


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00"])
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_an_unconvertible_timestamp_is_a_protocol_error(name: str, when: str) -> None:
    """Regression (found by this fuzz): gitlab, bitbucket, linear and rhythm read
    timestamps with pydantic's ``AwareDatetime``/``datetime``, which accept a time whose UTC
    conversion overflows (and rhythm a naive one), so ``Record`` later raised a bare
    pydantic ``ValidationError``. Wire models use the SDK's ``WireTime``."""
    with pytest.raises(ProtocolError):
        _run(TARGETS[name], "get", _every_time(when))


@pytest.mark.parametrize("link", ["garbage", '<>; rel="next"', '<x>; rel="next'])
@pytest.mark.parametrize("op", ["list", "changed"])
def test_an_unreadable_github_link_on_page_one_is_a_protocol_error(op: str, link: str) -> None:
    """Regression (found by this fuzz): github's changes-since read httpx's lenient
    ``response.links``, so ``Link: garbage`` on page 1 ended the listing there and
    returned ids 1-2 of 3 as complete. Every Link is read by the SDK's ``next_link``."""

    def garble(index: int, response: httpx.Response) -> httpx.Response:
        if index:
            return response
        headers = {k: v for k, v in response.headers.items() if k != "content-length"}
        return httpx.Response(
            response.status_code, headers={**headers, "link": link}, content=response.content
        )

    with pytest.raises(ProtocolError, match="Link"):
        _run(TARGETS["github"], op, garble)


def test_no_connector_reads_links_through_httpx() -> None:
    """httpx's ``response.links`` drops what it cannot parse (an unreadable next link
    would look like the last page); connectors and the template use ``next_link``."""
    root = Path(__file__).parents[2]
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for folder in ("reference_connectors", "templates")
        for path in sorted((root / folder).rglob("*.py"))
        if path.name != "fake.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\b(response|resp|r)\.links\b", line)
    ]
    assert not offenders, offenders
