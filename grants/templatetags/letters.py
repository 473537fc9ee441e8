"""Filters of the fund's letters: `{{ organisation.country|country_name }}` names a country in
the language the template renders in (a letter's part, an e-mail's recipient), not by its code."""

from __future__ import annotations

from django import template

from organisations.choices import country_name as name_of_country

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    return name_of_country(code)
