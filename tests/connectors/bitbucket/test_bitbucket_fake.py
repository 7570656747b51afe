"""The wire fake speaks Bitbucket's shapes: issues satisfy the swagger's ``issue``
definition, pages its ``paginated_issues`` (no other keys), changes the example's shape."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reposix import RecordDraft, RecordStatus
from reposix_bitbucket.fake import BitbucketFake

from .conftest import API, CANARY, EMAIL

Load = Callable[[str], Any]
SEEDED = "acme/widgets"
_PY = {"integer": int, "string": str, "object": dict, "array": list, "boolean": bool}


def _auth() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{EMAIL}:{CANARY}".encode()).decode()}


async def _call(fake: BitbucketFake, method: str, path: str, **kw: Any) -> httpx.Response:
    return await fake.handle(httpx.Request(method, API + path, headers=_auth(), **kw))


def _check(value: dict[str, Any], props: dict[str, Any]) -> list[str]:
    out = []
    for key, sub in props.items():
        if key not in value or value[key] is None or "type" not in sub:
            continue
        if not isinstance(value[key], _PY[sub["type"]]):
            out.append(f"{key}: {type(value[key]).__name__} is not {sub['type']}")
        if "enum" in sub and value[key] not in sub["enum"]:
            out.append(f"{key}: {value[key]!r} not in the enum")
    return out


@pytest.mark.parametrize("status", list(RecordStatus))
async def test_issue_json_fits_the_swagger(load: Load, status: RecordStatus) -> None:
    defs = load("issue-schemas.json")["definitions"]
    props = defs["issue"]["allOf"][1]["properties"]
    fake = BitbucketFake(token=CANARY)
    fake.store.seed(
        SEEDED, [RecordDraft(title="t", status=status, assignee="557058:x", body="b")] * 2
    )
    body = (await _call(fake, "GET", "/repositories/acme/widgets/issues/1")).json()
    assert _check(body, props) == []
    assert set(body) <= set(props) | {"type", "watches"}
    assert _check({**body, "state": "in review"}, props) == ["state: 'in review' not in the enum"]
    page = (await _call(fake, "GET", "/repositories/acme/widgets/issues?pagelen=1")).json()
    assert set(page) <= set(defs["paginated_issues"]["properties"])
    assert page["next"].startswith(API)
    assert "page=2" in page["next"]


async def test_change_entry_has_the_examples_shape(load: Load) -> None:
    example = load("issue-changes-example.json")["response_200_examples"]["application/json"]
    want = set(example["values"][0])
    fake = BitbucketFake(token=CANARY)
    fake.store.seed(SEEDED, [RecordDraft(title="t")])
    made = await _call(
        fake,
        "POST",
        "/repositories/acme/widgets/issues/1/changes",
        json={"changes": {"state": {"new": "on hold"}}, "message": {"raw": "paused"}},
    )
    assert made.status_code == 201
    entry = made.json()
    assert want <= set(entry) | {"message"}
    assert entry["changes"]["state"] == {"old": "new", "new": "on hold"}
    issue = (await _call(fake, "GET", "/repositories/acme/widgets/issues/1")).json()
    assert issue["state"] == "on hold"


async def test_put_ignores_state_and_is_partial() -> None:
    fake = BitbucketFake(token=CANARY)
    fake.store.seed(SEEDED, [RecordDraft(title="t", body="keep", assignee="557058:x")])
    put = await _call(
        fake, "PUT", "/repositories/acme/widgets/issues/1", json={"state": "resolved", "title": "u"}
    )
    body = put.json()
    assert (body["state"], body["title"], body["content"]["raw"]) == ("new", "u", "keep")
    assert body["assignee"]["account_id"] == "557058:x"
    cleared = await _call(
        fake, "PUT", "/repositories/acme/widgets/issues/1", json={"assignee": None}
    )
    assert cleared.json()["assignee"] is None


async def test_bbql_errors_and_auth() -> None:
    fake = BitbucketFake(token=CANARY)
    bad = await _call(fake, "GET", "/repositories/acme/widgets/issues", params={"q": 'title = "x'})
    assert bad.status_code == 400
    assert bad.json()["type"] == "error"
    nope = await fake.handle(httpx.Request("GET", API + "/repositories/acme/widgets/issues"))
    assert nope.status_code == 401
    off = await _call(fake, "GET", "/repositories/acme/no-tracker/issues")
    assert off.json()["error"]["message"] == "Repository has no issue tracker."
