"""The owner's pages: their subscriptions and each one's delivery log (read only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from webhooks import rules, selectors, signing


@require_safe
@login_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    if not rules.may_see_subscriptions_page(request.user):
        raise PermissionDenied
    subscriptions = selectors.subscriptions_of(request.user)
    return render(request, "webhooks/list.html", {"subscriptions": subscriptions})


@require_safe
@login_required
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not rules.may_see_subscriptions_page(request.user):
        raise PermissionDenied
    subscription = get_object_or_404(selectors.subscriptions_of(request.user), pk=pk)
    return render(
        request,
        "webhooks/detail.html",
        {
            "subscription": subscription,
            "deliveries": selectors.delivery_log(subscription),
            "signature_header": signing.SIGNATURE_HEADER,
            "timestamp_header": signing.TIMESTAMP_HEADER,
            "id_header": signing.ID_HEADER,
        },
    )
