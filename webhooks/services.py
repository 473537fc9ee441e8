"""Subscriptions, the fan-out of an event to them, and the delivery of each (sign, send, log).

How an event travels, and why nothing is lost or sent twice:
1. The transition's own transaction writes a `SideEffect` row for `fan_out` (registered per
   transition in `webhooks.events`; `workflows.perform()` writes it with the change).
2. After the commit, `fan_out` (idempotent: one `Event` per log row and type, one `Delivery`
   per event and subscription, both unique) fixes each subscriber's body, as its owner reads the
   record through the API, and enqueues a `deliver_webhook` task per delivery.
3. `deliver` claims the delivery with a conditional update (`pending` -> `sending`; of two
   runners of the same task only one wins), checks the address again (DNS rebinding), signs and
   POSTs outside any transaction, and records the attempt: delivered, or another attempt later
   with exponential back-off, `failed` after MAX_ATTEMPTS. After `DISABLE_AFTER` failed attempts
   in a row a subscription is disabled and its owner is told by e-mail (the outbox).
4. The sweeper (`run_deadlines`' `webhooks` job) sends what no task did: retries that are due,
   first attempts whose task was lost, and deliveries whose worker died while sending (claimed
   longer ago than the claim timeout). Such a delivery may have reached the receiver before the
   worker died: receivers drop a repeated `Microgrants-Delivery` id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tasks import task, task_backends

from applications.emails import absolute
from grants import rules
from grants.models import Programme
from webhooks import addresses, payloads, signing, transport
from webhooks.models import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Event,
    Subscription,
    all_event_types,
)
from workflows import clock
from workflows.effects import retry_delay
from workflows.outbox import queue_mail
from workflows.queue import enqueue_with_change

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A first attempt still waiting this long lost its task: the sweeper sends it.
ENQUEUE_GRACE = timedelta(minutes=2)
USER_AGENT = "microgrants-webhooks/1"


def disable_after() -> int:
    """Failed attempts in a row after which a subscription is disabled."""
    return int(getattr(settings, "MICROGRANTS_WEBHOOK_DISABLE_AFTER", 20))


def claim_timeout() -> timedelta:
    """How long a delivery may stay `sending` before the sweeper takes its sender for dead."""
    return timedelta(seconds=int(getattr(settings, "MICROGRANTS_WEBHOOK_CLAIM_SECONDS", 300)))


# --- subscriptions ---------------------------------------------------------------------------------


def _validate(
    *, owner: Any, url: str, events: list[str], programmes: list[Programme], all_programmes: bool
) -> None:
    errors: dict[str, Any] = {}
    try:
        addresses.validate_receiver_url(url)
    except ValidationError as exc:
        errors["url"] = exc.messages
    unknown = [code for code in events if code not in all_event_types()]
    if not events or unknown:
        errors["events"] = _("Choose at least one of the events listed.")
    if not all_programmes and not programmes:
        errors["programmes"] = _("Choose the programmes the subscription hears, or all programmes.")
    if owner is None or not owner.is_active or not rules.may_use_api_token(owner):
        errors["owner"] = _("The owner must be an active funder or staff account.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def subscribe(
    owner: Any,
    *,
    by: Any,
    name: str,
    url: str,
    events: Iterable[str],
    programmes: Iterable[Programme] = (),
    all_programmes: bool = False,
    language: str = "",
) -> tuple[Subscription, str]:
    """Create a subscription for `owner`; returns it with its signing secret (shown once).

    The receiver URL must be https and resolve to public addresses (outside development)."""
    chosen, codes = list(programmes), list(dict.fromkeys(events))
    _validate(owner=owner, url=url, events=codes, programmes=chosen, all_programmes=all_programmes)
    secret = signing.new_secret()
    subscription = Subscription(
        owner=owner,
        name=name,
        url=url.strip(),
        events=codes,
        all_programmes=all_programmes,
        language=language or settings.LANGUAGE_CODE,
        secret=secret,
        created_by=by,
    )
    subscription.full_clean(exclude=["programmes", "secret"])
    subscription.save()
    if not all_programmes:
        subscription.programmes.set(chosen)
    return subscription, secret


@transaction.atomic
def change_subscription(
    subscription: Subscription,
    *,
    by: Any,
    url: str,
    events: Iterable[str],
    programmes: Iterable[Programme] = (),
    all_programmes: bool = False,
) -> Subscription:
    """Change where and what a subscription hears (the address checked again)."""
    chosen, codes = list(programmes), list(dict.fromkeys(events))
    _validate(
        owner=subscription.owner,
        url=url,
        events=codes,
        programmes=chosen,
        all_programmes=all_programmes,
    )
    subscription.url, subscription.events = url.strip(), codes
    subscription.all_programmes = all_programmes
    subscription.save(update_fields=["url", "events", "all_programmes"])
    subscription.programmes.set([] if all_programmes else chosen)
    return subscription


def renew_secret(subscription: Subscription, *, by: Any) -> str:
    """A new signing secret (the old one stops at once); returns it, shown once."""
    secret = signing.new_secret()
    Subscription.objects.filter(pk=subscription.pk).update(secret=secret)
    subscription.secret = secret
    return secret


def enable(subscription: Subscription, *, by: Any) -> None:
    """Start sending again (after the receiver was repaired); the failure count starts at 0."""
    Subscription.objects.filter(pk=subscription.pk).update(
        active=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
    )


def disable(subscription: Subscription, *, by: Any, reason: str = "") -> bool:
    """Stop sending; the deliveries still waiting are not sent. False if it was disabled."""
    with transaction.atomic():
        changed = Subscription.objects.filter(pk=subscription.pk, active=True).update(
            active=False, disabled_at=clock.now(), disabled_reason=reason[:300]
        )
        if changed:
            _cancel_waiting(subscription.pk, _("The subscription was disabled."))
    return bool(changed)


def _cancel_waiting(subscription_id: int, why: str) -> None:
    Delivery.objects.filter(subscription_id=subscription_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, finished_at=clock.now(), last_error=why
    )


# --- fan-out (a side effect of the transitions, see webhooks.events) -----------------------------


def fan_out(log: Any, *, event_type: str, programme_id: int | None, object_id: int) -> int:
    """One event for the logged transition and a delivery per subscription that hears it and
    whose owner may read the record through the API; returns how many deliveries it wrote.
    Idempotent (unique event per log and type, unique delivery per subscription)."""
    with transaction.atomic():
        event, _created = Event.objects.get_or_create(
            log=log,
            type=event_type,
            defaults={
                "programme_id": programme_id,
                "object_id": object_id,
                "occurred_at": log.created_at,
            },
        )
        done = set(event.deliveries.values_list("subscription_id", flat=True))
        rows = []
        # Subscriptions that read alike (owner, language, programmes) get the same body: it is
        # made once for them.
        bodies: dict[tuple[Any, ...], str | None] = {}
        for subscription in Subscription.objects.listening(event_type, programme_id):
            if subscription.pk in done:
                continue
            view = _view_of(subscription)
            if view not in bodies:
                data = payloads.data_for(subscription, event, log)
                bodies[view] = None if data is None else payloads.envelope(event, log, data)
            body = bodies[view]
            if body is not None:
                rows.append(Delivery(event=event, subscription=subscription, body=body))
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        waiting = event.deliveries.filter(status=DeliveryStatus.PENDING)
        for pk in waiting.values_list("pk", flat=True):
            enqueue_with_change(deliver_webhook, pk)
    return len(rows)


def _view_of(subscription: Subscription) -> tuple[Any, ...]:
    """What a payload depends on besides the event: who reads, in which language, which
    programmes."""
    programmes = (
        ()
        if subscription.all_programmes
        else tuple(sorted(p.pk for p in subscription.programmes.all()))
    )
    return (subscription.owner_id, subscription.language, subscription.all_programmes, programmes)


# --- delivery ------------------------------------------------------------------------------------


@task()
def deliver_webhook(delivery_id: int) -> str:
    """The task of one delivery (see `deliver`); may run twice, sends once."""
    return deliver(delivery_id)


def claim(delivery_id: int, *, now: datetime) -> bool:
    """Take a delivery for sending: a conditional update, so one runner wins; the attempt
    counts from here (a runner that dies holding it has used it up)."""
    return (
        Delivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).update(status=DeliveryStatus.SENDING, started_at=now, attempts=F("attempts") + 1)
        == 1
    )


def headers_for(delivery: Delivery, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        signing.ID_HEADER: str(delivery.uid),
        signing.EVENT_HEADER: delivery.event.type,
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(secret, timestamp, body),
    }


def _still_in_scope(delivery: Delivery) -> bool:
    """The subscription still reads the event's programme and its owner the API (a scope
    narrowed, or an owner disabled, after the fan-out)."""
    subscription = delivery.subscription
    if payloads.reader(subscription) is None:
        return False
    if subscription.all_programmes:
        return True
    return subscription.programmes.filter(pk=delivery.event.programme_id).exists()


def deliver(delivery_id: int) -> str:
    """Send one delivery if it is due: "delivered", "retrying", "failed", "cancelled", or why it
    did not run ("busy", "not_due", "already_done", "missing")."""
    now = clock.now()
    if not claim(delivery_id, now=now):
        status = Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        if status is None:
            return "missing"
        why_not: dict[str, str] = {
            DeliveryStatus.SENDING: "busy",
            DeliveryStatus.DELIVERED: "already_done",
            DeliveryStatus.CANCELLED: "already_done",
            DeliveryStatus.FAILED: "already_done",
        }
        return why_not.get(status, "not_due")
    delivery = Delivery.objects.select_related("subscription", "event").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.active or not _still_in_scope(delivery):
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.CANCELLED,
            finished_at=clock.now(),
            last_error=_("The subscription is disabled or no longer reads this programme."),
        )
        return "cancelled"
    body = delivery.body.encode()
    try:
        target = addresses.check(subscription.url)  # again: the name may resolve elsewhere now
    except ValidationError as refused:
        answer = transport.Answer(None, 0, " ".join(refused.messages))
    else:
        timestamp = int(clock.now().timestamp())
        answer = transport.post(
            target, body, headers_for(delivery, subscription.secret, body, timestamp)
        )
    return record(delivery, answer, started_at=now)


def record(delivery: Delivery, answer: transport.Answer, *, started_at: datetime) -> str:
    """Write the attempt to the log and what follows from it."""
    now = clock.now()
    last = delivery.attempts >= MAX_ATTEMPTS
    with transaction.atomic():
        # The claim numbered the attempt: no other runner writes this one.
        Attempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started_at,
            duration_ms=answer.duration_ms,
            status_code=answer.status_code,
            ok=answer.ok,
            error=answer.error[:2000],
        )
        mine = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING)
        if answer.ok:
            mine.update(
                status=DeliveryStatus.DELIVERED,
                finished_at=now,
                last_status_code=answer.status_code,
                last_error="",
            )
            # Written only after failures: a busy subscription's row is not a hot spot.
            Subscription.objects.filter(
                pk=delivery.subscription_id, consecutive_failures__gt=0
            ).update(consecutive_failures=0)
            return "delivered"
        next_at = now + retry_delay(delivery.attempts)
        mine.update(
            status=DeliveryStatus.FAILED if last else DeliveryStatus.PENDING,
            next_attempt_at=now if last else next_at,
            finished_at=now if last else None,
            last_status_code=answer.status_code,
            last_error=answer.error[:2000],
        )
        disabled = _count_failure(delivery.subscription_id)
    if not last and not disabled:
        _enqueue_retry(delivery.pk, next_at)
    return "failed" if last else "retrying"


def _count_failure(subscription_id: int) -> bool:
    """One more failed attempt in a row; at DISABLE_AFTER the subscription is disabled and
    its owner told. True if it is disabled now."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
    subscription.consecutive_failures += 1
    subscription.save(update_fields=["consecutive_failures"])
    if not subscription.active:
        return True
    if subscription.consecutive_failures < disable_after():
        return False
    reason = _("%(count)s failed attempts in a row.") % {"count": subscription.consecutive_failures}
    disable(subscription, by=None, reason=reason)
    subscription.refresh_from_db()
    _tell_owner(subscription)
    return True


