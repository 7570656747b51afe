"""The kit's read invariants for Jira and Confluence under every supported base URL form.

Atlassian Cloud answers at the site root ``https://{site}.atlassian.net``, Confluence
also at ``…/wiki``, and scoped API tokens and OAuth 2.0 apps must go through the gateway
``https://api.atlassian.com/ex/{jira|confluence}/{cloudId}``
(https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/,
https://developer.atlassian.com/cloud/confluence/oauth-2-3lo-apps/). The wire fakes are
mounted under each form (behind the gateway they answer ``_links.next`` without the
gateway prefix and ``_links.base`` on the site, as reported in
https://github.com/atlassian-api/atlassian-python-api/issues/1655), and every read
invariant must hold: listings page through, nothing is requested outside the base.
"""

from __future__ import annotations

from functools import partial

import pytest

from reposix_confluence import plugin as confluence_plugin
from reposix_confluence.fake import ConfluenceFake
from reposix_contract._registry import REGISTRY, invariants
from reposix_contract._runner import run_invariant
from reposix_contract._targets import Target
from reposix_jira import plugin as jira_plugin
from reposix_jira.fake import JiraFake

CLOUD_ID = "11223344-a1b2-3b33-c444-def123456789"
SITE = "https://reposix-test.atlassian.net"
BASES = {
    "jira-site": (jira_plugin, JiraFake, SITE),
    "jira-gateway": (jira_plugin, JiraFake, f"https://api.atlassian.com/ex/jira/{CLOUD_ID}"),
    "confluence-site": (confluence_plugin, ConfluenceFake, SITE),
    "confluence-wiki": (confluence_plugin, ConfluenceFake, f"{SITE}/wiki"),
    "confluence-gateway": (
        confluence_plugin,
        ConfluenceFake,
        f"https://api.atlassian.com/ex/confluence/{CLOUD_ID}",
    ),
}
READ = [inv.id for inv in invariants() if inv.family == "read"]


def target(form: str) -> Target:
    plugin, fake, base = BASES[form]
    return Target(
        name=f"{plugin.name}@{form}",
        build=plugin.build,
        fake=partial(fake, base_url=base),
        plugin=plugin,
        description=f"{plugin.name} at {base}",
    )


@pytest.mark.parametrize("inv", READ)
@pytest.mark.parametrize("form", sorted(BASES))
def test_read_invariants_hold_under_each_base_form(form: str, inv: str) -> None:
    outcome = run_invariant(target(form), REGISTRY[inv])
    assert outcome.status in ("pass", "n/a"), f"{form} {inv}: {outcome.detail}"
