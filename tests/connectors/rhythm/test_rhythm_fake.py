"""The Rhythm wire fake follows the blueprint: auth with rotation, expiry, RBAC, cursor
pages, filters, the unified error type and 429s (blueprint: shared/seeds, "Rhythm Backend
Blueprint")."""

from __future__ import annotations

from reposix import RecordDraft, RecordStatus
from reposix_rhythm.fake import ACCESS_TTL, RhythmFake

from .conftest import call, login

PROJECT = "/orgs/acme/projects/tracker"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token}


async def test_login_refresh_rotates_and_a_reused_refresh_token_is_refused(
    fake: RhythmFake,
) -> None:
    tokens = await login(fake)
    assert tokens["expires_in"] == ACCESS_TTL
    first = await call(
        fake, "POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert first.status_code == 200
    assert first.json()["refresh_token"] != tokens["refresh_token"]
    again = await call(
        fake, "POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_refresh_token"


async def test_wrong_password_and_register_validation(fake: RhythmFake) -> None:
    bad = await call(
        fake, "POST", "/auth/login", json={"email": "kit@rhythm.example", "password": "x"}
    )
    assert bad.status_code == 401
    short = await call(fake, "POST", "/auth/register", json={"email": "a@b.c", "password": "x"})
    assert short.status_code == 422
    assert short.json()["error"]["code"] == "validation"
    ok = await call(fake, "POST", "/auth/register", json={"email": "n@b.c", "password": "12345678"})
    assert ok.status_code == 201


async def test_access_token_expires_on_the_virtual_clock(fake: RhythmFake) -> None:
    token = (await login(fake))["access_token"]
    assert (await call(fake, "GET", PROJECT + "/issues", headers=_auth(token))).status_code == 200
    fake.store.clock.advance(ACCESS_TTL)
    expired = await call(fake, "GET", PROJECT + "/issues", headers=_auth(token))
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "token_expired"


async def test_cursor_pages_with_next_cursor_in_the_body(fake: RhythmFake) -> None:
    fake.store.seed("acme/tracker", [RecordDraft(title=f"t{i}") for i in range(5)])
    token = (await login(fake))["access_token"]
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (
            await call(fake, "GET", PROJECT + "/issues", params=params, headers=_auth(token))
        ).json()
        seen += [i["number"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            assert page["has_more"] is False
            break
    assert seen == sorted(seen)
    assert len(seen) == 5


async def test_filters_q_tag_assignee_status(fake: RhythmFake) -> None:
    fake.store.seed(
        "acme/tracker",
        [
            RecordDraft(title="Crash when saving", labels=["bug"], assignee="a@x.io"),
            RecordDraft(title="Other", body="it saved nothing", status=RecordStatus.DONE),
            RecordDraft(title="Unrelated", status=RecordStatus.WONT_FIX),
        ],
    )
    token = (await login(fake))["access_token"]

    async def numbers(**params: str) -> list[int]:
        r = await call(fake, "GET", PROJECT + "/issues", params=params, headers=_auth(token))
        return [i["number"] for i in r.json()["items"]]

    # "saved" stems like "saving"; the title hit ranks above the description hit.
    assert await numbers(q="saved") == [1, 2]
    assert await numbers(tag="bug") == [1]
    assert await numbers(assignee="a@x.io") == [1]
    assert await numbers(status="resolved") == [2]
    assert await numbers(status="closed") == [3]
    bad = await call(
        fake, "GET", PROJECT + "/issues", params={"status": "done"}, headers=_auth(token)
    )
    assert bad.status_code == 422


async def test_rbac_reporter_developer_admin_and_non_member(fake: RhythmFake) -> None:
    fake.store.seed("acme/tracker", [RecordDraft(title="seed")])
    fake.add_user("rep@x.io", "password1")  # org member: reporter by default
    fake.add_user("dev@x.io", "password2")
    fake.set_role("dev@x.io", "acme/tracker", "developer")
    fake.add_user("out@x.io", "password3", org_role="")
    rep = (await login(fake, "rep@x.io", "password1"))["access_token"]
    dev = (await login(fake, "dev@x.io", "password2"))["access_token"]
    out = (await login(fake, "out@x.io", "password3"))["access_token"]

    created = await call(fake, "POST", PROJECT + "/issues", json={"title": "r"}, headers=_auth(rep))
    assert created.status_code == 201
    moved = await call(
        fake, "PATCH", PROJECT + "/issues/1", json={"status": "in_progress"}, headers=_auth(rep)
    )
    assert moved.status_code == 403
    assert moved.json()["error"]["code"] == "forbidden"
    ok = await call(
        fake, "PATCH", PROJECT + "/issues/1", json={"status": "in_progress"}, headers=_auth(dev)
    )
    assert ok.status_code == 200
    gone = await call(fake, "DELETE", PROJECT + "/issues/1", headers=_auth(dev))
    assert gone.status_code == 403
    hidden = await call(fake, "GET", PROJECT + "/issues", headers=_auth(out))
    assert hidden.status_code == 404  # non-members do not learn the project exists


async def test_429_with_retry_after(fake: RhythmFake) -> None:
    token = (await login(fake))["access_token"]
    fake.rate_limit = 2
    statuses = [
        (await call(fake, "GET", PROJECT + "/issues", headers=_auth(token))).status_code
        for _ in range(3)
    ]
    assert statuses[:1] == [200]
    assert statuses[-1] == 429
    limited = await call(fake, "GET", PROJECT + "/issues", headers=_auth(token))
    assert int(limited.headers["Retry-After"]) > 0