def _tell_owner(subscription: Subscription) -> None:
    """The e-mail to the owner that the subscription was disabled (queued in the outbox)."""
    owner = subscription.owner
    disabled_at = subscription.disabled_at or clock.now()
    queue_mail(
        "webhook_disabled",
        to=[owner.email],
        context={
            "subscription": subscription,
            "failures": subscription.consecutive_failures,
            "reason": subscription.disabled_reason,
            "link": absolute(reverse("webhooks:detail", args=[subscription.pk])),
        },
        language=subscription.language,
        key=f"webhook-disabled:{subscription.pk}:{disabled_at.isoformat()}",
    )


def _enqueue_retry(delivery_id: int, when: datetime) -> None:
    """The next attempt as a deferred task where the backend can defer (database, RQ);
    otherwise (immediate) the sweeper sends it when it is due."""
    backend = task_backends["default"]
    if not backend.supports_defer:
        return
    try:
        deliver_webhook.using(run_after=when).enqueue(delivery_id)
    except Exception:
        logger.warning("Could not enqueue the retry of webhook delivery %s", delivery_id)


# --- the sweeper -------------------------------------------------------------------------------


def due(now: datetime) -> Any:
    """Deliveries no task sends: due retries, first attempts waiting longer than ENQUEUE_GRACE."""
    return Delivery.objects.filter(
        Q(attempts__gt=0) | Q(created_at__lte=now - ENQUEUE_GRACE),
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at", "pk")


def release_stuck(now: datetime) -> int:
    """Deliveries left `sending` past the claim timeout (their sender died) wait again."""
    return Delivery.objects.filter(
        status=DeliveryStatus.SENDING, started_at__lt=now - claim_timeout()
    ).update(status=DeliveryStatus.PENDING, next_attempt_at=now)


def sweep(now: datetime, *, limit: int = 500) -> int:
    """Release the stuck deliveries and send what is due, here and now; how many were tried."""
    release_stuck(now)
    tried = 0
    for pk in list(due(now).values_list("pk", flat=True)[:limit]):
        if deliver(pk) in ("delivered", "retrying", "failed", "cancelled"):
            tried += 1
    return tried
