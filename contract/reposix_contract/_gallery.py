"""The broken-connector gallery's registry: which deliberately broken connector each
invariant must kill.

Gallery modules (``tests/contract/gallery/*.py`` in this repo) define small subclasses of
``SimBackend`` (or of a reference connector) that break one rule, and register them::

    @broken("drops-last-page", kills={"R01", "R08"})
    class DropsLastPage(SimBackend):
        \"\"\"Stops before the last page.\"\"\"

The kit's own tests run every entry's expected invariants and assert each one FAILs; the
docs' kill-rate table is generated from this registry (`render_kill_table`).
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from reposix._backend import BackendConnector
    from reposix_contract._targets import Target

__all__ = ["GALLERY", "Broken", "broken", "load_gallery", "render_kill_table"]

C = TypeVar("C", bound="type[BackendConnector]")


@dataclass(frozen=True)
class Broken:
    """One deliberately broken connector and the invariants that must catch it."""

    name: str
    kills: frozenset[str]
    """Invariant ids that must FAIL on it (every one of them)."""
    description: str
    module: str
    """The gallery module that defines it (``read_listing``, ``write_retry`` …)."""
    make_target: Callable[[], Target]

    def target(self) -> Target:
        """The target to run the kit against."""
        return self.make_target()


GALLERY: dict[str, Broken] = {}
"""Every registered broken connector, by name."""


def broken(
    name: str,
    *,
    kills: Iterable[str],
    base: Callable[[], Target] | None = None,
    description: str | None = None,
) -> Callable[[C], C]:
    """Class decorator: register a broken connector run against ``base()`` (default: the
    sim control) that the invariants ``kills`` must all FAIL."""

    def register(cls: C) -> C:
        from reposix_contract._targets import sim_control

        if name in GALLERY:
            raise ValueError(f"gallery entry {name!r} registered twice")
        make_base = base or sim_control
        text = description or _summary(cls.__doc__, name)

        def make_target() -> Target:
            return make_base().derive(name, cls, description=text)

        GALLERY[name] = Broken(
            name=name,
            kills=frozenset(kills),
            description=text,
            module=cls.__module__.rsplit(".", 1)[-1],
            make_target=make_target,
        )
        return cls

    return register


def load_gallery(directory: str | Path, prefix: str = "") -> list[Broken]:
    """Import every ``{prefix}*.py`` module of ``directory`` (registering its entries) and
    return the entries those modules define."""
    found: list[Broken] = []
    folder = Path(directory).resolve()
    package = _package(folder)
    for path in sorted(folder.glob(f"{prefix}*.py")):
        if path.name.startswith("_"):
            continue
        module_name = f"{package}.{path.stem}"
        if module_name not in sys.modules:
            _adopt(importlib.import_module(module_name), path.stem)
        found += [b for b in GALLERY.values() if b.module == path.stem]
    return found


def _summary(doc: str | None, fallback: str) -> str:
    """The first paragraph of a docstring, on one line."""
    paragraph = (doc or "").strip().split("\n\n")[0]
    return " ".join(paragraph.split()) or fallback


def _order(entry: Broken) -> tuple[int, str, str]:
    first = min(entry.kills, key=lambda k: ("REWSLD".find(k[0]), k)) if entry.kills else "~"
    return ("REWSLD".find(first[0]) % 7, first, entry.name)


def _package(folder: Path) -> str:
    """A synthetic package whose path is ``folder`` (so gallery modules may import each other
    relatively, wherever the folder lives)."""
    name = "reposix_gallery_" + hashlib.sha256(str(folder).encode()).hexdigest()[:8]
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(folder)]
        sys.modules[name] = package
    return name


def _adopt(module: object, stem: str) -> None:
    """Register a module's plain ``GALLERY = {name: (class, kills)}`` dict, if it has one."""
    from reposix_contract._targets import sim_control

    table = getattr(module, "GALLERY", None)
    if not isinstance(table, dict):
        return
    for name, value in table.items():
        if name in GALLERY or not isinstance(value, tuple) or len(value) != 2:
            continue
        cls, kills = value
        text = _summary(getattr(cls, "__doc__", None), name)

        def make_target(cls: type[BackendConnector] = cls, name: str = name) -> Target:
            return sim_control().derive(name, cls)

        GALLERY[name] = Broken(name, frozenset(kills), text, stem, make_target)


def render_kill_table(entries: Iterable[Broken], verdicts: Mapping[str, bool] | None = None) -> str:
    """A Markdown table of broken connectors, what they break and what kills them.

    ``verdicts`` (name → caught) adds a verdict column and the kill rate; without it the
    table lists the expected kills (which the kit's tests prove).
    """
    rows = sorted(entries, key=_order)
    head = "| Broken connector | What it does wrong | Killed by |"
    rule = "|---|---|---|"
    if verdicts is not None:
        head += " Caught |"
        rule += "---|"
    lines = [head, rule]
    for b in rows:
        what = b.description.replace("|", "\\|")
        line = f"| `{b.name}` | {what} | {', '.join(sorted(b.kills))} |"
        if verdicts is not None:
            line += " yes |" if verdicts.get(b.name) else " **no** |"
        lines.append(line)
    total = len(rows)
    caught = total if verdicts is None else sum(bool(verdicts.get(b.name)) for b in rows)
    lines.append("")
    lines.append(f"Kill rate: {caught}/{total} broken connectors caught.")
    return "\n".join(lines) + "\n"
