"""Broken GraphQL connectors: the Linear reference connector with one fault each.

A GraphQL API takes reads and writes as the same ``POST /graphql``; the kit tells them
apart by the operation kind (a query is a read, a mutation a write), so these show the
write invariants still bite when every request is a POST.
"""

from __future__ import annotations

from reposix import ProtocolError, Record, RecordDraft, TransportError, Untainted
from reposix_contract import Target, from_plugin
from reposix_contract._gallery import broken
from reposix_linear import plugin
from reposix_linear.connector import LinearConnector


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
