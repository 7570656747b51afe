"""GraphQL plumbing for wire fakes: one ``POST`` endpoint served by ``graphql-core``.

A GraphQL backend (Linear, GitHub v4, ...) answers every call at one URL. What a fake
of one needs, apart from its resolvers, is the same each time, so it lives here once:

* [`GraphQLEndpoint`][reposix_contract.GraphQLEndpoint] parses the request body
  (``{"query", "variables", "operationName"}``), parses and **validates** the document
  against the fake's SDL, executes it with the fake's resolvers and wraps the result in
  the standard envelope (``{"data": …, "errors": [...]}``). A document that does not
  parse or names an unknown field gets a 400 ``GRAPHQL_VALIDATION_FAILED`` error, as
  Linear answers (https://linear.app/developers/graphql#error-handling), so a
  connector that sends a malformed query fails instead of reading nothing.
* [`graphql_failure`][reposix_contract.graphql_failure] (and its two common cases,
  [`invalid_input`][reposix_contract.invalid_input] and
  [`entity_not_found`][reposix_contract.entity_not_found]) builds an ``errors[]``
  entry with ``extensions.type``/``code``, the classification the SDK's
  [`graphql_error`][reposix.graphql_error] maps to typed errors; a resolver raises it.
* [`relay_connection`][reposix_contract.relay_connection] serves a Relay connection
  (``nodes`` and ``pageInfo {hasNextPage endCursor}``) through
  [`graphql_page`][reposix_contract.graphql_page], so every pagination knob of the kit
  applies (page size, truncation, cycles, short and empty pages) and the page is
  recorded in ``knobs.served``; a forged ``after`` cursor is an invalid-input error.

Resolvers are plain synchronous callables in a ``root`` mapping, called as
``resolver(info, **arguments)`` (graphql-core's default resolver); nested fields may be
values or callables of the same form. The transport-level knobs (429s, 5xx, damaged
bodies, latency) are applied by the kit around the fake's ``handle``, not here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

import httpx
from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)

from reposix_contract._fakes.base import Knobs
from reposix_contract._fakes.pagination import BadCursor, graphql_page
from reposix_contract._fakes.wire import json_response

__all__ = [
    "GraphQLEndpoint",
    "GraphQLReply",
    "entity_not_found",
    "graphql_failure",
    "invalid_input",
    "relay_connection",
]

T = TypeVar("T")


def graphql_failure(
    message: str,
    *,
    kind: str,
    code: str,
    user_message: str | None = None,
    **extensions: Any,
) -> GraphQLError:
    """An ``errors[]`` entry in Linear's shape, for a resolver to raise.

    ``kind`` goes to ``extensions.type`` (``"invalid input"``, ``"entity not found"``,
    ``"authentication error"``, ``"ratelimited"``), ``code`` to ``extensions.code``;
    ``userPresentableMessage`` is ``user_message`` (default: ``message``). Source of the
    shape: https://linear.app/developers/graphql#error-handling .
    """
    return GraphQLError(
        message,
        extensions={
            "type": kind,
            "code": code,
            "userError": True,
            "userPresentableMessage": user_message or message,
            **extensions,
        },
    )


def invalid_input(message: str) -> GraphQLError:
    """``invalid input`` / ``INVALID_INPUT``: the SDK maps it to ``InvalidRecord``."""
    return graphql_failure(message, kind="invalid input", code="INVALID_INPUT")


def entity_not_found(what: str) -> GraphQLError:
    """Linear's ``Entity not found`` for a missing ``what``: the SDK maps it to ``NotFound``."""
    return graphql_failure(
        "Entity not found",
        kind="entity not found",
        code="ENTITY_NOT_FOUND",
        user_message=f"Could not find referenced {what}.",
    )


@cache
def _schema(sdl: str) -> GraphQLSchema:
    # The kit builds a fresh fake per check: parse each SDL once, not hundreds of times.
    return build_schema(sdl)


def _validation(message: str) -> dict[str, Any]:
    return {
        "message": message,
        "extensions": {"type": "graphql error", "code": "GRAPHQL_VALIDATION_FAILED"},
    }


def _bad_request(message: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"type": "graphql error", "code": "BAD_REQUEST"}}


