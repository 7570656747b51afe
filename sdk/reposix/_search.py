"""Full-text matching shared by the simulator, the wire fakes and the kit's search check.

It follows PostgreSQL's ``english`` text-search configuration (``to_tsvector('english', …)``
with ``plainto_tsquery``) for the common cases: words are case-folded, English stop words
are dropped, every remaining query word must match (AND), and words are reduced to a stem
so ``saving``/``saved``/``save`` or ``crashes``/``crash`` match each other. It is a small
Porter-style stemmer, not Snowball: query and text go through the same function, so
matching is consistent. Source: https://www.postgresql.org/docs/current/textsearch-controls.html
(``plainto_tsquery`` ANDs the normalized words; stop words are ignored).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["STOP_WORDS", "stem", "text_matches", "text_rank", "text_terms"]

_WORD: Final = re.compile(r"\w+")
_DOUBLE: Final = re.compile(r"([b-df-hj-np-tv-z])\1$")
_VOWEL: Final = re.compile(r"[aeiouy]")

STOP_WORDS: Final = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
        "when",
        "what",
        "which",
        "who",
        "whom",
        "why",
        "how",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "him",
        "her",
        "his",
        "its",
        "them",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "been",
        "being",
        "were",
        "from",
        "up",
        "down",
        "out",
        "over",
        "under",
        "again",
        "so",
        "than",
        "too",
        "very",
        "can",
        "just",
    ]
)
"""The common English stop words PostgreSQL's ``english`` dictionary drops."""


def stem(word: str) -> str:
    """``word`` case-folded and reduced to its stem (``Saving`` → ``sav``)."""
    w = word.casefold()
    if len(w) <= 3 or not w.isascii():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        base = w[: -len(suffix)]
        if w.endswith(suffix) and len(base) >= 3 and _VOWEL.search(base):
            w = (
                base[:-1]
                if _DOUBLE.search(base) and not base.endswith(("ll", "ss", "zz"))
                else base
            )
            break
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def text_terms(text: str) -> list[str]:
    """The stems of ``text``'s words, stop words dropped, in order (duplicates kept)."""
    return [stem(w) for w in _WORD.findall(text) if w.casefold() not in STOP_WORDS]


def text_matches(query: str, title: str, body: str) -> bool:
    """Whether every query word's stem is in the title or the body (False for an empty
    query: ``plainto_tsquery`` of only stop words matches nothing)."""
    wanted = set(text_terms(query))
    if not wanted:
        return False
    return wanted <= set(text_terms(title)) | set(text_terms(body))


def text_rank(query: str, title: str, body: str) -> float:
    """A relevance score: title hits weigh 1.0, body hits 0.4 (PostgreSQL's default
    ``ts_rank`` weights for ``A`` and ``B``), summed over the query's stems."""
    wanted = set(text_terms(query))
    in_title, in_body = set(text_terms(title)), set(text_terms(body))
    return sum(1.0 if t in in_title else 0.4 if t in in_body else 0.0 for t in wanted)
