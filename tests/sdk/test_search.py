"""``reposix._search``: the full-text matching the simulator, the Rhythm fake and the kit's
R20 share (PostgreSQL ``english`` for the common cases)."""

from __future__ import annotations

import pytest

from reposix._search import stem, text_matches, text_rank, text_terms


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("saving", "saved"),
        ("save", "saves"),
        ("crash", "crashes"),
        ("query", "queries"),
        ("stopped", "stop"),
        ("running", "runs"),
        ("File", "files"),
    ],
)
def test_inflections_share_a_stem(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_distinct_words_keep_distinct_stems() -> None:
    assert stem("crash") != stem("crush")
    assert stem("export") != stem("expert")


def test_every_word_is_required_and_stop_words_are_ignored() -> None:
    assert text_matches("saved files", "Crash when saving a file", "")
    assert text_matches("the saved files", "Crash when saving a file", "")
    assert not text_matches("saved images", "Crash when saving a file", "")
    assert not text_matches("the and of", "the and of", "")  # only stop words: no match
    assert text_terms("The crashes") == ["crash"]


def test_body_matches_count_and_title_ranks_higher() -> None:
    assert text_matches("planner", "Slow", "the query planner")
    assert text_rank("crash", "crash", "") > text_rank("crash", "other", "crash")


def test_non_ascii_words_match_case_folded() -> None:
    assert text_matches("ÑANDÚ", "ñandú 🚀", "")
