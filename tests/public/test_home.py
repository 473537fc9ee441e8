"""A visitor who is not signed in finds the fund's programmes, their rules and the open calls,
checks whether a project can be funded, and is led through sign-up into the draft."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from applications.models import Application
from demo import builders as demo
from grants.models import Call, Programme
from workflows import clock

CONFIRM_LINK = re.compile(r"https?://testserver(/accounts/confirm/[^/\s\"<]+/)")


def future(days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("de", ["Offene Ausschreibungen", "Was wir fördern"]),
        ("fr", ["Appels ouverts", "Ce que nous finançons"]),
        ("en", ["Open calls", "What we fund"]),
    ],
)
def test_a_visitor_reads_the_programmes_and_their_rules_from_the_policy(
    client: Any, cast: demo.Cast, language: str, words: list[str]
) -> None:
    client.cookies["django_language"] = language
    page = client.get(reverse("public:home"))

    assert page.status_code == 200
    text = page.content.decode()
    for word in words:
        assert word in text
    with translation.override(language):
        for programme in Programme.objects.filter(fund=cast.fund, is_active=True):
            assert programme.name in text
            assert f'id="programme-{programme.code}"' in text
    # Nothing of the applicants: no organisation, no person, no address.
    private = [cast.organisation.name, cast.applicant.email, cast.applicant.get_full_name()]
    for words_of_a_person in filter(None, private):
        assert words_of_a_person not in text


def test_the_rules_shown_are_the_programmes_own_figures(client: Any, cast: demo.Cast) -> None:
    programme = Programme.objects.filter(fund=cast.fund, is_active=True).order_by("category")[0]
    programme.min_amount, programme.max_amount = Decimal("300.00"), Decimal("1800.00")
    programme.max_share, programme.lead_time_days = Decimal("0.70"), 56
    programme.save()

    client.cookies["django_language"] = "de"
    section = programme_section(client.get(reverse("public:home")), programme)

    assert "300,00" in section and "1.800,00" in section
    assert "70 %" in section
    assert "56 Tage" in section
    earliest = clock.today() + timedelta(days=56)
    assert f"{earliest.day}. " in section


def test_open_calls_show_their_deadline_and_coming_ones_their_dates(
    client: Any, cast: demo.Cast
) -> None:
    programme = Programme.objects.filter(fund=cast.fund, is_active=True).order_by("category")[0]
    today = clock.today()
    Call.objects.create(programme=programme, title="Herbstrunde", opens_on=today - timedelta(days=5), closes_on=today + timedelta(days=20))  # fmt: skip
    Call.objects.create(programme=programme, title="Winterrunde", opens_on=today + timedelta(days=30), closes_on=today + timedelta(days=60))  # fmt: skip
    Call.objects.create(programme=programme, title="Frühjahr vorbei", opens_on=today - timedelta(days=90), closes_on=today - timedelta(days=1))  # fmt: skip

    client.cookies["django_language"] = "en"
    page = client.get(reverse("public:home"))
    open_calls = page.context["open_calls"]
    assert "Herbstrunde" in [call.title for call in open_calls]
    assert "Winterrunde" not in [call.title for call in open_calls]
    section = programme_section(page, programme)
    assert "Herbstrunde: open, apply by" in section
    assert "Winterrunde: opens on" in section
    assert "Frühjahr vorbei" not in page.content.decode()


def test_the_home_page_reads_a_fixed_number_of_queries(client: Any, cast: demo.Cast) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("public:home")).status_code == 200
        return len(captured)

    few = queries()
    programme = Programme.objects.filter(fund=cast.fund).first()
    assert programme is not None
    for n in range(10):
        day = date(clock.today().year + 1, 1, 1) + timedelta(days=n)
        Call.objects.create(programme=programme, title=f"Runde {n}", opens_on=clock.today(), closes_on=day)  # fmt: skip
    assert queries() == few <= 6


def test_signed_in_people_go_on_to_their_start_page(client: Any, cast: demo.Cast) -> None:
    client.force_login(cast.applicant)
    response = client.get(reverse("public:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:home")


def test_an_empty_site_says_so_instead_of_failing(client: Any, db: Any) -> None:
    client.cookies["django_language"] = "en"
    page = client.get(reverse("public:home"))
    assert page.status_code == 200
    assert "no fund set up yet" in page.content.decode()


def test_the_home_page_takes_no_post(client: Any, cast: demo.Cast) -> None:
    assert client.post(reverse("public:home")).status_code == 405


def test_a_visitor_checks_eligibility_signs_up_and_the_answers_go_into_the_draft(
    client: Any, cast: demo.Cast, committed: Any, mailoutbox: Any
) -> None:
    client.cookies["django_language"] = "en"
    answers = {"legal_form": "association", "country": "DE", "amount": "2500", "cross_border_partner": "yes", "start": future(70)}  # fmt: skip
    check = client.get(reverse("applications:eligibility"), answers)
    assert check.status_code == 200
    text = check.content.decode()
    assert "can be funded" in text
    signup_link = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', text)
    assert signup_link, text
    next_url = parse_qs(urlsplit(signup_link.group(1).replace("&amp;", "&")).query)["next"][0]
    assert next_url.startswith(reverse("applications:eligibility") + "?")

    email = "lea.martin@example.org"
    data = {"email": email, "full_name": "Léa Martin", "password1": "Tulpen-im-Herbst-1963", "password2": "Tulpen-im-Herbst-1963", "next": next_url}  # fmt: skip
    with committed():
        assert client.post(reverse("accounts:signup"), data).status_code == 302
    [mail] = mailoutbox
    confirmed = client.get(CONFIRM_LINK.search(mail.body).group(1))  # type: ignore[union-attr]
    assert confirmed.status_code == 302
    assert confirmed["Location"] == next_url  # back to the check, answers and all

    back = client.get(confirmed["Location"])
    assert back.status_code == 200
    assert back.context["form"].is_valid() and back.context["verdict"].eligible
    demo.make_organisation(back.context["user"], name="Städtepartnerschaftsverein Bad Kreuznach")
    started = client.post(reverse("applications:draft_start"), {"title": "Begegnung in Bourg", "amount": back.context["form"].cleaned_data["amount"], "start": back.context["form"].cleaned_data["start"].isoformat()})  # fmt: skip
    assert started.status_code == 302
    draft = Application.objects.get(title="Begegnung in Bourg")
    assert draft.requested_amount == Decimal("2500.00")
    assert draft.start_date.isoformat() == answers["start"]


def programme_section(page: Any, programme: Programme) -> str:
    text = page.content.decode()
    start = text.index(f'id="programme-{programme.code}"')
    return text[start : text.index("</article>", start)]
