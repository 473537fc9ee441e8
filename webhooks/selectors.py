"""Reads of webhook subscriptions and their delivery logs, for whoever may see them."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from webhooks.models import Attempt, Delivery, DeliveryStatus, Subscription

LOG_SIZE = 50


def subscriptions_of(user: Any) -> QuerySet[Subscription]:
    """The subscriptions `user` sees, with their programmes and delivery counts."""
    return (
        Subscription.objects.visible_to(user)
        .select_related("owner")
        .prefetch_related("programmes")
        .annotate(
            delivered=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
            waiting=Count(
                "deliveries",
                filter=Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            ),
            failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        )
        .order_by("name", "pk")
    )


def delivery_log(subscription: Subscription, *, size: int = LOG_SIZE) -> list[Delivery]:
    """The newest deliveries of a subscription with their attempts, newest first."""
    return list(
        Delivery.objects.filter(subscription=subscription)
        .select_related("event")
        .prefetch_related(Prefetch("log", queryset=Attempt.objects.order_by("number")))
        .order_by("-created_at", "-pk")[:size]
    )
