"""The page of one's calendar feed (create, copy, change the language, revoke) and the feed."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from calendars import ical, selectors, services
from workflows import clock


class FeedForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("create", "create"), ("language", "language"), ("revoke", "revoke")]
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the events"), choices=settings.LANGUAGES, required=False
    )


def _feed_url(request: HttpRequest, raw: str) -> str:
    return request.build_absolute_uri(reverse("calendars:feed", args=[raw]))


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def page(request: HttpRequest) -> HttpResponse:
    feed = services.feed_of(request.user)
    new_url = ""
    if request.method == "POST":
        form = FeedForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Please choose what to do with the calendar address."))
            return redirect("calendars:page")
        action = form.cleaned_data["action"]
        language = form.cleaned_data["language"] or translation.get_language() or ""
        if action == "create":
            feed, raw = services.issue_feed(request.user, language=language)
            # Shown on this answer only: the secret is stored nowhere (no redirect, no session).
            new_url = _feed_url(request, raw)
        elif action == "language":
            if services.set_language(request.user, language=language):
                messages.success(
                    request, _("The events of your calendar are now in this language.")
                )
            return redirect("calendars:page")
        else:
            if services.revoke_feed(request.user):
                messages.success(
                    request, _("The calendar address is revoked: it shows nothing any more.")
                )
            return redirect("calendars:page")
    initial = {"language": feed.language if feed else translation.get_language()}
    return render(
        request,
        "calendars/page.html",
        {"feed": feed, "new_url": new_url, "form": FeedForm(initial=initial)},
    )


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed of whoever the secret belongs to; any other address (tampered, replaced,
    revoked) is not there. No session is needed or used: calendar apps send none."""
    found = services.feed_for(token)
    if found is None:
        raise Http404
    services.record_fetch(found)
    with translation.override(found.language):
        body = ical.calendar_bytes(
            selectors.events_for(found.user),
            name=ical.feed_name(),
            absolute=request.build_absolute_uri,
            now=clock.now(),
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="microgrants.ics"'
    response["Cache-Control"] = "private, no-cache"
    # The address is the secret: keep it out of the Referer of any link followed from here.
    response["Referrer-Policy"] = "no-referrer"
    return response
