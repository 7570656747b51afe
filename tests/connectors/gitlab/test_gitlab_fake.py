"""The wire fake behaves like GitLab: its JSON satisfies GitLab's own response schema, and
its quirks (prefix, encoded paths, sorted labels, 401/404 bodies) are the vendor's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reposix import RecordDraft, RecordStatus
from reposix_contract import DECOY_ORIGIN
from reposix_gitlab.fake import GitLabFake

from .conftest import API, CANARY

Load = Callable[[str], Any]
SEEDED = "my-group/my-project"
_TYPES: dict[str, type | tuple[type, ...]] = {
    "integer": int,
    "string": str,
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}


def _problems(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """The subset of JSON Schema GitLab's issue schema uses: type, required, properties, items."""
    out: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        names = kinds if isinstance(kinds, list) else [kinds]
        ok = any(
            isinstance(value, _TYPES[n]) and not (n == "integer" and isinstance(value, bool))
            for n in names
        )
        if not ok:
            return [f"{where}: {type(value).__name__} is not {names}"]
    if isinstance(value, dict):
        out += [f"{where}.{k}: missing" for k in schema.get("required", []) if k not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                out += _problems(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            out += _problems(item, schema["items"], f"{where}[{i}]")
    return out


async def _get(fake: GitLabFake, path: str, token: str = CANARY) -> httpx.Response:
    request = httpx.Request("GET", API + path, headers={"PRIVATE-TOKEN": token})
    return await fake.handle(request)


async def test_the_schema_check_is_not_vacuous(load: Load) -> None:
    schema = load("issue-response-jsonschema.json")["schema"]
    fake = GitLabFake(token=CANARY)
    fake.store.seed(SEEDED, [RecordDraft(title="t")])
    body = (await _get(fake, "/projects/4/issues/1")).json()
    assert _problems({**body, "iid": "1"}, schema) == ["$.iid: str is not ['integer']"]
    del body["web_url"]
    assert _problems(body, schema) == ["$.web_url: missing"]
    # GitLab's hand-written docs example breaks its own schema (avatar_url: null), which is
    # why the fake follows the schema and the connector reads neither field
    example = load("get-project-issue.json")["response_200_example"]
    assert "$.assignees[0].avatar_url: NoneType is not ['string']" in _problems(example, schema)


@pytest.mark.parametrize("status", list(RecordStatus))
async def test_issue_json_satisfies_gitlabs_response_schema(
    load: Load, status: RecordStatus
) -> None:
    schema = load("issue-response-jsonschema.json")["schema"]
    fake = GitLabFake(token=CANARY)
    fake.store.seed(
        SEEDED, [RecordDraft(title="t", status=status, assignee="lennie", labels=["b", "a"])]
    )
    body = (await _get(fake, "/projects/my-group%2Fmy-project/issues/1")).json()
    assert _problems(body, schema) == []


async def test_quirks() -> None:
    fake = GitLabFake(token=CANARY)
    fake.store.seed(SEEDED, [RecordDraft(title="t", labels=["zeta", "Alpha", "beta"])])
    ok = await _get(fake, "/projects/my-group%2Fmy-project/issues/1")
    assert ok.json()["labels"] == ["Alpha", "beta", "zeta"]  # by title, as label_names does
    assert ok.json()["web_url"].startswith(DECOY_ORIGIN)
    assert ok.headers["ratelimit-limit"]
    assert ok.headers["ratelimit-resettime"].endswith("GMT")
    unencoded = await _get(fake, "/projects/my-group/my-project/issues/1")
    assert unencoded.status_code == 404
    no_prefix = await fake.handle(
        httpx.Request(
            "GET",
            "https://gitlab.example.com/api/v4/projects/4/issues/1",
            headers={"PRIVATE-TOKEN": CANARY},
        )
    )
    assert no_prefix.status_code == 404
    bad = await _get(fake, "/projects/4/issues/1", token="glpat-nope")
    assert (bad.status_code, bad.json()) == (401, {"message": "401 Unauthorized"})
    assert (await _get(fake, "/projects/4/issues/1")).json()["iid"] == 1
    missing = await _get(fake, "/projects/my-group%2Fnope/issues")
    assert missing.json() == {"message": "404 Project Not Found"}


async def test_offset_pages_carry_gitlabs_headers() -> None:
    fake = GitLabFake(token=CANARY)
    fake.store.seed(SEEDED, [RecordDraft(title=f"t{i}") for i in range(5)])
    page = await _get(fake, "/projects/4/issues?per_page=2&page=2")
    h = page.headers
    assert (h["x-page"], h["x-next-page"], h["x-prev-page"], h["x-total"], h["x-total-pages"]) == (
        "2",
        "3",
        "1",
        "5",
        "3",
    )
    assert [i["iid"] for i in page.json()] == [3, 2]  # default order: created_at desc
    assert 'rel="next"' in h["link"]
    assert 'rel="last"' in h["link"]
    fake.knobs.omit_total = True  # above 10,000 records
    big = (await _get(fake, "/projects/4/issues?per_page=2")).headers
    assert "x-total" not in big
    assert "x-total-pages" not in big
    assert 'rel="last"' not in big["link"]


async def test_keyset_refused_for_orderings_it_lacks() -> None:
    fake = GitLabFake(token=CANARY)
    refused = await _get(fake, "/projects/4/issues?pagination=keyset&order_by=priority")
    assert refused.status_code == 405
    assert refused.json() == {
        "error": "Keyset pagination is not yet available for this type of request"
    }
