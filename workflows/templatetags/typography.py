"""{% colon %}: the colon between two values as the page's language sets it (workflows.typography)."""

from __future__ import annotations

from django import template

from workflows import typography

register = template.Library()


@register.simple_tag
def colon() -> str:
    return typography.colon()
