"""The kit tells a GraphQL query (a read sent as POST) from a mutation (a write)."""

from __future__ import annotations

import httpx

from reposix_contract._harness import graphql_operation, is_write

URL = "https://api.linear.app/graphql"


def post(document: str) -> httpx.Request:
    return httpx.Request("POST", URL, json={"query": document, "variables": {}})


def test_queries_are_reads_and_mutations_writes() -> None:
    assert graphql_operation(post("query ListIssues { issues { nodes { id } } }")) == (
        "query",
        "ListIssues",
    )
    assert not is_write(post("query ListIssues { issues { nodes { id } } }"))
    assert not is_write(post("{ viewer { id } }"))
    assert is_write(post("mutation CreateIssue { issueCreate { success } }"))


def test_other_requests_keep_their_method_meaning() -> None:
    assert is_write(httpx.Request("POST", URL, json={"title": "a REST create"}))
    assert is_write(httpx.Request("POST", URL, content=b'not json, mentions "query"'))
    assert is_write(httpx.Request("PATCH", URL, json={"query": "query Q { a }"}))
    assert not is_write(httpx.Request("GET", URL))
    assert graphql_operation(httpx.Request("GET", URL)) is None
