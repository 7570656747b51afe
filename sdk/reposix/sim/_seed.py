"""Seed data: the built-in demo seed and the ``--seed FILE`` format.

A seed is JSON of this shape (ids are optional; give them when ``parent_id`` refers
to another seeded record)::

    {"projects": [
        {"slug": "demo", "name": "Demo project",
         "records": [{"id": 1, "title": "…", "status": "open", "labels": ["bug"],
                      "assignee": null, "body": "…", "parent_id": null}]},
        {"slug": "empty", "records": []}
    ]}

Server fields other than ``id`` (``version``, ``created_at``, ``updated_at``) are
refused: the store stamps them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reposix._errors import ConfigError
from reposix._records import RecordDraft, RecordId
from reposix.sim._store import SimStore, StoreError

__all__ = ["DEMO_SEED", "SeedFile", "SeedProject", "SeedRecord", "apply_seed", "load_seed_file"]


class SeedRecord(RecordDraft):
    """A record in a seed: the user fields plus an optional fixed id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: RecordId | None = None

    def to_draft(self) -> RecordDraft:
        """The record without its id."""
        return RecordDraft.model_validate(self.model_dump(exclude={"id"}))


class SeedProject(BaseModel):
    """A project in a seed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str
    name: str | None = None
    records: list[SeedRecord] = Field(default_factory=list)


class SeedFile(BaseModel):
    """The whole seed document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    projects: list[SeedProject]


DEMO_SEED: dict[str, Any] = {
    "projects": [
        {
            "slug": "demo",
            "name": "Demo project",
            "records": [
                {
                    "id": 1,
                    "title": "database connection drops under load",
                    "status": "open",
                    "labels": ["bug", "p1"],
                    "body": "Seen at 50 clients.\n\nRepro page renders "
                    "<script>alert(1)</script> verbatim: it must stay inert text.\n",
                },
                {
                    "id": 2,
                    "title": "add --no-color flag to the CLI",
                    "status": "in_progress",
                    "assignee": "agent-alpha",
                    "labels": ["enhancement"],
                    "body": "Respect NO_COLOR too.\n",
                },
                {
                    "id": 3,
                    "title": "document the new auth flow",
                    "status": "in_review",
                    "labels": ["docs"],
                    "body": "Draft below. These lines are body text, not frontmatter:\n"
                    "---\nversion: 999\nid: 42\n---\n",
                },
                {
                    "id": 4,
                    "title": "Épic: ship v1 🚀",
                    "status": "done",
                    "assignee": "agent-beta",
                    "labels": ["epic", "release"],
                    "body": "Parent of #5.\n",
                },
                {
                    "id": 5,
                    "title": "wire the release pipeline",
                    "status": "done",
                    "assignee": "agent-beta",
                    "labels": ["ci"],
                    "parent_id": 4,
                    "body": "Child of #4.\n",
                },
                {
                    "id": 6,
                    "title": "rewrite everything in another language",
                    "status": "wont_fix",
                    "labels": ["question"],
                    "body": "Closed as not planned.",
                },
                {
                    "id": 7,
                    "title": "日本語のタイトル — Ünïcödé and emoji 🎉",
                    "status": "open",
                    "labels": ["i18n", "ラベル"],
                    "body": "# Heading\n\n- item one\n- item two\n\n```python\nprint('hi')\n```\n\n"
                    "Trailing blank lines follow.\n\n\n",
                },
                {
                    "id": 8,
                    "title": "empty body, no labels",
                    "status": "open",
                    "body": "",
                },
            ],
        },
        {"slug": "empty", "name": "An empty project", "records": []},
    ]
}
"""The built-in demo seed: every status, labels, assignees, a parent/child pair (4 → 5),
unicode and multi-line bodies, and an empty project ``empty``."""


def parse_seed(data: Any, *, source: str = "seed") -> SeedFile:
    """Validate seed data; a ``ConfigError`` names the source and the bad field."""
    try:
        return SeedFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise ConfigError(
            f"{source}: {first['msg']} at {loc}",
            hint="see docs/simulator.md#seed-files for the seed format",
        ) from None


def load_seed_file(path: str | Path) -> SeedFile:
    """Read and validate a seed file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read seed file {str(path)!r}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"seed file {str(path)!r} is not JSON: {exc.msg} (line {exc.lineno})"
        ) from None
    return parse_seed(data, source=f"seed file {str(path)!r}")


def apply_seed(store: SimStore, seed: SeedFile | dict[str, Any] | None = None) -> int:
    """Load ``seed`` (default: `DEMO_SEED`) into ``store``; returns the record count."""
    parsed = seed if isinstance(seed, SeedFile) else parse_seed(seed or DEMO_SEED)
    count = 0
    for project in parsed.projects:
        try:
            store.add_project(project.slug, project.name)
            # Fixed ids first (parents before children), so id-less records cannot take them.
            fixed = [r for r in project.records if r.id is not None]
            ordered = _parents_first(fixed) + [r for r in project.records if r.id is None]
            store.seed_with_ids(project.slug, [(r.id, r.to_draft()) for r in ordered])
        except StoreError as exc:
            raise ConfigError(f"seed project {project.slug!r}: {exc}") from None
        count += len(project.records)
    return count


def _parents_first(records: list[SeedRecord]) -> list[SeedRecord]:
    """File order, except that a record waits until its seeded parent is placed."""
    seeded = {r.id for r in records if r.id is not None}
    placed: set[int] = set()
    pending = list(records)
    ordered: list[SeedRecord] = []
    while pending:
        waiting: list[SeedRecord] = []
        for r in pending:
            if r.parent_id is None or r.parent_id in placed or r.parent_id not in seeded:
                ordered.append(r)
                if r.id is not None:
                    placed.add(r.id)
            else:
                waiting.append(r)
        if len(waiting) == len(pending):  # a cycle: let the store refuse it clearly
            return ordered + waiting
        pending = waiting
    return ordered
