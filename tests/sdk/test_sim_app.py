"""The simulator's HTTP API, in-process: every route, every error code, every fault."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from reposix._clock import VirtualClock
from reposix.sim._app import SimApp, create_app
from reposix.sim._faults import DECOY_ORIGIN, Faults
from reposix.sim._store import SimStore

BASE = "http://sim.test"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def app(clock: VirtualClock) -> SimApp:
    return create_app(clock=clock)


async def call(
    app: SimApp,
    method: str,
    path: str,
    *,
    json: Any = None,
    headers: dict[str, str] | None = None,
    content: bytes | AsyncIterator[bytes] | None = None,
) -> httpx.Response:
    """One raw request through the ASGI app (no client retries, no rate gate)."""
    url = path if path.startswith("http") else BASE + path
    request = httpx.Request(method, url, json=json, headers=headers, content=content)
    response = await httpx.ASGITransport(app=app).handle_async_request(request)
    await response.aread()
    return response


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["message"]
    code = body["error"]["code"]
    assert isinstance(code, str)
    return code


def next_link(response: httpx.Response) -> str | None:
    link = response.links.get("next", {}).get("url")
    return str(link) if link else None


async def walk(app: SimApp, path: str) -> list[httpx.Response]:
    pages = [await call(app, "GET", path)]
    while (link := next_link(pages[-1])) is not None:
        assert len(pages) < 50, "runaway pagination"
        pages.append(await call(app, "GET", link))
    return pages


# -- health and projects ----------------------------------------------------------------------


async def test_healthz(app: SimApp) -> None:
    response = await call(app, "GET", "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_projects(app: SimApp) -> None:
    listed = (await call(app, "GET", "/projects")).json()
    assert [p["slug"] for p in listed] == ["demo", "empty"]
    created = await call(app, "POST", "/projects", json={"slug": "new", "name": "New"})
    assert created.status_code == 201
    assert created.headers["location"] == "/projects/new"
    assert (await call(app, "GET", "/projects/new")).json()["name"] == "New"
    assert (await call(app, "GET", "/projects/new/records")).json() == []
    dup = await call(app, "POST", "/projects", json={"slug": "new"})
    assert dup.status_code == 409
    assert error_code(dup) == "conflict"
    for body, code in [
        ({"slug": "../x"}, "invalid_slug"),
        ({"slug": 3}, "invalid_field"),
        ({"slug": "a", "owner": "x"}, "unknown_field"),
    ]:
        bad = await call(app, "POST", "/projects", json=body)
        assert bad.status_code == 400
        assert error_code(bad) == code
    missing = await call(app, "GET", "/projects/nope")
    assert missing.status_code == 404
    assert error_code(missing) == "not_found"


# -- reading ----------------------------------------------------------------------------------


async def test_list_unknown_and_empty_projects(app: SimApp) -> None:
    assert (await call(app, "GET", "/projects/empty/records")).json() == []
    unknown = await call(app, "GET", "/projects/nope/records")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": {"code": "not_found", "message": "project 'nope' does not exist"}
    }


async def test_records_have_microsecond_timestamps_and_etags(app: SimApp) -> None:
    response = await call(app, "GET", "/projects/demo/records/5")
    record = response.json()
    assert response.headers["etag"] == f'"{record["version"]}"'
    assert record["parent_id"] == 4
    for field in ("created_at", "updated_at"):
        assert len(record[field]) == 27
        assert record[field].endswith("Z")
        assert datetime.fromisoformat(record[field]).tzinfo is not None


@pytest.mark.parametrize(
    "path",
    [
        "/projects/demo/records/999",
        "/projects/demo/records/0",
        "/projects/demo/records/9999999999999999999",
        "/projects/demo/records/abc",
        "/projects/nope/records/1",
    ],
)
async def test_get_missing_is_json_404(app: SimApp, path: str) -> None:
    response = await call(app, "GET", path)
    assert response.status_code == 404
    assert error_code(response) == "not_found"


async def test_pagination_every_page_size(app: SimApp) -> None:
    everything = [r.id for r in app.store.list("demo")]
    n = len(everything)
    for size in range(1, n + 2):
        pages = await walk(app, f"/projects/demo/records?per_page={size}")
        ids = [r["id"] for page in pages for r in page.json()]
        assert ids == everything, size
        assert len(pages) == max(1, math.ceil(n / size)), size
        assert all(len(p.json()) == size for p in pages[:-1])
        assert {p.headers["x-total-count"] for p in pages} == {str(n)}


async def test_page_size_is_clamped_and_validated(clock: VirtualClock) -> None:
    app = create_app(clock=clock, default_page_size=3, max_page_size=5)
    assert len((await call(app, "GET", "/projects/demo/records")).json()) == 3
    assert len((await call(app, "GET", "/projects/demo/records?per_page=50")).json()) == 5
    for query in ("per_page=0", "per_page=x", "after=-1", "page=0"):
        bad = await call(app, "GET", f"/projects/demo/records?{query}")
        assert bad.status_code == 400, query
        assert error_code(bad).startswith("bad_")


async def test_since_is_strictly_greater(app: SimApp) -> None:
    records = app.store.list("demo")
    pivot = records[3].updated_at
    for text in (pivot.isoformat(), pivot.isoformat().replace("+00:00", "Z")):
        response = await call(app, "GET", "/projects/demo/records?" + urlencode({"since": text}))
        assert [r["id"] for r in response.json()] == [r.id for r in records[4:]]
    just_before = (pivot - timedelta(microseconds=1)).isoformat()
    response = await call(app, "GET", "/projects/demo/records?" + urlencode({"since": just_before}))
    assert [r["id"] for r in response.json()] == [r.id for r in records[3:]]
    # the since filter survives pagination
    pages = await walk(
        app, "/projects/demo/records?" + urlencode({"since": just_before, "per_page": 2})
    )
    assert [r["id"] for p in pages for r in p.json()] == [r.id for r in records[3:]]
    for bad in ("yesterday", "2026-01-01T00:00:00"):
        response = await call(app, "GET", "/projects/demo/records?" + urlencode({"since": bad}))
        assert response.status_code == 400
        assert error_code(response) == "bad_since"


# -- writing ----------------------------------------------------------------------------------


async def test_create(app: SimApp) -> None:
    before = max(r.id for r in app.store.list("demo"))
    body = {
        "title": "new ✨",
        "labels": ["a"],
        "assignee": "me",
        "body": "x\n---\ny\n",
        "parent_id": 4,
    }
    response = await call(app, "POST", "/projects/demo/records", json=body)
    assert response.status_code == 201
    record = response.json()
    assert record["id"] == before + 1
    assert record["version"] == 1
    assert record["created_at"] == record["updated_at"]
    assert {k: record[k] for k in body} == body
    assert response.headers["location"] == f"/projects/demo/records/{record['id']}"
    assert response.headers["etag"] == '"1"'
    assert (await call(app, "GET", response.headers["location"])).json() == record
    assert app.store.mutations == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"title": "t", "id": 5}, "server_field"),
        ({"title": "t", "version": 5}, "server_field"),
        ({"title": "t", "created_at": "2026-01-01T00:00:00Z"}, "server_field"),
        ({"title": "t", "updated_at": "2026-01-01T00:00:00Z"}, "server_field"),
        ({"title": "t", "colour": "red"}, "unknown_field"),
        ({"title": "t", "status": "closed"}, "invalid_field"),
        ({"status": "open"}, "invalid_field"),
        ({"title": "t", "labels": "bug"}, "invalid_field"),
        ({"title": "t", "parent_id": 999}, "invalid_parent"),
        ([1, 2], "bad_json"),
    ],
)
async def test_create_refusals_are_400(app: SimApp, body: Any, code: str) -> None:
    response = await call(app, "POST", "/projects/demo/records", json=body)
    assert response.status_code == 400
    assert error_code(response) == code
    assert app.store.mutations == 0


@pytest.mark.parametrize("raw", [b"{nope", b'{"title": NaN}', b"\xff\xfe", b""])
async def test_bad_json_is_400(app: SimApp, raw: bytes) -> None:
    response = await call(app, "POST", "/projects/demo/records", content=raw)
    assert response.status_code == 400
    assert error_code(response) == "bad_json"


async def test_create_in_unknown_project_is_404(app: SimApp) -> None:
    response = await call(app, "POST", "/projects/nope/records", json={"title": "t"})
    assert response.status_code == 404
    assert not app.store.has_project("nope")


async def test_idempotency_key_replays_the_first_result(app: SimApp) -> None:
    count = len(app.store.list("demo"))
    headers = {"Idempotency-Key": "abc"}
    first = await call(
        app, "POST", "/projects/demo/records", json={"title": "once"}, headers=headers
    )
    second = await call(
        app, "POST", "/projects/demo/records", json={"title": "once"}, headers=headers
    )
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert second.headers["idempotent-replayed"] == "true"
    assert len(app.store.list("demo")) == count + 1
    assert app.store.mutations == 1
    other = await call(
        app, "POST", "/projects/demo/records", json={"title": "twice"}, headers=headers
    )
    assert other.status_code == 422
    assert error_code(other) == "idempotency_key_reused"
    fresh = await call(
        app,
        "POST",
        "/projects/demo/records",
        json={"title": "once"},
        headers={"Idempotency-Key": "d"},
    )
    assert fresh.json()["id"] != first.json()["id"]
    too_long = await call(
        app,
        "POST",
        "/projects/demo/records",
        json={"title": "x"},
        headers={"Idempotency-Key": "k" * 300},
    )
    assert too_long.status_code == 400


async def test_patch_with_if_match(app: SimApp) -> None:
    path = "/projects/demo/records/1"
    for template in ('"{v}"', "{v}", 'W/"{v}"', "*"):
        current = (await call(app, "GET", path)).json()["version"]
        if_match = template.format(v=current)
        response = await call(
            app, "PATCH", path, json={"title": f"t{if_match}"}, headers={"If-Match": if_match}
        )
        assert response.status_code == 200, if_match
        assert response.json()["version"] == current + 1
        assert response.headers["etag"] == f'"{current + 1}"'
    stale = await call(app, "PATCH", path, json={"title": "late"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "version_mismatch"
    assert error["current_version"] == 5
    assert error["expected_version"] == 1
    assert (await call(app, "GET", path)).json()["title"] != "late"
    bad = await call(app, "PATCH", path, json={"title": "x"}, headers={"If-Match": '"v1"'})
    assert bad.status_code == 400
    assert error_code(bad) == "bad_if_match"


async def test_patch_semantics(app: SimApp) -> None:
    path = "/projects/demo/records/2"
    original = (await call(app, "GET", path)).json()
    bodies: tuple[dict[str, Any] | None, ...] = (None, {}, {"title": original["title"]})
    for body in bodies:
        response = await call(app, "PATCH", path, json=body)
        assert response.json() == original, "a PATCH that changes nothing does not bump"
    cleared = (await call(app, "PATCH", path, json={"assignee": None, "labels": []})).json()
    assert cleared["assignee"] is None
    assert cleared["labels"] == []
    assert cleared["version"] == original["version"] + 1
    assert cleared["updated_at"] > original["updated_at"]
    assert cleared["created_at"] == original["created_at"]
    bad: list[tuple[dict[str, Any] | None, str]] = [
        ({"status": "bogus"}, "invalid_field"),
        ({"title": None}, "invalid_field"),
        ({"nope": 1}, "unknown_field"),
        ({"version": 9}, "server_field"),
        ({"id": 9, "title": "x"}, "server_field"),
        ({"parent_id": 2}, "invalid_parent"),
    ]
    for body, code in bad:
        response = await call(app, "PATCH", path, json=body)
        assert response.status_code == 400, body
        assert error_code(response) == code, body
    missing = await call(app, "PATCH", "/projects/demo/records/999", json={"title": "x"})
    assert missing.status_code == 404


async def test_delete_and_ids_never_reused(app: SimApp) -> None:
    top = max(r.id for r in app.store.list("demo"))
    stale = await call(app, "DELETE", f"/projects/demo/records/{top}", headers={"If-Match": '"7"'})
    assert stale.status_code == 409
    response = await call(app, "DELETE", f"/projects/demo/records/{top}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await call(app, "GET", f"/projects/demo/records/{top}")).status_code == 404
    assert (await call(app, "DELETE", f"/projects/demo/records/{top}")).status_code == 404
    created = await call(app, "POST", "/projects/demo/records", json={"title": "after"})
    assert created.json()["id"] == top + 1


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("completed", "done"),
        ("not_planned", "wont_fix"),
        ("duplicate", "wont_fix"),
        ("abandoned", "wont_fix"),
    ],
)
async def test_close_with_reason(app: SimApp, reason: str, status: str) -> None:
    response = await call(app, "POST", "/projects/demo/records/1/close", json={"reason": reason})
    assert response.status_code == 200
    assert response.json()["status"] == status
    assert response.json()["version"] == 2


async def test_close_refusals(app: SimApp) -> None:
    for body in ({"reason": "fixed"}, {}, {"reason": "completed", "x": 1}):
        response = await call(app, "POST", "/projects/demo/records/1/close", json=body)
        assert response.status_code == 400
        assert error_code(response) == "invalid_field"
    missing = await call(
        app, "POST", "/projects/demo/records/99/close", json={"reason": "completed"}
    )
    assert missing.status_code == 404
    stale = await call(
        app,
        "POST",
        "/projects/demo/records/1/close",
        json={"reason": "completed"},
        headers={"If-Match": '"4"'},
    )
    assert stale.status_code == 409


async def test_body_cap_is_413(app: SimApp) -> None:
    big = json.dumps({"title": "t", "body": "x" * (1024 * 1024)}).encode()
    response = await call(app, "POST", "/projects/demo/records", content=big)
    assert response.status_code == 413
    assert error_code(response) == "body_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the stream is counted
        for _ in range(3):
            yield b" " * (512 * 1024)

    response = await call(app, "PATCH", "/projects/demo/records/1", content=chunks())
    assert response.status_code == 413
    assert app.store.mutations == 0


async def test_unknown_routes_and_methods_are_json(app: SimApp) -> None:
    response = await call(app, "GET", "/nothing")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    response = await call(app, "PUT", "/projects/demo/records/1", json={})
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"


async def test_a_bug_is_a_json_500_not_a_crash(
    app: SimApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(app.store, "list", boom)
    response = await call(app, "GET", "/projects/demo/records")
    assert response.status_code == 500
    assert error_code(response) == "internal"


async def test_bearer_token(clock: VirtualClock) -> None:
    app = create_app(clock=clock, token="s3cret")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
        response = await call(app, "GET", "/projects/demo/records", headers=headers)
        assert response.status_code == 401
        assert error_code(response) == "unauthorized"
        assert "REPOSIX_SIM_TOKEN" in response.json()["error"]["message"]
        assert response.headers["www-authenticate"].startswith("Bearer")
    ok = await call(
        app, "GET", "/projects/demo/records", headers={"Authorization": "Bearer s3cret"}
    )
    assert ok.status_code == 200
    assert (await call(app, "GET", "/healthz")).status_code == 200
    assert (await call(app, "GET", "/_admin/faults")).status_code == 401


async def test_request_log(app: SimApp) -> None:
    await call(app, "GET", "/projects/demo/records?per_page=2")
    await call(app, "GET", "/projects/demo/records/999")
    assert [(r.method, r.path, r.query, r.status) for r in app.requests] == [
        ("GET", "/projects/demo/records", "per_page=2", 200),
        ("GET", "/projects/demo/records/999", "", 404),
    ]


# -- faults -----------------------------------------------------------------------------------


async def test_scheduled_rate_limits(app: SimApp, clock: VirtualClock) -> None:
    app.faults.schedule = ["429", "429-date", "429-remaining0", "403-ratelimit", "remaining0", "ok"]
    app.faults.retry_after = 30
    path = "/projects/demo/records/1"
    r429 = await call(app, "GET", path)
    assert r429.status_code == 429
    assert r429.headers["retry-after"] == "30"
    assert error_code(r429) == "rate_limited"
    dated = await call(app, "GET", path)
    assert dated.status_code == 429
    when = parsedate_to_datetime(dated.headers["retry-after"])
    assert when >= clock.now() + timedelta(seconds=30)
    for status in (429, 403):
        limited = await call(app, "GET", path)
        assert limited.status_code == status
        assert "retry-after" not in limited.headers
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert int(limited.headers["x-ratelimit-reset"]) >= clock.now().timestamp() + 30
    paced = await call(app, "GET", path)
    assert paced.status_code == 200
    assert paced.headers["x-ratelimit-remaining"] == "0"
    assert (await call(app, "GET", path)).status_code == 200
    assert app.faults.schedule == []


async def test_scheduled_5xx_and_method_filter(app: SimApp) -> None:
    app.faults.schedule = ["500", "503"]
    app.faults.schedule_methods = ["POST"]
    assert (await call(app, "GET", "/projects/demo/records/1")).status_code == 200
    first = await call(app, "POST", "/projects/demo/records", json={"title": "t"})
    assert first.status_code == 500
    assert error_code(first) == "injected"
    assert (
        await call(app, "POST", "/projects/demo/records", json={"title": "t"})
    ).status_code == 503
    assert app.store.mutations == 0, "a 5xx before the handler commits nothing"
    assert (
        await call(app, "POST", "/projects/demo/records", json={"title": "t"})
    ).status_code == 201


async def test_5xx_after_commit_and_idempotent_retry(app: SimApp) -> None:
    app.faults.schedule = ["500-after"]
    headers = {"Idempotency-Key": "retry-me"}
    lost = await call(app, "POST", "/projects/demo/records", json={"title": "t"}, headers=headers)
    assert lost.status_code == 500
    assert app.store.mutations == 1
    retried = await call(
        app, "POST", "/projects/demo/records", json={"title": "t"}, headers=headers
    )
    assert retried.status_code == 201
    assert retried.headers["idempotent-replayed"] == "true"
    assert app.store.mutations == 1


async def test_malformed_and_truncated_bodies(app: SimApp) -> None:
    app.faults.schedule = ["malformed", "truncated"]
    malformed = await call(app, "GET", "/projects/demo/records")
    assert malformed.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        malformed.json()
    truncated = await call(app, "GET", "/projects/demo/records")
    assert truncated.status_code == 200
    assert len(truncated.content) > 0
    with pytest.raises(json.JSONDecodeError):
        truncated.json()
    assert int(truncated.headers["content-length"]) == len(truncated.content)


async def test_latency_sleeps_on_the_app_clock(app: SimApp, clock: VirtualClock) -> None:
    app.faults.latency = 2.5
    await call(app, "GET", "/projects/demo/records/1")
    assert clock.sleeps == [2.5]
    await call(app, "GET", "/healthz")
    assert clock.sleeps == [2.5], "health probes are never faulted"


async def test_fixed_window_rate_limit(app: SimApp, clock: VirtualClock) -> None:
    app.faults.rate_limit = 2
    app.faults.rate_window = 10
    path = "/projects/demo/records/1"
    first = await call(app, "GET", path)
    assert first.headers["x-ratelimit-limit"] == "2"
    assert first.headers["x-ratelimit-remaining"] == "1"
    assert (await call(app, "GET", path)).headers["x-ratelimit-remaining"] == "0"
    clock.advance(4)
    refused = await call(app, "GET", path)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "6"
    assert refused.json()["error"]["retry_after"] == 6
    app.faults.retry_after_format = "http-date"
    dated = await call(app, "GET", path)
    assert parsedate_to_datetime(dated.headers["retry-after"]) >= clock.now() + timedelta(seconds=6)
    clock.advance(6)
    assert (await call(app, "GET", path)).status_code == 200
    other = await call(app, "GET", path, headers={"X-Reposix-Agent": "b"})
    assert other.headers["x-ratelimit-remaining"] == "1", "windows are per agent"


async def test_redirect_is_one_shot(app: SimApp) -> None:
    app.faults.redirect_to = "https://elsewhere.invalid/x"
    response = await call(app, "GET", "/projects/demo/records")
    assert response.status_code == 302
    assert response.headers["location"] == "https://elsewhere.invalid/x"
    assert (await call(app, "GET", "/projects/demo/records")).status_code == 200


async def test_decoys(app: SimApp) -> None:
    app.faults.decoys = True
    records = (await call(app, "GET", "/projects/demo/records")).json()
    for record in records:
        assert record["url"].startswith(DECOY_ORIGIN)
        assert record["html_url"].startswith(DECOY_ORIGIN)
    single = (await call(app, "GET", "/projects/demo/records/1")).json()
    assert single["url"] == f"{DECOY_ORIGIN}/api/projects/demo/records/1"


async def test_page_size_override(app: SimApp) -> None:
    app.faults.page_size = 3
    pages = await walk(app, "/projects/demo/records?per_page=100")
    assert [len(p.json()) for p in pages] == [3, 3, 2]


async def test_truncate_at(app: SimApp) -> None:
    app.faults.truncate_at = 5
    pages = await walk(app, "/projects/demo/records?per_page=2")
    assert [r["id"] for p in pages for r in p.json()] == [1, 2, 3, 4, 5]
    assert pages[-1].headers["x-total-count"] == "8", "the true total lets clients see the cut"


async def test_next_on_last_page_and_empty_middle_page(app: SimApp) -> None:
    app.faults.next_on_last_page = True
    pages = await walk(app, "/projects/demo/records?per_page=4")
    assert [len(p.json()) for p in pages] == [4, 4, 0]
    app.faults.next_on_last_page = False
    app.faults.empty_middle_page = True
    pages = await walk(app, "/projects/demo/records?per_page=3")
    assert [len(p.json()) for p in pages] == [3, 0, 3, 2]
    assert [r["id"] for p in pages for r in p.json()] == list(range(1, 9))


async def test_short_page(app: SimApp) -> None:
    app.faults.short_page = True
    pages = await walk(app, "/projects/demo/records?per_page=3")
    assert [len(p.json()) for p in pages] == [2, 3, 3]
    assert [r["id"] for p in pages for r in p.json()] == list(range(1, 9))


async def test_cycles(app: SimApp) -> None:
    app.faults.cycle = "self"
    first = await call(app, "GET", "/projects/demo/records?per_page=3")
    link = next_link(first)
    assert link is not None
    again = await call(app, "GET", link)
    assert again.json() == first.json()
    assert next_link(again) == link
    app.faults.cycle = "ab"
    a = await call(app, "GET", "/projects/demo/records?per_page=3")
    b_link = next_link(a)
    assert b_link is not None
    b = await call(app, "GET", b_link)
    a_link = next_link(b)
    assert a_link is not None
    back = await call(app, "GET", a_link)
    assert back.json() == a.json()
    assert next_link(back) == b_link


async def test_foreign_next(app: SimApp) -> None:
    app.faults.foreign_next = True
    page = await call(app, "GET", "/projects/demo/records?per_page=3")
    link = next_link(page)
    assert link is not None
    assert link.startswith(app.faults.foreign_origin + "/projects/demo/records?")


ADMIN = {"X-Reposix-Admin-Token": "adm1n"}


async def test_admin_faults(clock: VirtualClock) -> None:
    app = create_app(clock=clock, admin_token="adm1n")
    faults = app.faults
    assert (await call(app, "GET", "/_admin/faults", headers=ADMIN)).json() == Faults().to_json()
    patched = await call(
        app, "PATCH", "/_admin/faults", headers=ADMIN, json={"page_size": 2, "schedule": ["500"]}
    )
    assert patched.json()["page_size"] == 2
    assert faults.schedule == ["500"]
    assert app.faults is faults, "updated in place: references held by tests stay live"
    again = await call(app, "PATCH", "/_admin/faults", headers=ADMIN, json={"decoys": True})
    assert again.json()["page_size"] == 2
    assert again.json()["decoys"] is True
    replaced = await call(app, "PUT", "/_admin/faults", headers=ADMIN, json={"latency": 1.0})
    assert replaced.json() == {**Faults().to_json(), "latency": 1.0}
    for body in ({"nope": 1}, {"schedule": ["explode"]}, {"page_size": 0}, {"cycle": "abc"}, [1]):
        bad = await call(app, "PUT", "/_admin/faults", headers=ADMIN, json=body)
        assert bad.status_code == 400, body
        assert error_code(bad) in ("invalid_field", "bad_json"), body
    assert app.faults.latency == 1.0


async def test_admin_is_off_unless_started_for_fault_injection(app: SimApp) -> None:
    for method in ("GET", "PUT", "PATCH"):
        response = await call(app, method, "/_admin/faults", json={"latency": 9}, headers=ADMIN)
        assert response.status_code == 404
        assert error_code(response) == "admin_disabled"
        assert "--fault-injection" in response.json()["error"]["message"]
    assert app.faults.latency == 0


async def test_admin_needs_its_token(clock: VirtualClock) -> None:
    app = create_app(clock=clock, admin_token="adm1n")
    assert app.admin_enabled
    for headers in ({}, {"X-Reposix-Admin-Token": "wrong"}, {"Authorization": "Bearer adm1n"}):
        response = await call(app, "PUT", "/_admin/faults", json={"latency": 9}, headers=headers)
        assert response.status_code == 401
        assert error_code(response) == "unauthorized"
        assert "X-Reposix-Admin-Token" in response.json()["error"]["message"]
    assert app.faults.latency == 0
    with pytest.raises(ValueError, match="empty"):
        create_app(admin_token="")


async def test_admin_behind_a_data_token_needs_both(clock: VirtualClock) -> None:
    app = create_app(clock=clock, token="data", admin_token="adm1n")
    only_admin = await call(app, "GET", "/_admin/faults", headers=ADMIN)
    assert only_admin.status_code == 401
    both = await call(
        app, "GET", "/_admin/faults", headers={**ADMIN, "Authorization": "Bearer data"}
    )
    assert both.status_code == 200


def test_faults_validation() -> None:
    with pytest.raises(ValueError, match="unknown schedule"):
        Faults(schedule=["boom"])
    with pytest.raises(ValueError, match="page_size"):
        Faults(page_size=0)
    assert Faults(schedule=["500"], schedule_methods=["post"]).next_scheduled("GET") is None


def test_create_app_seeds_only_an_empty_store() -> None:
    store = SimStore()
    store.add_project("mine")
    app = create_app(store)
    assert [p.slug for p in app.store.projects()] == ["mine"]
    assert [p.slug for p in create_app(seed=False).store.projects()] == []
    with pytest.raises(ValueError, match="page_size"):
        create_app(default_page_size=500)
