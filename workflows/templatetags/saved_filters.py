"""`{% load saved_filters %}{% saved_filters_panel %}`: the saved filters of the list being shown, with
a form to save the current one. One include for every list that registered itself
(`workflows.saved_filters.register_list`); on any other page, or for someone who may not use
the list, it shows nothing."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.template.loader import render_to_string

from workflows import saved_filters

register = template.Library()


@register.simple_tag(takes_context=True)
def saved_filters_panel(context: Any) -> str:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if request is None or match is None:
        return ""
    entry = saved_filters.list_named(match.view_name)
    if entry is None or not entry.may_use(request.user):
        return ""
    current = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [value for value in values if value != ""]
        if key not in saved_filters.POSITION_PARAMETERS and kept:
            current.setlist(key, kept)
    return render_to_string(
        "_saved_filters.html",
        {
            "saved": saved_filters.filters_of(request.user, request.path),
            "path": request.path,
            "query": current.urlencode(),
            "share_base": request.build_absolute_uri(request.path),
        },
        request=request,
    )
