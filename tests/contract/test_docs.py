"""Generated docs cannot drift: the committed pages equal what the kit generates."""

from __future__ import annotations

from pathlib import Path

from kit_pages import (
    GALLERY_PAGE,
    INVARIANTS_PAGE,
    README,
    gallery_section,
    readme_section,
    render_gallery_md,
    render_invariants_md,
    render_readme_kill_rate,
)
from reposix_contract._gallery import load_gallery

ROOT = Path(__file__).resolve().parents[2]
FIX = "regenerate with: python docs/_gen/kit_pages.py"


def test_invariants_page_matches_the_registry() -> None:
    entries = load_gallery(ROOT / "tests" / "contract" / "gallery")
    committed = (ROOT / INVARIANTS_PAGE).read_text(encoding="utf-8")
    assert committed == render_invariants_md(entries), f"{INVARIANTS_PAGE} is stale; {FIX}"


def test_gallery_kill_table_matches_the_gallery() -> None:
    entries = load_gallery(ROOT / "tests" / "contract" / "gallery")
    committed = gallery_section((ROOT / GALLERY_PAGE).read_text(encoding="utf-8"))
    assert committed == render_gallery_md(entries), f"{GALLERY_PAGE} is stale; {FIX}"


def test_every_invariant_documents_why_it_matters() -> None:
    from reposix_contract._registry import invariants

    missing = [i.id for i in invariants() if len(i.why) < 40]
    assert not missing, f"invariants without a why (docstring): {missing}"


def test_readme_kill_rate_matches_the_gallery() -> None:
    entries = load_gallery(ROOT / "tests" / "contract" / "gallery")
    committed = readme_section((ROOT / README).read_text(encoding="utf-8"))
    assert committed == render_readme_kill_rate(entries), f"{README} is stale; {FIX}"
