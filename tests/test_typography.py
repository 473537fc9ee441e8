"""French sets a non-breaking space before : ; ? ! and inside « »; German and English none. The
catalogue carries it in translated sentences, `{% colon %}` between values in templates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polib
from django.template import Context, Template
from django.utils import translation

from workflows import typography

FRENCH = Path(__file__).resolve().parents[1] / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# A plain space where a non-breaking one belongs.
BREAKABLE = re.compile(r" [:;?!»]|« ")
# A mark glued to the word before it ("déposée:"), outside header syntax such as
# "Authorization: Bearer", which is code the reader copies.
GLUED = re.compile(r"(?<=[A-Za-zÀ-ÿ)»])[:;?!](?=\s|$)")
CODE = ("Authorization:",)


def test_every_french_translation_keeps_its_punctuation_with_the_word_before_it() -> None:
    wrong = []
    for entry in polib.pofile(str(FRENCH)):
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            prose = text
            for code in CODE:
                prose = prose.replace(code, "")
            if BREAKABLE.search(prose) or GLUED.search(prose):
                wrong.append(text)
    assert wrong == []


def test_the_colon_between_values_follows_the_language() -> None:
    page = Template("{% load typography %}{{ label }}{% colon %} {{ value }}")
    context: dict[str, Any] = {"label": "Demande déposée", "value": "BF-2026-00001"}
    with translation.override("fr"):
        assert page.render(Context(context)) == "Demande déposée\u00a0: BF-2026-00001"
    with translation.override("de"):
        assert page.render(Context(context)) == "Demande déposée: BF-2026-00001"
    assert typography.mark("?", "fr-fr") == "\u00a0?" and typography.mark("!", "en") == "!"
