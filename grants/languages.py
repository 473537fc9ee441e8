"""Texts kept once per language (grants/translation.py): reading them where no model instance
does it for us, and the split of the older single "German / French" strings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import translation

BILINGUAL_SEPARATOR = " / "


def split_bilingual(text: str) -> tuple[str, str]:
    """("German", "French") of a name written as "German / French"; a text without exactly one
    separator (or with an empty side) is German only: ("text", "")."""
    text = (text or "").strip()
    if text.count(BILINGUAL_SEPARATOR) == 1:
        german, french = (part.strip() for part in text.split(BILINGUAL_SEPARATOR))
        if german and french:
            return german, french
    return text, ""


def join_bilingual(german: str | None, french: str | None) -> str:
    """The one string of the time before per-language fields: "German / French" (the reverse of
    `split_bilingual`); a side that is empty or the same as the other is left out."""
    german, french = (german or "").strip(), (french or "").strip()
    if german and french and german != french:
        return f"{german}{BILINGUAL_SEPARATOR}{french}"
    return german or french


def resolution_order(language: str | None = None) -> list[str]:
    """The languages to try for a text: the reader's (or the one given), then the fallbacks."""
    first = (language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    order = [first, *settings.MODELTRANSLATION_FALLBACK_LANGUAGES]
    return list(dict.fromkeys(order))


def in_language(row: Mapping[str, Any], field: str, language: str | None = None) -> str:
    """The text of `field` (a `values()` key such as "programme__name") in `language` (default:
    the active one), falling back like a model instance does; `row` holds `field_de`, `field_fr`
    ... as selected with `language_columns`."""
    for code in resolution_order(language):
        value = row.get(f"{field}_{code}")
        if value:
            return str(value)
    return str(row.get(field) or "")


def language_columns(*fields: str) -> list[str]:
    """The per-language `values()` keys of translated fields: "programme__name" ->
    "programme__name_de", "programme__name_fr", "programme__name_en"."""
    return [f"{field}_{code}" for field in fields for code, _name in settings.LANGUAGES]
