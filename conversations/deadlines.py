"""The hourly digest of applicants' messages, a job of the deadline scheduler
(`manage.py run_deadlines`, every five minutes): each staff member with messages waiting gets
at most one e-mail an hour (its outbox key names the hour). Before `send_outbox`, so that the
digests go out in the same run."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model

from conversations import services
from conversations.models import Notice
from workflows.deadlines import attempt, each, register


def _waiting(now: datetime) -> list[str]:
    users = Notice.objects.filter(mailed_at__isnull=True).values_list("user_id", flat=True)
    return [f"digest of messages for user {pk}" for pk in sorted(set(users))]


@register("conversation_digest", order=80, preview=_waiting)
def send_digests(now: datetime) -> int:
    """One digest per staff member with waiting notices, unless this hour's went out."""
    waiting = Notice.objects.filter(mailed_at__isnull=True).values("user_id")
    users = get_user_model()._default_manager.filter(pk__in=waiting)
    sent = 0
    for user in each(users):
        if attempt(services.send_digest, user, now=now, subject=f"digest for user {user.pk}"):
            sent += 1
    return sent
