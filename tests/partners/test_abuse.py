"""Anyone reports a post or a message; administrators hide it or dismiss the report in the
admin. A honeypot and rate limits (per account and per client address) keep robots out."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from demo import builders as demo
from partners import services
from partners.models import AbuseReport, PartnerMessage, PartnerPost


def test_an_anonymous_visitor_reports_a_post_and_an_administrator_hides_it(
    cast: demo.Cast, post: PartnerPost, client: Client
) -> None:
    assert client.get(reverse("partners:report", args=[post.pk])).status_code == 200
    answer = client.post(
        reverse("partners:report", args=[post.pk]), {"reason": "spam", "details": "Werbung"}
    )
    assert answer.status_code == 302
    report = AbuseReport.objects.get()
    assert (report.post, report.reporter, report.is_open) == (post, None, True)

    admin = Client()
    admin.force_login(cast.admin)
    assert admin.get(reverse("admin:partners_abusereport_changelist")).status_code == 200
    done = admin.post(
        reverse("admin:partners_abusereport_changelist"),
        {"action": "transition_act", "_selected_action": [report.pk]},
    )
    assert done.status_code == 302
    report.refresh_from_db()
    post.refresh_from_db()
    assert (report.status, post.status) == ("acted", "hidden")
    assert post.hidden_reason == "Spam oder Werbung"  # the report's, in the post's language
    assert client.get(post.get_absolute_url()).status_code == 404
    assert post.title not in client.get(reverse("partners:list")).text


def test_a_dismissed_report_leaves_the_post_online(
    cast: demo.Cast, post: PartnerPost, client: Client
) -> None:
    report = services.report_abuse(post=post, by=None, reason="other")
    admin = Client()
    admin.force_login(cast.admin)
    admin.post(
        reverse("admin:partners_abusereport_changelist"),
        {"action": "transition_dismiss", "_selected_action": [report.pk]},
    )
    report.refresh_from_db()
    assert report.status == "dismissed" and report.resolved_at is not None
    assert client.get(post.get_absolute_url()).status_code == 200


def test_only_administrators_moderate(cast: demo.Cast, post: PartnerPost, client: Client) -> None:
    client.force_login(cast.manager)
    answer = client.get(reverse("admin:partners_abusereport_changelist"))
    assert answer.status_code == 403


def test_the_recipient_reports_a_message(
    cast: demo.Cast, post: PartnerPost, other_applicant: Any, client: Client
) -> None:
    message = services.send_message(post, by=other_applicant, body="Kaufen Sie!", language="de")
    client.force_login(cast.applicant)
    answer = client.post(reverse("partners:message_report", args=[message.pk]), {"reason": "spam"})
    assert answer.status_code == 302
    report = AbuseReport.objects.get()
    assert report.message == message and report.reporter == cast.applicant
    services.hide_reported(report, by=cast.admin)
    message.refresh_from_db()
    report.refresh_from_db()
    assert (message.status, report.status) == ("hidden", "acted")
    assert "Kaufen Sie" not in client.get(reverse("partners:message", args=[message.pk])).text


def test_the_honeypot_swallows_what_robots_send(
    post: PartnerPost, other_applicant: Any, client: Client, committed: Any
) -> None:
    client.force_login(other_applicant)
    with committed():
        answer = client.post(
            reverse("partners:contact", args=[post.pk]),
            {"body": "Cheap pills", "website": "http://spam.example"},
        )
    assert answer.status_code == 302  # as if sent: the robot learns nothing
    assert not PartnerMessage.objects.exists() and mail.outbox == []
    client.post(
        reverse("partners:report", args=[post.pk]),
        {"reason": "spam", "website": "http://spam.example"},
    )
    assert not AbuseReport.objects.exists()


def test_contacting_is_limited_per_account(
    cast: demo.Cast, other_applicant: Any, client: Client, settings: Any
) -> None:
    from tests.partners.conftest import post_for

    settings.MICROGRANTS_PARTNER_CONTACTS_PER_USER = 2
    posts = [post_for(cast, title=f"Gesuch {n}") for n in range(3)]
    client.force_login(other_applicant)
    for post in posts[:2]:
        ok = client.post(reverse("partners:contact", args=[post.pk]), {"body": "Bonjour"})
        assert ok.status_code == 302
    limited = client.post(
        reverse("partners:contact", args=[posts[2].pk]), {"body": "Encore un message"}
    )
    assert limited.status_code == 429
    assert "wait an hour" in limited.text
    assert "Encore un message" in limited.text  # what was typed is kept
    assert PartnerMessage.objects.count() == 2


def test_contacting_is_limited_per_client_address(
    cast: demo.Cast, post: PartnerPost, client: Client, settings: Any
) -> None:
    settings.MICROGRANTS_PARTNER_CONTACTS_PER_CLIENT = 2
    for number in range(3):
        sender = demo.make_user(f"sender-{number}")
        client.force_login(sender)
        answer = client.post(reverse("partners:contact", args=[post.pk]), {"body": "Salut"})
    assert answer.status_code == 429
    assert PartnerMessage.objects.count() == 2


def test_reporting_is_limited_per_client_address(
    post: PartnerPost, client: Client, settings: Any
) -> None:
    settings.MICROGRANTS_PARTNER_REPORTS_PER_CLIENT = 1
    url = reverse("partners:report", args=[post.pk])
    assert client.post(url, {"reason": "spam"}).status_code == 302
    limited = client.post(url, {"reason": "spam"})
    assert limited.status_code == 429 and "try again in an hour" in limited.text
    assert AbuseReport.objects.count() == 1
