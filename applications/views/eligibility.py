"""The eligibility check before the form: answers at once, in the user's language."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from applications import selectors
from applications.eligibility import check_eligibility
from applications.forms.eligibility import EligibilityForm
from applications.views.drafts import default_fund


def eligibility(request: HttpRequest) -> HttpResponse:
    """GET with the answers (so htmx can ask on every change, and the result can be bookmarked).
    Open to visitors who are not signed in: the verdict leads them through sign-up back here,
    with their answers in the address, and on into the draft."""
    asked = bool(request.GET)
    form = EligibilityForm(request.GET or None, initial=_initial(request))
    verdict = (
        check_eligibility(default_fund(), form.answers()) if asked and form.is_valid() else None
    )
    context = {
        "form": form,
        "verdict": verdict,
        "asked": asked,
        "organisation": selectors.current_organisation(request),
    }
    if request.headers.get("HX-Request"):
        return render(request, "applications/_verdict.html", context)
    return render(request, "applications/eligibility.html", context)


def _initial(request: HttpRequest) -> dict[str, object]:
    organisation = selectors.current_organisation(request)
    if organisation is None:
        return {}
    return {
        "legal_form": organisation.legal_form,
        "country": organisation.country if organisation.country in ("DE", "FR") else None,
        "group_members": len(organisation.named_group_members()) or None,
    }
