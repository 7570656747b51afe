"""The kit's GraphQL building blocks for wire fakes (``GraphQLEndpoint``, ``relay_connection``).

Envelope and status codes follow Linear's documented error handling
(https://linear.app/developers/graphql#error-handling) and its Relay pagination
(https://linear.app/developers/pagination).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from graphql import GraphQLError
from pydantic import TypeAdapter

from reposix import (
    Allowlist,
    ClientOpts,
    HeaderAuth,
    InvalidRecord,
    NotFound,
    ProtocolError,
    Runtime,
    Secret,
    client,
    graphql_call,
)
from reposix_contract import (
    GraphQLEndpoint,
    GraphQLReply,
    Knobs,
    entity_not_found,
    graphql_failure,
    invalid_input,
    relay_connection,
)

SDL = """
type PageInfo { hasNextPage: Boolean!, endCursor: String }
type Item { id: ID!, name: String! }
type ItemConnection { nodes: [Item!]!, pageInfo: PageInfo! }
type Query {
  items(first: Int, after: String): ItemConnection!
  item(id: ID!): Item!
  maybe(id: ID!): Item
}
type Mutation { rename(id: ID!, name: String!): Item! }
"""
ITEMS = [{"id": str(n), "name": f"item {n}"} for n in range(1, 8)]


def _root(knobs: Knobs) -> dict[str, Any]:
    def item(_info: Any, id: str) -> dict[str, str]:
        for found in ITEMS:
            if found["id"] == id:
                return found
        raise entity_not_found("item")

    def rename(_info: Any, id: str, name: str) -> dict[str, str]:
        if not name.strip():
            raise invalid_input("name must not be empty")
        return {**item(_info, id), "name": name}

    return {
        "items": lambda _info, **args: relay_connection(ITEMS, args, knobs, dict, default_size=3),
        "item": item,
        "maybe": item,
        "rename": rename,
    }


def _post(body: Any, path: str = "/graphql") -> httpx.Request:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Request("POST", "https://api.example" + path, content=content)


def _run(body: Any, knobs: Knobs | None = None, path: str = "/graphql") -> GraphQLReply:
    return GraphQLEndpoint(SDL).execute(_post(body, path), _root(knobs or Knobs()))


def test_a_valid_query_is_executed_with_the_resolvers() -> None:
    reply = _run({"query": 'query One { item(id: "2") { id name } }'})
    assert (reply.status, reply.body) == (200, {"data": {"item": {"id": "2", "name": "item 2"}}})
    assert reply.operation == "One"


def test_an_unknown_field_is_a_400_validation_error_not_an_empty_success() -> None:
    reply = _run({"query": '{ item(id: "2") { id nmae } }'})
    assert reply.status == 400
    assert "data" not in reply.body
    (error,) = reply.body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nmae" in error["message"]


@pytest.mark.parametrize(
    "body",
    [b"not json", {"variables": {}}, {"query": "{ item { id } ", "variables": {}}],
)
def test_a_body_that_is_no_graphql_request_is_a_400(body: Any) -> None:
    reply = _run(body)
    assert reply.status == 400
    assert reply.body["errors"]


def test_variables_must_be_an_object() -> None:
    reply = _run({"query": '{ item(id: "1") { id } }', "variables": [1]})
    assert reply.status == 400
    assert reply.body["errors"][0]["message"] == "Variables must be an object."


def test_other_paths_and_methods_are_404() -> None:
    endpoint = GraphQLEndpoint(SDL)
    assert endpoint.execute(_post({"query": "{ x }"}, "/rest"), {}).status == 404
    get = httpx.Request("GET", "https://api.example/graphql")
    assert endpoint.execute(get, {}).status == 404


def test_resolver_failures_carry_linear_extensions() -> None:
    missing = _run({"query": 'mutation M { rename(id: "99", name: "x") { id } }'})
    assert missing.status == 400
    assert missing.body["data"] is None
    ext = missing.body["errors"][0]["extensions"]
    assert (ext["type"], ext["code"]) == ("entity not found", "ENTITY_NOT_FOUND")
    bad = _run({"query": 'mutation M { rename(id: "1", name: " ") { id } }'})
    assert bad.body["errors"][0]["extensions"]["type"] == "invalid input"


def test_a_nullable_field_that_fails_gives_data_and_errors_with_200() -> None:
    reply = _run({"query": '{ maybe(id: "99") { id } }'})
    assert reply.status == 200
    assert reply.body["data"] == {"maybe": None}
    assert reply.body["errors"]


def test_refuse_builds_an_errors_only_reply() -> None:
    failure = graphql_failure("slow down", kind="ratelimited", code="RATELIMITED", hint=1)
    reply = GraphQLReply.refuse(400, failure, {"message": "raw"})
    assert reply.body == {"errors": [failure.formatted, {"message": "raw"}]}
    assert failure.extensions == {
        "type": "ratelimited",
        "code": "RATELIMITED",
        "userError": True,
        "userPresentableMessage": "slow down",
        "hint": 1,
    }
    response = reply.response({"X-Test": "1"})
    assert response.status_code == 400
    assert response.headers["x-test"] == "1"
    assert json.loads(response.content) == reply.body


def test_a_broken_sdl_fails_where_the_fake_is_built() -> None:
    with pytest.raises(TypeError, match="Unknown type 'Nope'"):
        GraphQLEndpoint("type Query { x: Nope }")
    with pytest.raises(GraphQLError):
        GraphQLEndpoint("type Query {")


def test_relay_connection_pages_and_records_what_it_served() -> None:
    knobs = Knobs()
    query = (
        "query P($after: String) "
        "{ items(after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }"
    )
    seen: list[str] = []
    after: str | None = None
    for _ in range(5):
        reply = _run({"query": query, "variables": {"after": after}}, knobs)
        page = reply.body["data"]["items"]
        seen += [n["id"] for n in page["nodes"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert seen == [item["id"] for item in ITEMS]
    assert len(knobs.served) == 3


def test_relay_connection_truncation_says_more_with_no_cursor() -> None:
    knobs = Knobs(truncate_at=2)
    query = "{ items(first: 5) { nodes { id } pageInfo { hasNextPage endCursor } } }"
    page = _run({"query": query}, knobs).body["data"]["items"]
    assert page == {
        "nodes": [{"id": "1"}, {"id": "2"}],
        "pageInfo": {"hasNextPage": True, "endCursor": None},
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [("first: 0", "first must be between 1 and 250"), ('after: "forged"', "Invalid cursor")],
)
def test_relay_connection_refuses_bad_arguments(arguments: str, message: str) -> None:
    reply = _run({"query": f"{{ items({arguments}) {{ nodes {{ id }} }} }}"})
    (error,) = reply.body["errors"]
    assert error["message"] == message
    assert error["extensions"]["code"] == "INVALID_INPUT"


async def test_the_sdk_maps_the_envelopes_to_typed_errors() -> None:
    endpoint = GraphQLEndpoint(SDL)
    root = _root(Knobs())

    async def handle(request: httpx.Request) -> httpx.Response:
        return endpoint.serve(request, root)

    opts = ClientOpts(
        connector="test",
        base_url="https://api.example",
        auth=HeaderAuth("Authorization", Secret("k")),
        runtime=Runtime(
            allowlist=Allowlist.parse("https://api.example"),
            transport=httpx.MockTransport(handle),
        ),
    )
    item = TypeAdapter(dict[str, Any])
    async with client(opts) as http:
        assert await graphql_call(http, "graphql", 'query Q { item(id: "1") { name } }', item) == {
            "item": {"name": "item 1"}
        }
        with pytest.raises(NotFound):
            await graphql_call(http, "graphql", 'query Q { item(id: "0") { id } }', item)
        with pytest.raises(InvalidRecord):
            await graphql_call(
                http, "graphql", 'mutation M { rename(id: "1", name: "") { id } }', item
            )
        with pytest.raises((InvalidRecord, ProtocolError)):
            await graphql_call(http, "graphql", "query Q { nope }", item)
    assert endpoint.operations == ["Q", "Q", "M"]
