"""Broken GraphQL connectors: the Linear reference connector with one fault each.

A GraphQL API takes reads and writes as the same ``POST /graphql``; the kit tells them
apart by the operation kind (a query is a read, a mutation a write), so these show the
write and audit invariants still bite when every request is a POST.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import TypeAdapter

from reposix import (
    ProtocolError,
    Record,
    RecordDraft,
    TransportError,
    Untainted,
    graphql_error,
    operation_of,
)
from reposix_contract import Target, from_plugin
from reposix_contract._gallery import broken
from reposix_linear import plugin
from reposix_linear.connector import LinearConnector

T = TypeVar("T")


def _linear() -> Target:
    return from_plugin(plugin)


@broken("graphql-resends-mutation", kills={"W08"}, base=_linear)
class ResendsMutation(LinearConnector):
    """Re-sends its issueCreate mutation itself when the answer is lost."""

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        for attempt in range(3):
            try:
                return await super().create_record(project, draft)
            except (ProtocolError, TransportError):
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


@broken("graphql-one-audit-op", kills={"S06"}, base=_linear)
class OneAuditOp(LinearConnector):
    """Audits every GraphQL call, query or mutation, under the one op 'graphql'."""

    async def _call(
        self,
        document: str,
        adapter: TypeAdapter[T],
        variables: Mapping[str, Any] | None = None,
        *,
        what: str,
    ) -> T:
        kind = operation_of(document).kind
        response = await self._http.post(
            "graphql",
            op="graphql",
            json={"query": document, "variables": dict(variables or {})},
            read_only=kind == "query",
        )
        body = json.loads(response.content)
        if body.get("errors"):
            raise graphql_error(body["errors"], what=what, response=response)
        return adapter.validate_python(body["data"])
