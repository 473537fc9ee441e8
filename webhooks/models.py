"""Webhooks: subscriptions of funders and integrations, the events they hear of, and each
delivery with its attempts (the delivery log).

A subscription belongs to a user (a funder or a staff account) and reads, like an API token,
the programmes it names or all of them: what it is sent is what its owner would read through
the API with a token of that scope, never more. The delivery rows are the sender's bookkeeping
(like the e-mail outbox), not a state machine: they record attempts of machines, not decisions
of people.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grants.models import Programme
from workflows import clock
from workflows.fields import CleanCharField


class EventType(models.TextChoices):
    APPLICATION_SUBMITTED = "application.submitted", _("application submitted")
    APPLICATION_DECIDED = "application.decided", _("application decided (approved or rejected)")
    GRANT_ACCEPTED = "grant.accepted", _("grant accepted")
    PAYMENT_PAID = "payment.paid", _("payment paid")
    REPORT_ACCEPTED = "grant.report_accepted", _("final report accepted")
    GRANT_CLOSED = "grant.closed", _("grant closed")


def all_event_types() -> list[str]:
    return [str(value) for value in EventType.values]


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def visible_to(self, user: Any) -> models.QuerySet[Subscription]:
        from webhooks import rules

        return rules.subscriptions_visible_to(self, user)

    def listening(self, event_type: str, programme_id: int | None) -> list[Subscription]:
        """Active subscriptions that hear `event_type` for a record of `programme_id` (the
        events are a short JSON list, read here on every database)."""
        scope = models.Q(all_programmes=True)
        if programme_id is not None:
            scope |= models.Q(programmes=programme_id)
        found = (
            self.filter(scope, active=True)
            .distinct()
            .select_related("owner")
            .prefetch_related("programmes")
        )
        return [subscription for subscription in found if subscription.hears(event_type)]


class Subscription(models.Model):
    """A receiver's address, the events it hears, the programmes it reads and its secret."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("owner"),
        help_text=_("The funder or staff account whose API view the payloads follow."),
    )
    name = CleanCharField(_("name"), max_length=100, help_text=_("what receives the events"))
    url = models.URLField(
        _("receiver URL"),
        max_length=500,
        help_text=_("An https address reachable on the internet."),
    )
    events = models.JSONField(_("events"), default=list, blank=True)
    programmes = models.ManyToManyField(
        Programme, blank=True, related_name="+", verbose_name=_("programmes")
    )
    all_programmes = models.BooleanField(
        _("all programmes"),
        default=False,
        help_text=_("Hears every programme, also those created later. Otherwise choose them."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the names in the payloads."),
    )
    # Needed in clear to sign (HMAC); shown once to whoever creates or renews it.
    secret = models.CharField(max_length=80, editable=False)
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(
        _("failures in a row"), default=0, editable=False
    )
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(
        _("why it was disabled"), max_length=300, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def hears(self, event_type: str) -> bool:
        return isinstance(self.events, list) and event_type in self.events

    def event_labels(self) -> list[str]:
        labels = dict(EventType.choices)
        return [str(labels.get(code, code)) for code in self.events or []]


class Event(models.Model):
    """Something a subscriber may hear of: one row per (transition logged, event type), written
    by the fan-out side effect of that transition (itself a row of the change's transaction)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    log = models.ForeignKey("workflows.TransitionLog", on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["log", "type"], name="webhooks_one_event_per_log")
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.object_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    SENDING = "sending", _("sending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("not sent")


class Delivery(models.Model):
    """One event for one subscription: sent once (the unique pair, claimed by a conditional
    update), with the body fixed when the event was fanned out."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    body = models.TextField()
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="webhooks_one_delivery_per_subscription"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class Attempt(models.Model):
    """The delivery log: one row per attempt, what the receiver answered and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveIntegerField(_("status code"), null=True, blank=True)
    ok = models.BooleanField(_("delivered"), default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_attempt_number")
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:40]}"
