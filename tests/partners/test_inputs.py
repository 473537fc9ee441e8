"""Bad input gets a clear message and loses nothing: a huge text, a NUL byte, a country the fund
does not connect, a period that ends before it begins; and only the posting organisation's
members change a post."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from demo import builders as demo
from partners import services
from partners.models import TEXT_MAX, PartnerPost

GOOD = {
    "title": "Theatergruppe sucht Partner",
    "country": "FR",
    "text": "Wir spielen Improtheater.",
    "language": "de",
}


@pytest.fixture
def member(cast: demo.Cast, client: Client) -> Client:
    client.force_login(cast.applicant)
    return client


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"text": "x" * (TEXT_MAX + 1)}, "text", "at most 3000 characters"),
        ({"title": "Theater\x00gruppe"}, "title", "invalid character"),
        ({"text": "Wir\x00spielen"}, "text", "invalid character"),
        ({"country": "IT"}, "country", "connects partners in DE, FR only"),
        (
            {"period_from": "2027-06-10", "period_to": "2027-06-01"},
            "period_to",
            "cannot end before",
        ),
        ({"regions": ["DE-BY"]}, "regions", "not in the country sought"),
    ],
)
def test_a_bad_post_is_refused_with_a_clear_message(
    member: Client, change: dict[str, Any], field: str, words: str
) -> None:
    answer = member.post(reverse("partners:create"), {**GOOD, **change})
    assert answer.status_code == 200
    assert words in answer.text
    assert not PartnerPost.objects.exists()
    # What was typed is still in the form.
    assert "Theater" in answer.text


def test_the_service_refuses_a_country_outside_the_fund_through_every_door(
    cast: demo.Cast,
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.create_post(cast.organisation, fund=cast.fund, by=cast.applicant, **{**GOOD, "country": "PL"})  # fmt: skip
    assert "country" in refused.value.message_dict


def test_a_huge_message_and_a_nul_byte_are_refused(
    post: PartnerPost, other_applicant: Any, client: Client
) -> None:
    client.force_login(other_applicant)
    url = reverse("partners:contact", args=[post.pk])
    huge = client.post(url, {"body": "a" * 10_000})
    assert huge.status_code == 200 and "at most 2000 characters" in huge.text
    nul = client.post(url, {"body": "Bon\x00jour"})
    assert nul.status_code == 200 and "invalid character" in nul.text
    assert not post.messages.exists()


def test_other_organisations_cannot_edit_renew_or_close_a_post(
    post: PartnerPost, other_applicant: Any, client: Client
) -> None:
    client.force_login(other_applicant)
    assert client.get(reverse("partners:edit", args=[post.pk])).status_code == 403
    assert client.post(reverse("partners:edit", args=[post.pk]), GOOD).status_code == 403
    assert client.post(reverse("partners:renew", args=[post.pk])).status_code == 403
    assert client.post(reverse("partners:close", args=[post.pk])).status_code == 403
    post.refresh_from_db()
    assert post.status == "open" and post.title.startswith("Chor")
    with pytest.raises(services.TransitionForbidden):
        services.update_post(post, by=other_applicant, title="Übernommen")


def test_a_member_edits_the_post_and_the_filters_follow(
    post: PartnerPost, member: Client, client: Client
) -> None:
    answer = member.post(reverse("partners:edit", args=[post.pk]), {**GOOD, "regions": ["FR-BRE"]})
    assert answer.status_code == 302
    post.refresh_from_db()
    assert post.title == GOOD["title"] and post.regions == ["FR-BRE"]
    assert post.title in client.get(reverse("partners:list"), {"region": "FR-BRE"}).text
    assert post.title not in client.get(reverse("partners:list"), {"region": "FR-BFC"}).text
