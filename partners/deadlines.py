"""The reminder before a partner post expires, a job of the deadline scheduler
(`manage.py run_deadlines`). Expiry itself needs no job: a post whose date has passed is no
longer live, whether or not the scheduler ran."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from partners import services
from partners.models import PartnerPost
from workflows.deadlines import attempt, each, local_date, register


@register("remind_partner_posts", order=60)
def remind_partner_posts(now: datetime) -> int:
    """Posts that expire within MICROGRANTS_PARTNER_REMINDER_DAYS: their organisation's members
    get the renew link, once per expiry date (the outbox key)."""
    today = local_date(now)
    last_day = today + timedelta(days=settings.MICROGRANTS_PARTNER_REMINDER_DAYS)
    expiring = PartnerPost.objects.live(today).filter(expires_on__lte=last_day)
    done = 0
    for post in each(expiring.select_related("organisation")):
        days_left = (post.expires_on - today).days
        done += attempt(
            services.remind_before_expiry,
            post,
            days_left=days_left,
            subject=f"remind partner post #{post.pk}",
        )
    return done