@dataclass(frozen=True)
class GraphQLReply:
    """What the endpoint answers: HTTP ``status``, the JSON ``body``, the ``operation`` name.

    ``operation`` is ``operationName`` or the document's first operation name (``""``
    when anonymous or when the request never got that far).
    """

    status: int
    body: dict[str, Any]
    operation: str = ""

    def response(self, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """The reply as an ``httpx.Response`` (JSON), with extra ``headers``."""
        return json_response(self.body, self.status, dict(headers or {}))

    @classmethod
    def refuse(cls, status: int, *errors: GraphQLError | Mapping[str, Any]) -> GraphQLReply:
        """An ``{"errors": [...]}`` reply with no ``data`` (auth and rate-limit refusals)."""
        entries = [e.formatted if isinstance(e, GraphQLError) else dict(e) for e in errors]
        return cls(status, {"errors": entries})


@dataclass
class GraphQLEndpoint:
    """One GraphQL endpoint serving ``sdl`` with a fake's resolvers.

    ``path`` is the endpoint's path suffix (``/graphql``); any other path or method is a
    404. Status codes follow Linear (https://linear.app/developers/graphql#error-handling):
    a body that is not a GraphQL request, a document that does not parse or does not
    validate (first ``max_errors`` problems reported), and a result with errors and no
    ``data`` are HTTP 400; a result with ``data`` is 200, with ``errors`` next to it when
    a nullable field failed. A bad SDL fails at construction (graphql-core's
    ``GraphQLError`` for a syntax error, ``TypeError`` for an invalid schema).
    """

    sdl: str
    path: str = "/graphql"
    max_errors: int = 5
    operations: list[str] = field(default_factory=list)
    """Operation names served, in order (tests read it)."""

    def __post_init__(self) -> None:
        _ = self.schema  # a broken SDL fails where the fake is built, not mid-check

    @property
    def schema(self) -> GraphQLSchema:
        """The schema built from ``sdl`` (built once per process and SDL text)."""
        return _schema(self.sdl)

    def execute(self, request: httpx.Request, root: Mapping[str, Any]) -> GraphQLReply:
        """Parse, validate and run ``request`` with the resolvers in ``root``."""
        path = request.url.path.rstrip("/")
        if request.method.upper() != "POST" or not path.endswith(self.path):
            return GraphQLReply(404, {"errors": [_bad_request(f"Cannot {request.method} {path}")]})
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return GraphQLReply(400, {"errors": [_bad_request("Must provide query string.")]})
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            return GraphQLReply(400, {"errors": [_bad_request("Variables must be an object.")]})
        try:
            document = parse(body["query"])
        except GraphQLError as exc:
            return GraphQLReply(400, {"errors": [_validation(exc.message)]})
        problems = validate(self.schema, document)
        if problems:
            return GraphQLReply(
                400, {"errors": [_validation(p.message) for p in problems[: self.max_errors]]}
            )
        asked = body.get("operationName")
        names = [
            d.name.value
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode) and d.name is not None
        ]
        operation = str(asked or (names[0] if names else ""))
        self.operations.append(operation)
        result = execute(
            self.schema,
            document,
            root_value=dict(root),
            variable_values=variables,
            operation_name=asked if isinstance(asked, str) else None,
        )
        if not isinstance(result, ExecutionResult):  # pragma: no cover - resolvers are sync
            raise TypeError("a GraphQLEndpoint's resolvers must be synchronous")
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [e.formatted for e in result.errors]
            return GraphQLReply(400 if result.data is None else 200, out, operation)
        return GraphQLReply(200, out, operation)

    def serve(
        self,
        request: httpx.Request,
        root: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """`execute`, as an ``httpx.Response`` carrying ``headers``."""
        return self.execute(request, root).response(headers)


def relay_connection(
    items: Sequence[T],
    arguments: Mapping[str, Any],
    knobs: Knobs,
    node: Callable[[T], Any],
    *,
    default_size: int = 50,
    max_size: int = 250,
) -> dict[str, Any]:
    """A Relay connection over ``items``: ``{"nodes": [...], "pageInfo": {...}}``.

    ``arguments`` are the field's (``first``, ``after``); ``node`` turns an item into
    its node. Pass the store's records (anything with an ``id``) as ``items``, not
    nodes or tuples: ``knobs.served`` reports the ids of each page, and the kit's
    listing-under-change checks (R13) read them. Defaults are Linear's (50 per page, at most 250:
    https://linear.app/developers/pagination); a ``first`` outside ``1..max_size`` and
    an unknown ``after`` cursor raise `invalid_input`. ``pageInfo`` carries
    ``hasNextPage``, ``endCursor``, ``hasPreviousPage`` (false) and ``startCursor``.
    """
    first = arguments.get("first")
    if first is not None and not 0 < first <= max_size:
        raise invalid_input(f"first must be between 1 and {max_size}")
    try:
        page = graphql_page(items, arguments, knobs, default_size=default_size, max_size=max_size)
    except BadCursor:
        raise invalid_input("Invalid cursor") from None
    return {
        "nodes": [node(item) for item in page.nodes],
        "pageInfo": {**page.page_info, "hasPreviousPage": False, "startCursor": None},
    }
