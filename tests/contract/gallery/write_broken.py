"""Broken connectors for the write invariants (W01–W11), each a small SimBackend subclass.

Each is registered with ``@broken(name, kills=...)`` in the kit's gallery registry;
``PASSING`` lists correct variants that must pass every write invariant.
The kit derives each from the sim control (``sim_control().derive(name, cls)``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from reposix._backend import BackendConnector, Capabilities, DeleteModel, DeleteReason
from reposix._errors import NotFound, NotSupported, ProtocolError, TransportError
from reposix._http import decode
from reposix._records import Record, RecordDraft, RecordId
from reposix._taint import (
    ServerMetadata,
    Tainted,
    Untainted,
    require_untainted,
    sanitize,
    sanitize_for_create,
)
from reposix.sim._backend import _ONE, SimBackend
from reposix_contract._gallery import broken

_NO_SERVER = {"id", "created_at", "updated_at", "version"}


@broken("fabricated-create", kills={"W01"})
class FabricatedCreate(SimBackend):
    """Returns its own idea of the new record (version 0) instead of the server's view."""

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        created = await super().create_record(project, draft)
        return created.replace(version=0)


@broken("version-in-body", kills={"W02"})
class VersionInBody(SimBackend):
    """Sends the whole patch on update, server fields (id, version, timestamps) included."""

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        body = require_untainted(patch, Record).model_dump(mode="json")
        response = await self._http.patch(
            self._one(project, record_id), op="update_record", json=body
        )
        self._raise(response, f"update of record {record_id}")
        return decode(response, _ONE, "updated record").to_record()


@broken("drops-labels-on-update", kills={"W03", "W11"})
class DropsLabelsOnUpdate(SimBackend):
    """Forgets to copy labels into the update body: every update clears them."""

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        body = require_untainted(patch, Record).model_dump(mode="json", exclude=_NO_SERVER)
        body["labels"] = []
        headers = {"If-Match": f'"{expected_version}"'} if expected_version is not None else {}
        response = await self._http.patch(
            self._one(project, record_id), op="update_record", json=body, headers=headers
        )
        self._raise(response, f"update of record {record_id}", expected_version=expected_version)
        return decode(response, _ONE, "updated record").to_record()


def _mangle(text: str) -> str:
    return unicodedata.normalize("NFKD", text).strip()


@broken("mangled-text", kills={"W03"})
class MangledText(SimBackend):
    """'Cleans' title and body before sending: NFKD-normalizes and strips whitespace."""

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        value = require_untainted(draft, RecordDraft)
        cleaned = value.model_copy(
            update={"title": _mangle(value.title), "body": _mangle(value.body)}
        )
        return await super().create_record(project, sanitize_for_create(Tainted(cleaned)))

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        value = require_untainted(patch, Record)
        meta = ServerMetadata(value.id, value.created_at, value.updated_at, value.version)
        cleaned = value.replace(title=_mangle(value.title), body=_mangle(value.body))
        return await super().update_record(
            project, record_id, sanitize(Tainted(cleaned), meta), expected_version
        )


@broken("ignores-expected-version", kills={"D01", "W04"})
class IgnoresExpectedVersion(SimBackend):
    """Never sends If-Match: a stale update silently overwrites a newer record."""

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        return await super().update_record(project, record_id, patch, None)


@broken("stale-version-returned", kills={"W04"})
class StaleVersionReturned(SimBackend):
    """Returns the patch's old version from update_record instead of the server's new one."""

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        updated = await super().update_record(project, record_id, patch, expected_version)
        return updated.replace(version=require_untainted(patch, Record).version)


@broken("swallows-missing-on-update", kills={"W05"})
class SwallowsMissingOnUpdate(SimBackend):
    """Turns a 404 on update into a 'success' that returns the caller's patch."""

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        try:
            return await super().update_record(project, record_id, patch, expected_version)
        except NotFound:
            return require_untainted(patch, Record)


@broken("delete-only-closes", kills={"D01", "W06"})
class DeleteOnlyCloses(SimBackend):
    """Declares DELETE but only closes the record."""

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        await self.close_record(project, record_id, reason)


class CloseOnly(SimBackend):
    """Correct close-only connector: declares DeleteModel.CLOSE, closes with reason.closed_status."""

    capabilities = replace(SimBackend.capabilities, delete=DeleteModel.CLOSE)

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        await self.close_record(project, record_id, reason)


@broken("not-planned-is-done", kills={"W06"})
class NotPlannedIsDone(CloseOnly):
    """Close-only, but closes every reason as done (not_planned/duplicate become done)."""

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        await self.close_record(project, record_id, DeleteReason.COMPLETED)


class ReadOnly(SimBackend):
    """Correct read-only connector: declares no write capability, writes raise NotSupported."""

    capabilities = replace(Capabilities.READ_ONLY, hierarchy=True, incremental=True)

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        return await BackendConnector.create_record(self, project, draft)

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        return await BackendConnector.update_record(
            self, project, record_id, patch, expected_version
        )

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        await BackendConnector.delete_or_close(self, project, record_id, reason)


@broken("read-only-but-sends", kills={"W07"})
class ReadOnlyButSends(ReadOnly):
    """Declares read-only, but each write first sends a request, then raises NotSupported."""

    async def _probe(self, project: str) -> None:
        await self._http.get(self._records(project), op="probe")

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        await self._probe(project)
        raise NotSupported("read-only")

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        await self._probe(project)
        raise NotSupported("read-only")

    async def delete_or_close(
        self, project: str, record_id: RecordId, reason: DeleteReason
    ) -> None:
        await self._probe(project)
        raise NotSupported("read-only")


@broken("retries-post", kills={"W08"})
class RetriesPost(SimBackend):
    """Retries a failed create itself, three times, without an idempotency key."""

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        body = require_untainted(draft, RecordDraft).model_dump(mode="json")
        for attempt in range(3):
            try:
                response = await self._http.post(
                    self._records(project), op="create_record", json=body
                )
                self._raise(response, f"create in project {project!r}")
                return decode(response, _ONE, "created record").to_record()
            except (ProtocolError, TransportError):
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


@broken("auto-creates-project", kills={"W10"})
class AutoCreatesProject(SimBackend):
    """On a 404 for the project, creates the project (POST /projects) and retries."""

    async def create_record(self, project: str, draft: Untainted[RecordDraft]) -> Record:
        try:
            return await super().create_record(project, draft)
        except NotFound:
            await self._http.post("projects", op="create_project", json={"slug": project})
            return await super().create_record(project, draft)


@broken("drops-parent-on-update", kills={"W12"})
class DropsParentOnUpdate(SimBackend):
    """Leaves parent_id out of update bodies: re-parenting and un-parenting are lost."""

    async def update_record(
        self,
        project: str,
        record_id: RecordId,
        patch: Untainted[Record],
        expected_version: int | None = None,
    ) -> Record:
        body = require_untainted(patch, Record).model_dump(
            mode="json", exclude=_NO_SERVER | {"parent_id"}
        )
        response = await self._http.patch(
            self._one(project, record_id), op="update_record", json=body
        )
        self._raise(response, f"update of record {record_id}")
        return decode(response, _ONE, "updated record").to_record()


PASSING: dict[str, type[SimBackend]] = {"close-only": CloseOnly, "read-only": ReadOnly}
"""Correct variants that must pass (or be n/a for) every write and differential invariant."""
