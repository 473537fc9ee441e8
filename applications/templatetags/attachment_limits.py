"""`{% load attachment_limits %}`: the upload limits written next to the file input."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from applications.attachments import size_limit

register = template.Library()


@register.simple_tag
def attachment_limits(attachments: Iterable[Any] | None = None) -> dict[str, str]:
    """Limits per file and in total ('10 MB', the reader's number format) and the room left."""
    total = settings.MICROGRANTS_ATTACHMENTS_TOTAL_MAX_BYTES
    used = sum(getattr(a, "size", 0) or 0 for a in attachments or ())
    return {
        "per_file": size_limit(settings.MICROGRANTS_ATTACHMENT_MAX_BYTES),
        "total": size_limit(total),
        "room": filesizeformat(max(total - used, 0)),
    }
