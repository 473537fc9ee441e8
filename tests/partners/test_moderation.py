"""The post's, message's and report's state machines: each close, hide, show and decision on a
report goes through perform() and leaves its audit row with the person who did it; only
administrators moderate, and a post shown again is where it was before it was hidden."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from demo import builders as demo
from partners import services
from partners.models import AbuseReport, PartnerPost
from tests.support import unchanged
from workflows.audit import verify_chain
from workflows.errors import TransitionForbidden, TransitionNotAllowed
from workflows.models import TransitionLog


def steps_of(obj: Any) -> list[tuple[str, str, str, Any]]:
    rows = TransitionLog.objects.for_object(obj).order_by("pk")
    return [(r.source, r.transition, r.target, r.actor) for r in rows]


def admin_client(cast: demo.Cast) -> Client:
    admin = Client(HTTP_ACCEPT_LANGUAGE="en")
    admin.force_login(cast.admin)
    return admin


def test_hiding_a_reported_post_writes_audit_rows_naming_the_administrator_and_the_reason(
    cast: demo.Cast, post: PartnerPost
) -> None:
    report = services.report_abuse(post=post, by=None, reason="spam")
    url = reverse("admin:partners_partnerpost_transition", args=[post.pk, "hide"])
    answer = admin_client(cast).post(url, {"reason": "Werbung für ein Hotel"})
    assert answer.status_code == 302

    post.refresh_from_db()
    assert (post.status, post.hidden_reason) == ("hidden", "Werbung für ein Hotel")
    assert steps_of(post) == [("open", "hide", "hidden", cast.admin)]
    assert TransitionLog.objects.for_object(post).get().payload == {
        "reason": "Werbung für ein Hotel"
    }
    # The open report is settled with it, in its own row.
    assert steps_of(report) == [("open", "act", "acted", cast.admin)]
    assert verify_chain().ok


def test_dismissing_a_report_writes_an_audit_row_naming_the_administrator(
    cast: demo.Cast, post: PartnerPost
) -> None:
    report = services.report_abuse(post=post, by=cast.manager, reason="other")
    services.dismiss_report(report, by=cast.admin)
    report.refresh_from_db()
    assert report.status == "dismissed"
    assert steps_of(report) == [("open", "dismiss", "dismissed", cast.admin)]
    assert PartnerPost.objects.live().filter(pk=post.pk).exists()
    with pytest.raises(TransitionNotAllowed):  # decided once
        services.dismiss_report(report, by=cast.admin)


def test_a_member_of_the_posting_organisation_cannot_hide_its_post(
    cast: demo.Cast, post: PartnerPost
) -> None:
    with unchanged(post), pytest.raises(TransitionForbidden):
        services.hide_post(post, by=cast.applicant, reason="Nicht mehr aktuell")
    # Nor can a programme manager: moderating the exchange is the administrators'.
    with unchanged(post), pytest.raises(TransitionForbidden):
        services.hide_post(post, by=cast.manager, reason="Nicht mehr aktuell")
    report = services.report_abuse(post=post, by=None, reason="spam")
    with unchanged(report), pytest.raises(TransitionForbidden):
        services.dismiss_report(report, by=cast.applicant)


def test_an_administrators_hide_then_show_puts_the_post_back_on_the_public_list(
    cast: demo.Cast, post: PartnerPost, client: Client
) -> None:
    services.hide_post(post, by=cast.admin, reason="Bitte prüfen")
    assert post.title not in client.get(reverse("partners:list")).text
    assert client.get(post.get_absolute_url()).status_code == 404

    url = reverse("admin:partners_partnerpost_changelist")
    admin_client(cast).post(url, {"action": "transition_show", "_selected_action": [post.pk]})

    post.refresh_from_db()
    assert (post.status, post.hidden_at, post.hidden_reason) == ("open", None, "")
    assert post.title in client.get(reverse("partners:list")).text
    assert client.get(post.get_absolute_url()).status_code == 200
    # Who hid it stays in the log after it is shown again.
    assert steps_of(post) == [
        ("open", "hide", "hidden", cast.admin),
        ("hidden", "show", "open", cast.admin),
    ]


def test_a_closed_post_hidden_and_shown_again_stays_closed(
    cast: demo.Cast, post: PartnerPost, client: Client
) -> None:
    services.close_post(post, by=cast.applicant)
    services.close_post(post, by=cast.applicant)  # a second click changes nothing
    services.hide_post(post, by=cast.admin, reason="Spam")
    post = services.show_post(post, by=cast.admin)
    assert post.status == "closed"
    assert client.get(post.get_absolute_url()).status_code == 404
    assert steps_of(post) == [
        ("open", "close", "closed", cast.applicant),
        ("closed", "hide", "hidden", cast.admin),
        ("hidden", "show", "closed", cast.admin),
    ]


def test_the_organisation_reads_the_reason_and_cannot_close_or_renew_a_hidden_post(
    cast: demo.Cast, post: PartnerPost
) -> None:
    services.hide_post(post, by=cast.admin, reason="Bitte ohne Telefonnummer")
    member = Client(HTTP_ACCEPT_LANGUAGE="en")
    member.force_login(cast.applicant)
    page = member.get(post.get_absolute_url()).text
    assert "The fund has hidden this post" in page and "Bitte ohne Telefonnummer" in page
    answer = member.post(reverse("partners:close", args=[post.pk]), follow=True)
    assert "The fund has hidden this post" in answer.text
    post.refresh_from_db()
    assert post.status == "hidden"


def test_hiding_a_post_without_a_reason_is_refused_with_a_message(
    cast: demo.Cast, post: PartnerPost
) -> None:
    url = reverse("admin:partners_partnerpost_transition", args=[post.pk, "hide"])
    with unchanged(post):
        answer = admin_client(cast).post(url, {"reason": "  "})
    assert answer.status_code == 200 and "Please give the reason." in answer.text


def test_an_administrator_hides_and_shows_a_message_with_audit_rows(
    cast: demo.Cast, post: PartnerPost, other_applicant: Any
) -> None:
    message = services.send_message(post, by=other_applicant, body="Bonjour", language="fr")
    report = services.report_abuse(message=message, by=cast.applicant, reason="offensive")
    services.hide_reported(report, by=cast.admin)
    message = services.show_message(message, by=cast.admin)
    assert message.status == "visible" and message.hidden_at is None
    assert steps_of(message) == [
        ("visible", "hide", "hidden", cast.admin),
        ("hidden", "show", "visible", cast.admin),
    ]
    assert AbuseReport.objects.get().status == "acted"
    with unchanged(message), pytest.raises(TransitionForbidden):
        services.hide_message(message, by=cast.applicant)
