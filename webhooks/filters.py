"""The filters of the API's list of webhook subscriptions (one FilterSet, like every list)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from webhooks.models import Subscription
from workflows.api.filters import BooleanFilter, OrderingFilter, QueryFilterSet


class SubscriptionFilter(QueryFilterSet):
    active = BooleanFilter(field_name="active", label=_("Active"))
    ordering = OrderingFilter(fields=("name", "created_at", "id"))

    class Meta:
        model = Subscription
        fields: list[str] = []
