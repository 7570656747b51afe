"""Broken credential handling on the wire and in logs: each breaks S08 or S05.

They read the token the way careless connectors do, from the environment the kit
exports (``REPOSIX_SIM_TOKEN``), and put it where only the auth header should carry it.
"""

from __future__ import annotations

import base64
import logging
import os
from typing import Any

from reposix._backend import BackendConnector
from reposix._records import Record, RecordId
from reposix.sim._backend import SimBackend
from reposix_contract._gallery import GALLERY, Broken, broken
from reposix_contract._targets import Target, sim_control

log = logging.getLogger("reposix.gallery")
_TOKEN = "REPOSIX_SIM_TOKEN"


def _token() -> str:
    return os.environ.get(_TOKEN, "")


@broken("token-in-query", kills={"S08"})
class TokenInQuery(SimBackend):
    """Also sends the token as `?access_token=` on gets (the pre-2021 GitHub style): it lands
    in every access log and proxy between here and the tracker."""

    async def get_record(self, project: str, record_id: RecordId) -> Record:
        await self._http.get(
            self._one(project, record_id), op="get_record", params={"access_token": _token()}
        )
        return await super().get_record(project, record_id)


@broken("token-in-debug-header", kills={"S08"})
class TokenInDebugHeader(SimBackend):
    """Sends a base64 copy of the token in an `X-Debug-Auth` header on listings (no raw
    token on the wire, so only a check of the encoded forms sees it)."""

    async def list_records(self, project: str) -> list[Record]:
        encoded = base64.b64encode(f"me@example.com:{_token()}".encode()).decode()
        await self._http.request(
            "GET", self._records(project), op="list", headers={"X-Debug-Auth": encoded}
        )
        return await super().list_records(project)


@broken("logs-base64-credential", kills={"S05"})
class LogsBase64Credential(SimBackend):
    """Logs the Basic-style `base64(user:token)` it would send, at debug level: redaction
    masks the token and its own encodings, not the encoding of a longer string."""

    async def list_records(self, project: str) -> list[Record]:
        # 16 bytes of prefix: the token's own base64 is not a substring of the result.
        basic = base64.b64encode(f"bot@example.com:{_token()}".encode()).decode()
        log.debug("listing %s as %s", project, basic)
        return await super().list_records(project)


def _logs_while_building(base_url: str, credentials: Any, runtime: Any) -> BackendConnector:
    value = credentials[_TOKEN].reveal() if _TOKEN in credentials else ""
    log.info("building the connector for %s as %s", base_url, value)
    return sim_control().build(base_url, credentials, runtime)


def _logs_while_building_target() -> Target:
    return sim_control().derive(
        "logs-token-while-building",
        build=_logs_while_building,
        description=GALLERY_DESCRIPTION,
    )


GALLERY_DESCRIPTION = (
    "Logs its token while it is being built, before the SDK's client has registered the "
    "secret for masking (passes if logs are only watched after construction)."
)
GALLERY.setdefault(
    "logs-token-while-building",
    Broken(
        "logs-token-while-building",
        frozenset({"S05"}),
        GALLERY_DESCRIPTION,
        __name__.rsplit(".", 1)[-1],
        _logs_while_building_target,
    ),
)
