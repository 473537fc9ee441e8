"""Posts expire after MICROGRANTS_PARTNER_POST_DAYS; a week before, the deadline scheduler
reminds the organisation's members with a renew link, once per expiry date."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse

from demo import builders as demo
from partners.models import PartnerPost
from workflows import clock, deadlines
from workflows.models import OutboxMessage


def test_a_post_lives_for_the_configured_days(cast: demo.Cast, settings: Any) -> None:
    from tests.partners.conftest import post_for

    settings.MICROGRANTS_PARTNER_POST_DAYS = 30
    post = post_for(cast)
    assert post.expires_on == clock.today() + timedelta(days=30)


def test_the_reminder_goes_out_once_before_expiry_with_a_renew_link(
    cast: demo.Cast, post: PartnerPost, settings: Any
) -> None:
    settings.MICROGRANTS_PARTNER_REMINDER_DAYS = 7
    too_early = clock.now() + timedelta(days=80)
    assert deadlines.run_all(too_early, names=["remind_partner_posts"]) == {
        "remind_partner_posts": 0
    }

    week_before = clock.now() + timedelta(days=84)
    assert (
        deadlines.run_all(week_before, names=["remind_partner_posts"])["remind_partner_posts"] == 1
    )
    reminder = OutboxMessage.objects.get(key__startswith="partner_post_expiring:")
    assert reminder.to == [cast.applicant.email]
    assert "läuft" in reminder.subject  # the post's language: German
    assert reverse("partners:renew", args=[post.pk]) in reminder.body_text
    # The next run (tomorrow) sends nothing new.
    again = deadlines.run_all(week_before + timedelta(days=1), names=["remind_partner_posts"])
    assert again["remind_partner_posts"] == 0


def test_an_expired_post_leaves_the_public_list_and_renewing_brings_it_back(
    cast: demo.Cast, post: PartnerPost, client: Client
) -> None:
    member = Client()
    member.force_login(cast.applicant)
    with clock.travel_to(post.expires_on + timedelta(days=1)):
        assert post.title not in client.get(reverse("partners:list")).text
        assert client.get(post.get_absolute_url()).status_code == 404
        # Its organisation still sees it, and renews it from the reminder's link.
        assert member.get(reverse("partners:renew", args=[post.pk])).status_code == 200
        assert member.post(reverse("partners:renew", args=[post.pk])).status_code == 302
        post.refresh_from_db()
        assert post.expires_on == clock.today() + timedelta(days=90)
        assert post.title in client.get(reverse("partners:list")).text


def test_a_closed_post_is_gone_for_visitors(
    cast: demo.Cast, post: PartnerPost, client: Client
) -> None:
    member = Client()
    member.force_login(cast.applicant)
    assert member.post(reverse("partners:close", args=[post.pk])).status_code == 302
    assert client.get(post.get_absolute_url()).status_code == 404
    assert (
        deadlines.run_all(clock.now() + timedelta(days=85), names=["remind_partner_posts"])[
            "remind_partner_posts"
        ]
        == 0
    )
