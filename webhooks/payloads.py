"""What a subscriber is sent: the record as the API writes it for the subscription's owner,
reading through a token of the subscription's programmes. The same selectors (the rule set's
`visible_to`) and the same serializers as the API's endpoints, so a payload never carries more
than the owner may read there; a record the owner may not read there is not sent at all.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from applications.api.serializers import ApplicationSerializer, StaffApplicationSerializer
from applications.api.views import applications_for
from grants import rules
from grants.api import serializers as grant_serializers
from grants.api.views import grants_for, payments_for
from grants.models import Payment
from webhooks.models import Event, EventType, Subscription
from workflows.roles import is_active_user

APPLICATION_EVENTS = {EventType.APPLICATION_SUBMITTED, EventType.APPLICATION_DECIDED}
GRANT_EVENTS = {EventType.GRANT_ACCEPTED, EventType.REPORT_ACCEPTED, EventType.GRANT_CLOSED}


def reader(subscription: Subscription) -> Any | None:
    """The owner as the API would see them through a token of the subscription's programmes
    (the token's programme limit is read from the subscription); None if the owner may not
    read the API at all (inactive, an applicant)."""
    owner = get_user_model().objects.filter(pk=subscription.owner_id).first()
    if owner is None or not is_active_user(owner) or not rules.may_use_api_token(owner):
        return None
    # grants.rules.programme_limit reads `all_programmes` and `programmes` of the token.
    setattr(owner, rules.TOKEN_ATTRIBUTE, subscription)
    return owner


def _application(user: Any, pk: int) -> dict[str, Any] | None:
    found = (
        applications_for(user)
        .select_related("organisation", "programme", "grant")
        .prefetch_related("partners")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        return None
    serializer = (
        StaffApplicationSerializer
        if rules.sees_internal_api_fields(user)
        else ApplicationSerializer
    )
    return dict(serializer(found).data)


def _grant(user: Any, pk: int) -> dict[str, Any] | None:
    found = grants_for(user).filter(pk=pk).first()
    if found is None:
        return None
    serializer = (
        grant_serializers.StaffGrantSerializer
        if rules.sees_internal_api_fields(user)
        else grant_serializers.GrantSerializer
    )
    return dict(serializer(found).data)


def data_for(subscription: Subscription, event: Event, log: Any) -> dict[str, Any] | None:
    """The `data` of the event's payload for `subscription`, or None when its owner may not read
    the record through the API (outside the programmes, a conflict, no API access)."""
    user = reader(subscription)
    if user is None:
        return None
    with translation.override(subscription.language):
        if event.type in APPLICATION_EVENTS:
            application = _application(user, event.object_id)
            return None if application is None else {"application": application}
        if event.type in GRANT_EVENTS:
            grant = _grant(user, event.object_id)
            return None if grant is None else {"grant": grant}
        if event.type == EventType.PAYMENT_PAID:
            # Funders read a grant's paid sum, not its transfers: the payment itself only for
            # those who read payments in the API (finance officers, administrators).
            grant_id = (
                Payment.objects.filter(pk=event.object_id)
                .values_list("grant_id", flat=True)
                .first()
            )
            grant = _grant(user, grant_id or 0)
            if grant is None:
                return None
            data: dict[str, Any] = {"grant": grant}
            payment = payments_for(user).filter(pk=event.object_id).first()
            if payment is not None and rules.may_read_payments(user):
                data["payment"] = dict(grant_serializers.PaymentSerializer(payment).data)
            return data
    return None


def envelope(event: Event, log: Any, data: dict[str, Any]) -> str:
    """The JSON body: the event's id and type, when it happened, the transition, the data."""
    return json.dumps(
        {
            "id": str(event.uid),
            "type": event.type,
            "occurred_at": event.occurred_at.isoformat(),
            "transition": {"name": log.transition, "from": log.source, "to": log.target},
            "data": data,
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )
