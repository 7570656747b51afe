"""GraphQL over the gated client: one call, typed errors, queries retried, mutations never.

A GraphQL API answers most failures with HTTP 200 (or 400) and an ``errors`` array, so
status codes alone say little. [`graphql_call`][reposix.graphql_call] sends one operation through
[`HttpClient`][reposix.HttpClient] (egress allowlist, rate gate, redaction, audit
with the *operation name* as the op), then:

* an ``errors`` entry is mapped by ``extensions.type`` or ``extensions.code`` to a typed
  error (`graphql_error`); a response carrying both ``data`` and ``errors`` is an
  error too, never a success for the part that failed;
* ``data`` is validated with a pydantic adapter (a wrong shape is a ``ProtocolError``).

Queries are sent ``read_only=True`` (retried like a GET on 5xx, transport errors and rate
limits); mutations are sent once (a lost response may have committed). Rate limits in a
200/400 body (Linear's ``extensions.type == "ratelimited"``/``code == "RATELIMITED"``) are
recognised by the one rate-limit parser, `reposix._ratelimit.signals`, so the gate
waits and only queries are re-sent.

Why no GraphQL library here: the SDK never needs to *understand* a document it sends, only
its operation kind and name, which the first definition's header gives (a regex below).
``graphql-core`` is a large pure-Python package (its import alone costs tens of
milliseconds) that the base install does not carry; the kit's wire fakes use it to parse
what connectors send, so a malformed document still fails in tests.

Sources: the GraphQL-over-HTTP draft (https://graphql.github.io/graphql-over-http/draft/),
the GraphQL spec's response format (https://spec.graphql.org/October2021/#sec-Response),
Linear's error types as its SDK reads them
(https://github.com/linear/linear/blob/master/packages/sdk/src/error.ts) and its rate-limit
page (https://linear.app/developers/rate-limiting).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from reposix._errors import (
    AuthError,
    InvalidRecord,
    NotFound,
    ProtocolError,
    RateLimited,
    ReposixError,
)
from reposix._http.client import HttpClient
from reposix._http.decode import protocol_error
from reposix._http.status import raise_for_status

__all__ = ["GraphQLOperation", "graphql_call", "graphql_error", "operation_of"]

T = TypeVar("T")

_HEADER = re.compile(
    r"^\s*(?:#[^\n]*\n\s*)*(?P<kind>query|mutation|subscription)\b\s*(?P<name>[_A-Za-z][_0-9A-Za-z]*)?"
)
_ANONYMOUS = re.compile(r"^\s*(?:#[^\n]*\n\s*)*\{")

_AUTH = frozenset({"authentication error", "authentication_error", "unauthenticated", "forbidden"})
_NOT_FOUND = frozenset({"not found", "entity not found", "not_found", "entity_not_found"})
_INVALID = frozenset({"invalid input", "invalid_input", "bad_user_input", "graphql_validation"})
_RATE = frozenset({"ratelimited", "rate_limited", "rate limited"})


@dataclass(frozen=True, slots=True)
class GraphQLOperation:
    """A document's first operation: ``kind`` and ``name`` (``None`` when anonymous)."""

    kind: Literal["query", "mutation", "subscription"]
    name: str | None


def operation_of(document: str) -> GraphQLOperation:
    """The kind and name of ``document``'s first operation (``{ … }`` is an anonymous query).

    Raises ``ValueError`` for text that does not start with an operation.
    """
    if m := _HEADER.match(document):
        kind: Any = m["kind"]
        return GraphQLOperation(kind, m["name"])
    if _ANONYMOUS.match(document):
        return GraphQLOperation("query", None)
    raise ValueError("a GraphQL document must start with an operation: query, mutation or { … }")


def _kind_of(error: Mapping[str, Any]) -> str:
    ext = error.get("extensions")
    ext = ext if isinstance(ext, Mapping) else {}
    for key in ("type", "code"):
        value = ext.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return ""


def graphql_error(
    errors: Sequence[Any],
    *,
    what: str,
    env_vars: Sequence[str] = (),
    redact: Any = None,
    response: httpx.Response | None = None,
) -> ReposixError:
    """The typed error for a GraphQL ``errors`` array (the most telling entry wins).

    By ``extensions.type`` (Linear) or ``extensions.code`` (Apollo and others), case
    folded: ``authentication error``/``forbidden``/``UNAUTHENTICATED`` → ``AuthError``,
    ``not found``/``entity not found`` → ``NotFound``, ``invalid input``/
    ``BAD_USER_INPUT``/``GRAPHQL_VALIDATION`` → ``InvalidRecord``, ``ratelimited``/
    ``RATELIMITED`` → ``RateLimited``; anything else → ``ProtocolError``. Messages are
    joined (first three, 200 characters each) and passed through ``redact``.
    """
    entries = [e for e in errors if isinstance(e, Mapping)] or [{}]
    clean = redact if callable(redact) else (lambda text: text)
    messages = [str(e.get("message") or "unknown error")[:200] for e in entries[:3]]
    text = clean("; ".join(messages))
    kinds = [_kind_of(e) for e in entries]
    for kind in kinds:
        if kind in _RATE:
            return RateLimited(f"{what}: GraphQL rate limit: {text}")
    for kind in kinds:
        if kind in _AUTH:
            return AuthError(
                f"{what}: the server refused access ({kind}): {text}", env_vars=env_vars
            )
    for kind in kinds:
        if kind in _NOT_FOUND:
            return NotFound(f"{what}: {text}")
    for kind in kinds:
        if kind in _INVALID:
            return InvalidRecord(
                f"{what}: the server refused the input: {text}",
                hint="fix the value the server names and retry",
            )
    label = f" ({kinds[0]})" if kinds[0] else ""
    message = f"{what}: GraphQL error{label}: {text}"
    if response is not None:
        return protocol_error(response, message)
    return ProtocolError(message)


async def graphql_call(
    http: HttpClient,
    url: str | httpx.URL,
    document: str,
    adapter: TypeAdapter[T],
    *,
    variables: Mapping[str, Any] | None = None,
    what: str | None = None,
    env_vars: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
) -> T:
    """Send one GraphQL operation and return its ``data`` validated by ``adapter``.

    The audit op is the operation's name (``"query"``/``"mutation"`` when anonymous).
    A query goes ``read_only`` (retried like a GET); a mutation is sent once.
    Raises the typed error of `graphql_error` for any ``errors`` entry (even next
    to ``data``), ``AuthError`` for HTTP 401/403, ``RateLimited`` when the gate or the
    server refuses, ``ProtocolError`` for a non-JSON body, a missing ``data`` or a
    ``data`` the adapter rejects, and ``ValueError`` for a document that names no
    operation (a programming error).
    """
    operation = operation_of(document)
    op = operation.name or operation.kind
    label = what or f"GraphQL {operation.kind} {op}"
    body: dict[str, Any] = {"query": document, "variables": dict(variables or {})}
    if operation.name:
        body["operationName"] = operation.name
    response = await http.post(
        url, op=op, json=body, headers=headers, read_only=operation.kind == "query"
    )
    try:
        doc = json.loads(response.content)
    except ValueError:
        doc = None
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if errors:
        raise graphql_error(
            errors if isinstance(errors, list) else [errors],
            what=label,
            env_vars=env_vars,
            redact=http.redact,
            response=response,
        )
    if not 200 <= response.status_code < 300:
        raise_for_status(response, what=label, env_vars=env_vars)
    if not isinstance(doc, dict) or doc.get("data") is None:
        raise protocol_error(response, f"{label}: the response has no GraphQL data")
    try:
        return adapter.validate_python(doc["data"])
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_input=False)
        loc = ".".join(str(p) for p in problems[0]["loc"]) if problems else ""
        msg = problems[0]["msg"] if problems else "invalid"
        raise protocol_error(
            response, f"unexpected {label} data shape: {msg} at data.{loc or '<root>'}"
        ) from None
