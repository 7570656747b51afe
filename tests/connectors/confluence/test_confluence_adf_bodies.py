"""Confluence page bodies: ADF JSON nested absurdly deep, and Markdown written any way.

Confluence v2 carries ``atlas_doc_format`` as JSON inside a string
(https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-page/#api-pages-id-get,
``body-format=atlas_doc_format``); Python's JSON decoder recurses once per nesting level, so
a body nested thousands of levels deep raised ``RecursionError`` (issue 9).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reposix._errors import ProtocolError
from reposix_confluence import mapping
from reposix_confluence.wire import PAGE


def _deep(levels: int) -> str:
    inner = '{"type":"paragraph","content":[{"type":"text","text":"x"}]}'
    head = '{"type":"bulletList","content":[{"type":"listItem","content":['
    inner = head * levels + inner + "]}]}" * levels
    return '{"type":"doc","version":1,"content":[' + inner + "]}"


@pytest.mark.parametrize("levels", [40, 5000, 100_000])
def test_deeply_nested_page_body_is_a_protocol_error_naming_the_page(
    load: Callable[[str], Any], levels: int
) -> None:
    raw = load("page.json")
    raw["body"]["atlas_doc_format"]["value"] = _deep(levels)
    page = PAGE.validate_python(raw)
    with pytest.raises(ProtocolError, match=f"page {page.id}") as info:
        mapping.body_markdown(page)
    assert "nests" in str(info.value)


def test_body_nested_past_the_adf_cap_is_a_protocol_error(load: Callable[[str], Any]) -> None:
    """Shallow enough for the JSON decoder, too deep for the ADF reader: still typed."""
    raw = load("page.json")
    raw["body"]["atlas_doc_format"]["value"] = _deep(20)
    with pytest.raises(ProtocolError, match="deeper than"):
        mapping.body_markdown(PAGE.validate_python(raw))


def test_canonical_body_is_the_stored_form(load: Callable[[str], Any]) -> None:
    from reposix._records import RecordDraft
    from reposix_confluence.connector import ConfluenceConnector

    draft = RecordDraft(title="t", body="Title\r\n=====\r\n\r\n* a\r\n* b\r\n", labels=["Bug"])
    stored = ConfluenceConnector.stored_form(object.__new__(ConfluenceConnector), draft)
    assert stored.body == "# Title\n\n- a\n- b"
    assert stored.labels == ["bug"]
