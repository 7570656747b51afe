"""Pydantic models of Confluence Cloud's JSON: REST v2 pages/spaces/labels, v1 CQL search.

Shaped after Atlassian's published OpenAPI descriptions ("The Confluence Cloud REST API
v2" 2.0.0, and the v1 ``swagger.v3.json`` for CQL search and the current user). Tolerant
of every field we do not read, strict about the ones we rely on: a page without an
``id``, a non-numeric id or an unknown ``status`` is a validation error, which
[`decode`][reposix.decode] turns into a ``ProtocolError``. URL fields (``_links.webui``,
``_links.base``, ``editui``, ``tinyui``, ``self``) are deliberately not modelled, except
``_links.next``, the pagination continuation, so nothing downstream can follow them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, TypeAdapter

from reposix import WireId, WireIdText, WireModel, WireTime, wire_adapter

__all__ = [
    "ERRORS",
    "LABEL_PAGE",
    "PAGE",
    "PAGE_LIST",
    "SEARCH_PAGE",
    "SPACE_LIST",
    "USER",
    "CfBody",
    "CfBodyValue",
    "CfError",
    "CfErrors",
    "CfLabel",
    "CfLabelPage",
    "CfLinks",
    "CfPage",
    "CfPageList",
    "CfSearchContent",
    "CfSearchPage",
    "CfSearchVersion",
    "CfSpace",
    "CfSpaceList",
    "CfUser",
    "CfVersion",
    "PageStatus",
]

PageStatus = Literal["current", "draft", "archived", "historical", "trashed", "deleted"]
"""The v2 ``ContentStatus`` values a page can carry (``any`` is a query value only)."""


NumericId = WireId
"""A Confluence id (numeric string on the wire, ``"65537"``) as a positive int."""


class _Wire(WireModel):
    model_config = ConfigDict(populate_by_name=True)


class CfLinks(_Wire):
    """``_links`` of a multi-entity result: only ``next`` (``base`` is never trusted)."""

    next: str | None = None


class CfVersion(_Wire):
    """A page's ``version``: the number optimistic concurrency runs on, and its time."""

    number: Annotated[int, Field(ge=0, strict=True)]
    createdAt: WireTime


class CfBodyValue(_Wire):
    """One representation of a body; ``value`` is a string (ADF is JSON inside a string)."""

    representation: str | None = None
    value: str | None = None


class CfBody(_Wire):
    """The representations a response carries (only the one asked for with ``body-format``)."""

    atlas_doc_format: CfBodyValue | None = None
    storage: CfBodyValue | None = None


class CfPage(_Wire):
    """A page (``PageBulk`` in listings, ``PageSingle`` from get/create/update)."""

    id: NumericId
    status: PageStatus
    title: str
    spaceId: WireIdText
    parentId: WireIdText | None = None
    parentType: str | None = None
    """``page``, ``whiteboard``, ``database``, ``embed``, ``folder`` (kept open-ended)."""
    ownerId: str | None = None
    createdAt: WireTime
    version: CfVersion
    body: CfBody | None = None


class CfPageList(_Wire):
    """``MultiEntityResult<Page>``: ``{results, _links: {next?, base}}``."""

    results: list[CfPage]
    links: CfLinks = Field(default_factory=CfLinks, alias="_links")


class CfSpace(_Wire):
    """A space (``SpaceBulk``): id, key, and the homepage every top-level page hangs under."""

    id: NumericId
    key: str
    homepageId: WireIdText | None = None


class CfSpaceList(_Wire):
    """``MultiEntityResult<Space>``."""

    results: list[CfSpace]
    links: CfLinks = Field(default_factory=CfLinks, alias="_links")


class CfLabel(_Wire):
    """A label: ``prefix`` is ``global`` for ordinary labels (``my``, ``team``, ``system``)."""

    id: str | None = None
    name: str
    prefix: str | None = None


class CfLabelPage(_Wire):
    """``MultiEntityResult<Label>`` of ``GET /wiki/api/v2/pages/{id}/labels``."""

    results: list[CfLabel]
    links: CfLinks = Field(default_factory=CfLinks, alias="_links")


class CfSearchVersion(_Wire):
    """v1 ``version`` (with ``expand=version``): ``when`` is the exact modification time."""

    number: Annotated[int, Field(ge=0, strict=True)]
    when: WireTime


class CfSearchContent(_Wire):
    """One result of v1 ``GET /wiki/rest/api/content/search`` (``Content``)."""

    id: NumericId
    type: str
    status: str | None = None
    version: CfSearchVersion


class CfSearchPage(_Wire):
    """v1 search page: ``_links.next`` is relative to the ``/wiki`` context, not the site."""

    results: list[CfSearchContent]
    links: CfLinks = Field(default_factory=CfLinks, alias="_links")


class CfUser(_Wire):
    """v1 ``GET /wiki/rest/api/user/current``: the time zone CQL dates are read in."""

    accountId: str
    timeZone: str | None
    """Required key (null allowed): a response without it is not the user object."""


class CfError(_Wire):
    """One entry of the v2 error envelope ``{"errors": [{status, code, title, detail}]}``."""

    status: int | None = None
    code: str | None = None
    title: str | None = None
    detail: str | None = None


class CfErrors(_Wire):
    """The v2 envelope, or v1's ``{statusCode, message}``; `summary` reads either."""

    errors: list[CfError] = Field(default_factory=list)
    message: str | None = None

    def summary(self) -> str:
        """One line for error messages (server text; redact before showing)."""
        parts = []
        for err in self.errors:
            text = ": ".join(p for p in (err.code, err.title, err.detail) if p)
            if text:
                parts.append(text)
        if self.message:
            parts.append(self.message)
        return "; ".join(parts)[:300]


PAGE: TypeAdapter[CfPage] = wire_adapter(CfPage)
PAGE_LIST: TypeAdapter[CfPageList] = wire_adapter(CfPageList)
SPACE_LIST: TypeAdapter[CfSpaceList] = wire_adapter(CfSpaceList)
LABEL_PAGE: TypeAdapter[CfLabelPage] = wire_adapter(CfLabelPage)
SEARCH_PAGE: TypeAdapter[CfSearchPage] = wire_adapter(CfSearchPage)
USER: TypeAdapter[CfUser] = wire_adapter(CfUser)
ERRORS: TypeAdapter[CfErrors] = wire_adapter(CfErrors)
