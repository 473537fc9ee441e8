"""Punctuation that belongs to the language: French sets a non-breaking space before the high
marks (: ; ? !) and inside « », German and English set none.

The catalogues carry it inside translated sentences; this is for the marks that templates and
code put between values ("{{ label }}: {{ reference }}"), which no catalogue sees.
"""

from __future__ import annotations

from django.utils.translation import get_language

NBSP = "\u00a0"
# The languages that set a (non-breaking) space before : ; ? !
SPACED_BEFORE_HIGH_MARKS = frozenset({"fr"})


def mark(sign: str, language: str | None = None) -> str:
    """`sign` (":", ";", "?" or "!") as the language sets it after a word."""
    code = (language or get_language() or "").split("-")[0]
    return f"{NBSP}{sign}" if code in SPACED_BEFORE_HIGH_MARKS else sign


def colon(language: str | None = None) -> str:
    return mark(":", language)
