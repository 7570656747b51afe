"""The one Atlassian home: base URL forms, next-link resolution, profile zones, JQL/CQL minutes.

Sources: scoped API tokens and OAuth apps use ``https://api.atlassian.com/ex/{jira|
confluence}/{cloudId}`` (https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/,
https://developer.atlassian.com/cloud/confluence/oauth-2-3lo-apps/); Confluence v2
``_links.next`` is site-relative (``/wiki/api/v2/…?cursor=``,
https://developer.atlassian.com/cloud/confluence/rest/v2/intro/#pagination), v1's is
relative to ``_links.base`` (``/rest/api/…``,
https://developer.atlassian.com/cloud/confluence/change-notice-moderize-search-rest-apis/);
the ``/wiki/wiki`` and lost-gateway-prefix bugs:
https://github.com/atlassian-api/atlassian-python-api/issues/1655. JQL and CQL read
``"yyyy-MM-dd HH:mm"`` in the user's profile zone, inclusively
(https://support.atlassian.com/jira-software-cloud/docs/jql-fields/#Updated,
https://developer.atlassian.com/cloud/confluence/cql-fields/#lastmodified).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from reposix import AtlassianSite, ConfigError, atlassian_minute, atlassian_zone
from reposix_confluence.cql import changed_since_cql
from reposix_jira.jql import changed_since_jql

CLOUD = "11223344-a1b2-3b33-c444-def123456789"
GATEWAY = f"https://api.atlassian.com/ex/confluence/{CLOUD}"


@pytest.mark.parametrize(
    ("base", "product", "root"),
    [
        ("https://acme.atlassian.net", "confluence", "https://acme.atlassian.net"),
        ("https://acme.atlassian.net/", "confluence", "https://acme.atlassian.net"),
        ("https://acme.atlassian.net/wiki", "confluence", "https://acme.atlassian.net"),
        ("https://acme.atlassian.net/wiki/", "confluence", "https://acme.atlassian.net"),
        (GATEWAY, "confluence", GATEWAY),
        (GATEWAY + "/wiki", "confluence", GATEWAY),
        ("https://acme.atlassian.net", "jira", "https://acme.atlassian.net"),
        (
            f"https://api.atlassian.com/ex/jira/{CLOUD}/",
            "jira",
            f"https://api.atlassian.com/ex/jira/{CLOUD}",
        ),
        ("https://me:secret@acme.atlassian.net", "jira", "https://acme.atlassian.net"),
        ("http://127.0.0.1:8080/proxy", "jira", "http://127.0.0.1:8080/proxy"),
    ],
)
def test_every_base_form_reduces_to_one_root(base: str, product: str, root: str) -> None:
    site = AtlassianSite.parse(base, product)  # type: ignore[arg-type]
    assert site.root == root
    assert site.client_base == root + "/"
    assert site.is_gateway is root.startswith("https://api.atlassian.com/")


@pytest.mark.parametrize(
    ("base", "product", "match"),
    [
        (f"https://api.atlassian.com/ex/jira/{CLOUD}", "confluence", "gateway of 'jira'"),
        (GATEWAY, "jira", "gateway of 'confluence'"),
        ("https://api.atlassian.com/ex/confluence", "confluence", "not an Atlassian gateway"),
        ("https://api.atlassian.com/wiki", "confluence", "not an Atlassian gateway"),
        ("ftp://acme.atlassian.net", "jira", "not an http"),
        ("https://acme.atlassian.net/?x=1", "jira", "must not carry a query"),
    ],
)
def test_wrong_base_urls_are_config_errors(base: str, product: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        AtlassianSite.parse(base, product)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["Acme", "-acme", "acme-", "ac.me", "a" * 64, "", "a/b"])
def test_site_names_are_validated_for_both_products(name: str) -> None:
    for product, variable in (("jira", "REPOSIX_JIRA_INSTANCE"), ("confluence", "X_TENANT")):
        with pytest.raises(ConfigError, match=variable):
            AtlassianSite.for_site_name(name, product, variable=variable)  # type: ignore[arg-type]
    site = AtlassianSite.for_site_name("acme-2", "confluence", variable="X")
    assert site.root == "https://acme-2.atlassian.net"


V2_NEXT = "/wiki/api/v2/spaces/65537/pages?cursor=abc&limit=2"
V1_NEXT = "/rest/api/content/search?cql=x&cursor=def"


@pytest.mark.parametrize(
    ("base", "link", "expected"),
    [
        # site root
        ("https://acme.atlassian.net", V2_NEXT, "https://acme.atlassian.net" + V2_NEXT),
        ("https://acme.atlassian.net", V1_NEXT, "https://acme.atlassian.net/wiki" + V1_NEXT),
        # …/wiki: page 2 must not go to /wiki/wiki/api/v2 (issue 1655)
        ("https://acme.atlassian.net/wiki", V2_NEXT, "https://acme.atlassian.net" + V2_NEXT),
        ("https://acme.atlassian.net/wiki", V1_NEXT, "https://acme.atlassian.net/wiki" + V1_NEXT),
        # the gateway: the link omits /ex/confluence/{cloudId}; it must be put back
        (GATEWAY, V2_NEXT, GATEWAY + V2_NEXT),
        (GATEWAY, V1_NEXT, GATEWAY + "/wiki" + V1_NEXT),
        (GATEWAY, f"/ex/confluence/{CLOUD}{V2_NEXT}", GATEWAY + V2_NEXT),
        (GATEWAY, GATEWAY + V2_NEXT, GATEWAY + V2_NEXT),
        # another origin is left for the paginator's pinning to refuse
        (GATEWAY, "https://acme.atlassian.net" + V2_NEXT, "https://acme.atlassian.net" + V2_NEXT),
        (GATEWAY, None, None),
    ],
)
def test_next_links_resolve_under_the_configured_base(
    base: str, link: str | None, expected: str | None
) -> None:
    assert AtlassianSite.parse(base, "confluence").next_url(link) == expected


@pytest.mark.parametrize(
    "link",
    [
        "/wiki/../../ex/confluence/other-cloud/wiki/api/v2/pages",
        "/../other/wiki/api/v2/pages",
        "wiki/api/v2/pages?cursor=x",
        "//evil.example/wiki/api/v2/pages",
    ],
)
def test_next_links_that_would_leave_the_base_are_refused(link: str) -> None:
    with pytest.raises(ValueError, match="next link"):
        AtlassianSite.parse(GATEWAY, "confluence").next_url(link)


def test_profile_zones() -> None:
    assert atlassian_zone("Australia/Sydney") == ZoneInfo("Australia/Sydney")
    assert atlassian_zone("Not/AZone") is None
    assert atlassian_zone("") is None
    assert atlassian_zone(None) is None


BERLIN = ZoneInfo("Europe/Berlin")
# 2026-10-25: Berlin's clocks go from 03:00 CEST back to 02:00 CET, so 02:30 happens twice.
FIRST_0230 = datetime(2026, 10, 25, 0, 30, 10, tzinfo=UTC)  # 02:30 CEST, the first pass


def test_the_minute_moves_an_hour_earlier_in_a_daylight_saving_fold() -> None:
    """Read as the second 02:30 (an hour later), "02:30" would miss edits; "01:30" cannot."""
    assert atlassian_minute(FIRST_0230, BERLIN) == "2026-10-25 01:30"
    assert atlassian_minute(datetime(2026, 10, 24, 12, 0, 59, tzinfo=UTC), BERLIN) == (
        "2026-10-24 14:00"
    )


def test_unknown_zone_widens_by_fourteen_hours_and_naive_is_refused() -> None:
    since = datetime(2026, 1, 1, 0, 0, 56, tzinfo=UTC)
    assert atlassian_minute(since, None) == "2025-12-31 10:00"
    with pytest.raises(ConfigError, match="timezone-aware"):
        atlassian_minute(since.replace(tzinfo=None), BERLIN)


def test_jql_and_cql_both_handle_the_fold() -> None:
    """Only CQL widened around a fold before; JQL now uses the same minute."""
    assert changed_since_jql("DEMO", FIRST_0230, BERLIN) == (
        'project = "DEMO" AND updated >= "2026-10-25 01:30" ORDER BY updated DESC, key DESC'
    )
    assert changed_since_cql("DEMO", FIRST_0230, BERLIN) == (
        'space = "DEMO" and type = page and lastmodified >= "2026-10-25 01:30" '
        "order by lastmodified desc"
    )
