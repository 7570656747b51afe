"""Jira descriptions written in any CommonMark reach Jira as structured ADF (issue 10).

GitHub's web editor saves bodies with CRLF line endings
(https://github.com/actions/runner/issues/1462); Jira stores descriptions as ADF
(https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/).
"""

from __future__ import annotations

import json

import respx

from reposix._formats.adf import RAW_LANGUAGE
from reposix._records import RecordDraft
from reposix._taint import Tainted, sanitize_for_create
from reposix_jira.connector import JiraConnector
from reposix_jira.fake import JiraFake


async def test_crlf_nested_star_body_is_sent_as_structure(
    fake: JiraFake, connector: JiraConnector, mock: respx.MockRouter
) -> None:
    body = "Steps:\r\n\r\n* open\r\n  * the *menu*\r\n* click [here](https://x.test)\r\n"
    draft = RecordDraft(title="t", body=body)
    created = await connector.create_record("DEMO", sanitize_for_create(Tainted(draft)))
    posted = [c.request for c in mock.calls if c.request.url.path == "/rest/api/3/issue"]
    description = json.loads(posted[0].content)["fields"]["description"]
    assert RAW_LANGUAGE not in json.dumps(description)
    assert [n["type"] for n in description["content"]] == ["paragraph", "bulletList"]
    assert "\r" not in json.dumps(description)
    # What is stored is what readers see: the record reads back in canonical Markdown,
    # and the connector declares that as the body's stored form.
    expected = "Steps:\n\n- open\n  - the *menu*\n- click [here](https://x.test)"
    assert created.body == expected
    assert connector.stored_form(draft).body == expected
    assert (await connector.get_record("DEMO", created.id)).body == expected


async def test_javascript_link_is_sent_as_text(
    fake: JiraFake, connector: JiraConnector, mock: respx.MockRouter
) -> None:
    draft = RecordDraft(title="t", body="[x](javascript:alert(1))")
    await connector.create_record("DEMO", sanitize_for_create(Tainted(draft)))
    posted = [c.request for c in mock.calls if c.request.url.path == "/rest/api/3/issue"]
    description = json.loads(posted[0].content)["fields"]["description"]
    assert description["content"] == [
        {"type": "paragraph", "content": [{"type": "text", "text": "[x](javascript:alert(1))"}]}
    ]
