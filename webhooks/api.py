"""The caller's webhook subscriptions in the API (read only, never the secret), and the webhooks
themselves described as OpenAPI callbacks of that endpoint: what the fund POSTs to a receiver
for each event, with the signature headers.

The bodies reuse the API's own serializers: `data.application` is an application as the
subscription's owner reads it (`ApplicationAsRead`), `data.grant` a grant (`GrantAsRead`),
`data.payment` a payment (only for owners who read payments).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiCallback,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from applications.api.views import READ_AS as APPLICATION_AS_READ
from grants.api.serializers import PaymentSerializer
from grants.api.views import GRANT_AS_READ, ApiReadViewSet
from webhooks import signing
from webhooks.filters import SubscriptionFilter
from webhooks.models import EventType, Subscription


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    events = serializers.ListField(child=serializers.ChoiceField(EventType.choices), read_only=True)
    programmes: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "name",
            "url",
            "events",
            "all_programmes",
            "programmes",
            "language",
            "active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = fields


_TRANSITION = inline_serializer(
    name="WebhookTransition",
    fields={
        "name": serializers.CharField(help_text="the transition, e.g. `approve`"),
        "from": serializers.CharField(help_text="status before"),
        "to": serializers.CharField(help_text="status after"),
    },
)


def _event_body(name: str, data: dict[str, Any], description: str) -> Any:
    return inline_serializer(
        name=name,
        fields={
            "id": serializers.UUIDField(help_text="the event's id"),
            "type": serializers.CharField(help_text="the event type"),
            "occurred_at": serializers.DateTimeField(),
            "transition": _TRANSITION,
            "data": inline_serializer(name=f"{name}Data", fields=data),
        },
        help_text=description,
    )


# Callbacks take no parameters in drf-spectacular: the headers are described in words.
_HEADERS = (
    f"Headers: `{signing.SIGNATURE_HEADER}: v1=<hex>`, the HMAC-SHA256 of "
    f'"<{signing.TIMESTAMP_HEADER}>.<raw body>" with the subscription\'s secret (compare in '
    f"constant time); `{signing.TIMESTAMP_HEADER}`, Unix seconds when the attempt was signed "
    f"(refuse one older than 5 minutes); `{signing.ID_HEADER}`, the delivery's id, the same on "
    f"every retry (drop one you have processed); `{signing.EVENT_HEADER}`, the event type."
)

_ANSWERS = {
    200: OpenApiResponse(description="Any 2xx: delivered."),
    410: OpenApiResponse(
        description="Anything else (or no answer within the timeout): retried with exponential "
        "back-off (1, 2, 4 … minutes, 8 attempts); after 20 failed attempts in a row the "
        "subscription is disabled and its owner told by e-mail."
    ),
}


def _callback(event: EventType, body: Any, summary: str) -> OpenApiCallback:
    return OpenApiCallback(
        name=str(event.value),
        path="{$response.body#/url}",
        decorator=extend_schema(
            summary=summary,
            description="POSTed to the subscription's URL (https; public addresses only), "
            "signed. The record is what the subscription's owner reads through the API. "
            + _HEADERS,
            request=body,
            responses=_ANSWERS,
        ),
    )


APPLICATION_EVENT = _event_body(
    "WebhookApplicationEvent",
    {"application": APPLICATION_AS_READ},
    "application.submitted (submit, resubmit) or application.decided (approve, reject)",
)
GRANT_EVENT = _event_body(
    "WebhookGrantEvent",
    {"grant": GRANT_AS_READ},
    "grant.accepted, grant.report_accepted or grant.closed",
)
PAYMENT_EVENT = _event_body(
    "WebhookPaymentEvent",
    {
        "grant": GRANT_AS_READ,
        "payment": PaymentSerializer(
            required=False, help_text="only for owners who read payments (finance, administrators)"
        ),
    },
    "payment.paid: the grant with its paid sum; the payment for those who read payments",
)

CALLBACKS = [
    _callback(EventType.APPLICATION_SUBMITTED, APPLICATION_EVENT, "An application was submitted"),
    _callback(EventType.APPLICATION_DECIDED, APPLICATION_EVENT, "An application was decided"),
    _callback(EventType.GRANT_ACCEPTED, GRANT_EVENT, "A grant was accepted"),
    _callback(EventType.PAYMENT_PAID, PAYMENT_EVENT, "A payment was paid"),
    _callback(EventType.REPORT_ACCEPTED, GRANT_EVENT, "A final report was accepted"),
    _callback(EventType.GRANT_CLOSED, GRANT_EVENT, "A grant was closed"),
]


@extend_schema_view(
    list=extend_schema(
        summary="Your webhook subscriptions",
        description="The subscriptions of the caller (administrators: all), without their "
        "secrets. Administrators create them in the admin.",
        tags=["webhooks"],
    ),
    retrieve=extend_schema(
        summary="One webhook subscription (and its webhooks, as callbacks)",
        description="The callbacks describe what the fund POSTs to the subscription's `url` "
        "for each event it hears.",
        callbacks=CALLBACKS,
        tags=["webhooks"],
    ),
)
class SubscriptionViewSet(ApiReadViewSet[Subscription]):
    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilter

    def get_queryset(self) -> QuerySet[Subscription]:
        return (
            Subscription.objects.visible_to(self.request.user)
            .prefetch_related("programmes")
            .order_by("-created_at", "-id")
        )
