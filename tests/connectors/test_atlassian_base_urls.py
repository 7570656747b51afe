"""Jira and Confluence behind every base URL form: each request, and each followed next link,
stays under the configured base.

Sources: the gateway form for scoped API tokens and OAuth,
https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/
(``https://api.atlassian.com/ex/jira/{cloudId}``, ``…/ex/confluence/{cloudId}``); Confluence
v2 ``_links.next`` site-relative, https://developer.atlassian.com/cloud/confluence/rest/v2/intro/#pagination;
the failing URLs (``https://api.atlassian.com/wiki/api/v2/…`` and ``/wiki/wiki/api/v2/…``)
as reported in https://github.com/atlassian-api/atlassian-python-api/issues/1655.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import respx

from reposix._audit import MemoryAuditSink
from reposix._clock import VirtualClock
from reposix._http import Allowlist
from reposix._records import RecordDraft
from reposix._runtime import Runtime
from reposix._secret import Secret
from reposix_confluence.connector import ConfluenceConnector
from reposix_confluence.fake import ConfluenceFake
from reposix_contract._fakes import FakeStore, Knobs
from reposix_jira.connector import JiraConnector
from reposix_jira.fake import JiraFake

CLOUD = "11223344-a1b2-3b33-c444-def123456789"
SITE = "https://reposix-test.atlassian.net"
EMAIL = "bot@example.com"
KEY = "ATATT3xCANARYcanary0123456789abcdefCANARY99"
CONFLUENCE_BASES = {
    "site": (SITE, SITE),
    "wiki": (SITE + "/wiki", SITE),
    "gateway": (f"https://api.atlassian.com/ex/confluence/{CLOUD}",) * 2,
}


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def runtime(base: str, **kw: object) -> Runtime:
    origin = httpx.URL(base)
    return Runtime(
        audit=MemoryAuditSink(),
        allowlist=Allowlist.parse(f"{origin.scheme}://{origin.host}"),
        clock=VirtualClock(),
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("form", sorted(CONFLUENCE_BASES))
async def test_confluence_pages_and_searches_stay_under_the_base(
    mock: respx.MockRouter, form: str
) -> None:
    base, root = CONFLUENCE_BASES[form]
    clock = VirtualClock()
    fake = ConfluenceFake(FakeStore(clock), Knobs(), base_url=base, email=EMAIL, api_key=KEY)
    mock.route(host=httpx.URL(base).host).mock(side_effect=fake.handle)
    seeded = fake.store.seed("DEMO", [RecordDraft(title=f"p{i}") for i in range(5)])
    since = min(r.updated_at for r in seeded) - timedelta(seconds=1)
    conn = ConfluenceConnector(
        EMAIL, Secret(KEY), base_url=base, runtime=runtime(base, page_size=2)
    )
    try:
        listing = await conn.list_records("DEMO")
        changed = await conn.list_changed_since("DEMO", since)
    finally:
        await conn.aclose()
    assert sorted(r.id for r in listing) == sorted(r.id for r in seeded)
    assert sorted(changed) == sorted(r.id for r in seeded)
    urls = [str(call.request.url) for call in mock.calls]
    cursors = [u for u in urls if "cursor=" in u]
    assert len(cursors) >= 4  # page 2+ of the v2 listing and of the v1 CQL search
    for url in urls:
        assert url.startswith(root + "/wiki/"), url
        assert "/wiki/wiki/" not in url, url
    assert [c.response.status_code for c in mock.calls if c.response.status_code >= 400] == []


async def test_confluence_gateway_before_the_fix_would_have_left_the_prefix(
    mock: respx.MockRouter,
) -> None:
    """The fake behind the gateway answers 404 outside ``/ex/confluence/{cloudId}``."""
    base = CONFLUENCE_BASES["gateway"][0]
    fake = ConfluenceFake(
        FakeStore(VirtualClock()), Knobs(), base_url=base, email=EMAIL, api_key=KEY
    )
    auth = httpx.BasicAuth(EMAIL, KEY)
    request = httpx.Request("GET", "https://api.atlassian.com/wiki/api/v2/spaces?keys=DEMO")
    request = next(auth.auth_flow(request))
    assert (await fake.handle(request)).status_code == 404
    inside = httpx.Request("GET", base + "/wiki/api/v2/spaces?keys=DEMO")
    assert (await fake.handle(next(auth.auth_flow(inside)))).status_code == 200


async def test_jira_requests_stay_under_the_gateway(mock: respx.MockRouter) -> None:
    base = f"https://api.atlassian.com/ex/jira/{CLOUD}"
    fake = JiraFake(FakeStore(VirtualClock()), Knobs(), base_url=base, email=EMAIL, token=KEY)
    mock.route(host="api.atlassian.com").mock(side_effect=fake.handle)
    seeded = fake.store.seed("DEMO", [RecordDraft(title=f"i{i}") for i in range(3)])
    since = min(r.updated_at for r in seeded) - timedelta(minutes=5)
    conn = JiraConnector(EMAIL, Secret(KEY), base_url=base, runtime=runtime(base, page_size=1))
    try:
        listing = await conn.list_records("DEMO")
        changed = await conn.list_changed_since("DEMO", since)
        await conn.get_record("DEMO", seeded[0].id)
    finally:
        await conn.aclose()
    assert len(listing) == 3
    assert sorted(changed) == sorted(r.id for r in seeded)
    for call in mock.calls:
        assert str(call.request.url).startswith(base + "/rest/api/3/"), call.request.url
        assert call.response.status_code < 400
