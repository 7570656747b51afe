"""Broken identity and declarations: each breaks R09 or R12."""

from __future__ import annotations

import itertools

from reposix._backend import BackendConnector
from reposix.sim._backend import SimBackend
from reposix_contract._gallery import broken

_counter = itertools.count()


@broken("path-in-collection-name", kills={"R09"})
class PathInCollectionName(SimBackend):
    """Names its collection "issues/open" (a path, not a component: writes outside the tree)."""


PathInCollectionName.root_collection_name = (
    "issues/open"  # set after class creation: dodges the check
)


@broken("unstable-name", kills={"R09"})
class UnstableName(SimBackend):
    """Derives its name from the instance, so audit rows and test ids differ per run."""

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"sim-{id(self) % 1000}-{next(_counter)}"


@broken("claims-create-without-code", kills={"R12"})
class ClaimsCreateWithoutCode(SimBackend):
    """Declares create in its capabilities but never implemented create_record."""

    create_record = BackendConnector.create_record
