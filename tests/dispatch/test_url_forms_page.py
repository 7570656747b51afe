"""The generated "Remote URL forms" page cannot drift from the plugins' declarations."""

from __future__ import annotations

from pathlib import Path

from reposix._dispatch import installed_forms
from url_form_pages import URL_FORMS_PAGE, render_url_forms_md

ROOT = Path(__file__).resolve().parents[2]


def test_url_forms_page_matches_the_declarations() -> None:
    committed = (ROOT / URL_FORMS_PAGE).read_text(encoding="utf-8")
    assert committed == render_url_forms_md(), (
        f"{URL_FORMS_PAGE} is stale; regenerate with: python docs/_gen/url_form_pages.py"
    )


def test_every_declared_form_is_on_the_page() -> None:
    page = render_url_forms_md()
    for form in installed_forms():
        assert f"`{form.template}`" in page, form.template


def test_pages_are_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in (
        "reference/url-forms.md",
        "how-to/sync.md",
        "decisions/distributed-sync.md",
        "reference/cli.md",
    ):
        assert page in nav, page
