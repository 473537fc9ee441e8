"""Thin views of the public pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from grants.models import site_fund
from grants.money import ZERO
from public import selectors
from workflows.visitor_cache import cached_for_visitors


@require_safe
@cached_for_visitors
def home(request: HttpRequest) -> HttpResponse:
    """The fund's front door. Signed-in people go on to their own start page."""
    if request.user.is_authenticated:
        return redirect("applications:home")
    fund = site_fund()
    offers = selectors.programmes_on_offer(fund) if fund is not None else []
    amounts = [o.programme.max_amount for o in offers if o.programme.max_amount is not None]
    return render(
        request,
        "public/home.html",
        {
            "fund": fund,
            "offers": offers,
            "largest_amount": max(amounts, default=ZERO),
            "open_calls": [call for offer in offers for call in offer.open_calls],
            "pages": list(selectors.published_pages()),
        },
    )


@require_safe
@cached_for_visitors
def page(request: HttpRequest, kind: str) -> HttpResponse:
    """One of the fund's texts, in the reader's language (or the fallback); unpublished: 404."""
    return render(
        request,
        "public/page.html",
        {"page": get_object_or_404(selectors.published_pages(), kind=kind)},
    )
