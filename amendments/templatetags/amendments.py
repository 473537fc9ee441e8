"""`{% amendments_panel grant %}`: the grant page's part about changes after the award (the
requests the reader may see, and the button to ask for one), rendered by this app so that the
applicant side's page needs no import of it."""

from __future__ import annotations

from typing import Any

from django import template

from amendments import selectors

register = template.Library()


@register.inclusion_tag("amendments/_grant_panel.html", takes_context=True)
def amendments_panel(context: dict[str, Any], grant: Any) -> dict[str, Any]:
    request = context["request"]
    return {
        "grant": grant,
        "amendments": selectors.amendments_of(grant, request.user),
        "may_start": selectors.may_start(grant, request.user),
        "csrf_token": context.get("csrf_token"),
    }
