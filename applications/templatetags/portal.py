"""`{% load portal %}`: small template helpers of the applicant portal."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping|get_item:key`, for dictionaries keyed by a variable."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None
