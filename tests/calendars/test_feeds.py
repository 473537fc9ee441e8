"""Calendar feeds: each person subscribes to a secret address and sees their deadlines there.
Applicants see the dates of their own organisations' applications and grants, staff the calls'
closing dates and the claims about to expire; a date that moves moves in the calendar (same
UID), and an address revoked, replaced or tampered with shows nothing (404)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from applications.models import Application
from calendars import services
from calendars.models import CalendarFeed
from demo import builders as demo
from grants.models import Call, Grant
from grants.services import decline_offer
from reviews import services as review_services
from reviews.models import ReviewTask, TaskKind
from workflows import clock


@pytest.fixture(autouse=True)
def in_english() -> Any:
    with translation.override("en"):
        yield


def feed_url(user: Any, language: str = "en") -> str:
    _feed, raw = services.issue_feed(user, language=language)
    return reverse("calendars:feed", args=[raw])


def read(url: str) -> Calendar:
    answer = Client().get(url)
    assert answer.status_code == 200, answer.status_code
    assert answer["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(answer.content)


def events(calendar: Calendar) -> dict[str, Any]:
    """The feed's events by UID (without the host part)."""
    return {str(e["uid"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


def day(event: Any) -> Any:
    return event.decoded("dtstart")


def test_an_applicant_sees_reply_offer_report_and_interim_dates(cast, drive):
    changes = drive("changes_requested")
    offered = Grant.objects.get(application=drive("approved", "offered"))
    due = Grant.objects.get(application=drive("approved", "report_due"))
    running = Grant.objects.get(
        application=drive("approved", "accepted", requested=demo.Decimal("12000.00"))
    )
    assert running.interim_report_due_on is not None

    found = events(read(feed_url(cast.applicant)))

    assert day(found[f"application-{changes.pk}-reply"]) == changes.reply_deadline
    assert day(found[f"grant-{offered.pk}-accept"]) == offered.offer_expires_on
    assert day(found[f"grant-{due.pk}-report"]) == due.report_due_on
    assert day(found[f"grant-{running.pk}-interim"]) == running.interim_report_due_on
    reply = found[f"application-{changes.pk}-reply"]
    assert changes.reference in str(reply["summary"])
    assert str(reply["url"]).endswith(f"/applications/{changes.pk}/")
    # Applicants are not staff: no calls, no claims.
    assert not [uid for uid in found if uid.startswith(("call-", "review-task-"))]


def test_a_moved_date_moves_the_event_under_the_same_uid(cast, drive):
    changes = drive("changes_requested")
    url = feed_url(cast.applicant)
    uid = f"application-{changes.pk}-reply"
    before = events(read(url))[uid]

    later = changes.reply_deadline + timedelta(days=10)
    Application.objects.filter(pk=changes.pk).update(reply_deadline=later)
    after = events(read(url))

    assert day(before) == changes.reply_deadline
    assert day(after[uid]) == later
    assert [u for u in after if u.startswith(f"application-{changes.pk}-")] == [uid]


def test_an_offer_declined_leaves_the_feed(cast, drive):
    offered = Grant.objects.get(application=drive("approved", "offered"))
    url = feed_url(cast.applicant)
    assert f"grant-{offered.pk}-accept" in events(read(url))

    decline_offer(offered, by=cast.applicant, reason="Projekt verschoben")

    assert f"grant-{offered.pk}-accept" not in events(read(url))


def test_an_applicant_never_sees_another_organisations_dates(cast, drive, other_applicant):
    ours = drive("changes_requested")
    theirs = drive(
        "changes_requested",
        organisation=other_applicant.memberships.get().organisation,
        applicant=other_applicant,
    )

    mine = events(read(feed_url(cast.applicant)))
    other = events(read(feed_url(other_applicant)))

    assert f"application-{ours.pk}-reply" in mine
    assert f"application-{theirs.pk}-reply" not in mine
    assert f"application-{theirs.pk}-reply" in other
    assert f"application-{ours.pk}-reply" not in other
    body = Client().get(feed_url(other_applicant)).content.decode()
    assert ours.reference not in body and ours.title not in body


def test_staff_see_the_calls_and_claims_about_to_expire(cast, drive):
    submitted = drive("submitted")
    task = ReviewTask.objects.get(application=submitted, kind=TaskKind.FORMAL_CHECK)
    review_services.claim(task, by=cast.reviewer)
    task.refresh_from_db()
    coming = Call.objects.filter(closes_on__gte=clock.today()).first()

    reviewer = events(read(feed_url(cast.reviewer)))
    manager = events(read(feed_url(cast.manager)))
    other_reviewer = events(read(feed_url(cast.reviewer2)))

    claim = reviewer[f"review-task-{task.pk}-claim"]
    assert claim.decoded("dtstart") == task.claim_expires_at.replace(microsecond=0)
    if coming is not None:
        assert day(reviewer[f"call-{coming.pk}-closes"]) == coming.closes_on
    # Managers see every claim they may see; another reviewer only their own.
    assert f"review-task-{task.pk}-claim" in manager
    assert f"review-task-{task.pk}-claim" not in other_reviewer


def test_a_claim_taken_again_later_moves_its_event(cast, drive):
    task = ReviewTask.objects.get(application=drive("submitted"), kind=TaskKind.FORMAL_CHECK)
    review_services.claim(task, by=cast.reviewer)
    url = feed_url(cast.reviewer)
    uid = f"review-task-{task.pk}-claim"
    first = events(read(url))[uid].decoded("dtstart")

    review_services.release(ReviewTask.objects.get(pk=task.pk), by=cast.reviewer)
    assert uid not in events(read(url))
    with clock.travel_to(clock.today() + timedelta(days=1)):
        review_services.claim(ReviewTask.objects.get(pk=task.pk), by=cast.reviewer)
        second = events(read(url))[uid].decoded("dtstart")

    assert second > first


def test_a_reviewer_in_conflict_sees_no_claim_on_that_application(cast, drive):
    submitted = drive("submitted")
    task = ReviewTask.objects.get(application=submitted, kind=TaskKind.FORMAL_CHECK)
    review_services.claim(task, by=cast.reviewer)
    review_services.declare_conflict(submitted, by=cast.manager, note="Vorstand")

    assert f"review-task-{task.pk}-claim" not in events(read(feed_url(cast.manager)))


def test_a_revoked_address_answers_404(cast, drive):
    drive("changes_requested")
    url = feed_url(cast.applicant)
    assert Client().get(url).status_code == 200

    assert services.revoke_feed(cast.applicant)

    assert Client().get(url).status_code == 404
    assert not CalendarFeed.objects.filter(user=cast.applicant).exists()


def test_a_new_address_replaces_the_old_one(cast):
    old = feed_url(cast.applicant)
    new = feed_url(cast.applicant)

    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # the secret changed
        lambda raw: raw[:4] + "00000000" + raw[12:],  # another prefix
        lambda raw: raw + "x",  # too long
        lambda raw: "mgc_" + raw[4:12],  # the prefix alone
        lambda raw: "not-a-token",
    ],
)
def test_a_tampered_address_answers_404(cast, tamper):
    _feed, raw = services.issue_feed(cast.applicant, language="en")

    answer = Client().get(reverse("calendars:feed", args=[tamper(raw)]))

    assert answer.status_code == 404


def test_a_disabled_account_has_no_feed(cast):
    url = feed_url(cast.applicant)
    cast.applicant.is_active = False
    cast.applicant.save(update_fields=["is_active"])

    assert Client().get(url).status_code == 404


def test_the_feed_speaks_the_language_chosen_for_it(cast, drive):
    changes = drive("changes_requested")
    german = events(read(feed_url(cast.applicant, language="de")))
    french = events(read(feed_url(cast.applicant, language="fr")))
    uid = f"application-{changes.pk}-reply"

    assert str(german[uid]["summary"]).startswith("Antwort")
    assert str(french[uid]["summary"]).startswith("Réponse")


def test_the_feed_takes_a_fixed_number_of_queries(cast, drive, django_assert_max_num_queries):
    for _ in range(3):
        drive("changes_requested")
        drive("approved", "offered")
    url = feed_url(cast.applicant)
    client = Client()
    client.get(url)  # stamps the first fetch

    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200


# --- the page of one's calendar address ---------------------------------------------------------


def page_client(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_address_is_shown_once_and_then_only_its_beginning(cast):
    client = page_client(cast.applicant)

    made = client.post(reverse("calendars:page"), {"action": "create", "language": "de"})
    feed = CalendarFeed.objects.get(user=cast.applicant)
    shown = made.content.decode()
    later = client.get(reverse("calendars:page")).content.decode()

    assert made.status_code == 200
    assert f"mgc_{feed.prefix}_" in shown and ".ics" in shown
    assert f"mgc_{feed.prefix}_" not in later and f"mgc_{feed.prefix}" in later
    assert feed.language == "de"
    assert feed.token_hash not in shown  # the hash only, never the secret, is stored


def test_revoking_from_the_page(cast):
    client = page_client(cast.applicant)
    client.post(reverse("calendars:page"), {"action": "create", "language": "en"})

    answer = client.post(reverse("calendars:page"), {"action": "revoke"}, follow=True)

    assert not CalendarFeed.objects.filter(user=cast.applicant).exists()
    assert "revoked" in answer.content.decode()


def test_changing_the_language_keeps_the_address(cast):
    _feed, raw = services.issue_feed(cast.applicant, language="en")
    client = page_client(cast.applicant)

    client.post(reverse("calendars:page"), {"action": "language", "language": "fr"})

    assert CalendarFeed.objects.get(user=cast.applicant).language == "fr"
    assert Client().get(reverse("calendars:feed", args=[raw])).status_code == 200


def test_a_bad_request_on_the_page_is_a_message_not_an_error(cast):
    answer = page_client(cast.applicant).post(
        reverse("calendars:page"), {"action": "explode"}, follow=True
    )

    assert answer.status_code == 200
    assert "Please choose" in answer.content.decode()


def test_a_funder_on_the_website_gets_an_empty_calendar(cast, drive):
    drive("changes_requested")
    drive("approved", "offered")

    found = events(read(feed_url(cast.funder)))

    assert found == {}


def test_finance_sees_the_calls_but_no_ones_claims(cast, drive):
    task = ReviewTask.objects.get(application=drive("submitted"), kind=TaskKind.FORMAL_CHECK)
    review_services.claim(task, by=cast.reviewer)

    found = events(read(feed_url(cast.finance)))

    assert not [uid for uid in found if uid.startswith(("review-task-", "application-", "grant-"))]
