"""The listing's cheaper paths give exactly what the paths they replace gave.

Issue #11 cut per-page work (link resolution, ``Link`` parsing, URL redaction) on the
listing path; each fast path is checked here against the slower code it stands for.
"""

from __future__ import annotations

import sys

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reposix._http.redact import redact_url
from reposix._pagination.link import _BAD_TARGET, parse_link_header, resolve_link
from reposix._redact import REDACTED, secret_forms

CURRENT = httpx.URL("https://api.github.com/repos/o/r/issues?page=1&per_page=100")

LINKS = [
    "https://api.github.com/repositories/1/issues?page=2&per_page=100",
    "https://api.github.com/a/./b/../c?x=1#frag",
    "http://api.github.com/x",
    "HTTPS://API.GitHub.com:443/x?q=a%20b+c",
    "https://api.github.com/%7Euser/x?q=%2F",
    "https://u:p@h.example/x",
    "https://h.example",
    "https://h.example?x",
    "https://h.example/a//b/./../c/",
    "https://h.example/x?q=\u00e9",
    "https://h.example/\u00fc/x",
    "https://h.example/x/..",
    "https://h.example/x/%2e%2e/y",
    "/repositories/1/issues?page=3",
    "?page=4",
    "../other?page=5",
    "//other.example/x",
]


@pytest.mark.parametrize("link", LINKS)
def test_resolve_link_is_url_join(link: str) -> None:
    assert str(resolve_link(CURRENT, link)) == str(CURRENT.join(link))


_SEGMENT = st.text(alphabet="abc.%2e/~-_\u00e9", max_size=12)


@given(
    scheme=st.sampled_from(["http", "https", "HTTPS", "Http"]),
    host=st.sampled_from(["api.github.com", "H.example", "h.example:8443", "127.0.0.1"]),
    path=_SEGMENT,
    query=st.text(alphabet="ab=&%20+;?", max_size=12),
)
def test_resolve_link_matches_join_for_absolute_links(
    scheme: str, host: str, path: str, query: str
) -> None:
    link = f"{scheme}://{host}/{path}" + (f"?{query}" if query else "")
    try:
        expected = str(CURRENT.join(link))
    except httpx.InvalidURL:
        with pytest.raises(httpx.InvalidURL):
            resolve_link(CURRENT, link)
        return
    assert str(resolve_link(CURRENT, link)) == expected


def test_link_target_check_is_the_per_character_rule() -> None:
    """``[\\s<"]`` on a str pattern is ``str.isspace()`` plus ``<`` and ``"``, for every
    code point (the parser used to test each character of a target in Python)."""
    odd = [
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if bool(_BAD_TARGET.search(c)) != (c.isspace() or c in '<"')
    ]
    assert odd == []
    with pytest.raises(ValueError, match="whitespace"):
        parse_link_header('<https://a.example/x\u2003y>; rel="next"')


@pytest.mark.parametrize(
    "url",
    [
        "https://api.github.com/repos/o/r/issues?state=all&per_page=100&page=7",
        "https://api.github.com/search/issues?q=repo%3Ao%2Fr+is%3Aissue&page=2",
        "https://api.github.com/x",
    ],
)
def test_redact_url_keeps_a_clean_url_as_sent(url: str) -> None:
    assert redact_url(httpx.URL(url)) == str(httpx.URL(url))
    assert redact_url(url) == str(httpx.URL(url))


def test_redact_url_still_drops_userinfo_and_masks_sensitive_params() -> None:
    shown = redact_url("https://user:pw0rd-secret@api.example/x?access_token=abc123456&page=2")
    assert "pw0rd-secret" not in shown
    assert "user" not in shown
    assert "abc123456" not in shown
    assert f"access_token={REDACTED}" in shown.replace("%2A", "*")
    assert "page=2" in shown


def test_secret_forms_cached_result_is_the_same_immutable_set() -> None:
    first = secret_forms("ghp_example_token_0123456789")
    again = secret_forms("ghp_example_token_0123456789")
    assert first is again
    assert isinstance(first, frozenset)
    assert "ghp_example_token_0123456789" in first
