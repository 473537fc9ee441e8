"""'Apply with this partner': a member of another organisation starts a draft with the posting
organisation as partner, through the applicant side's draft service."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from applications.models import Application
from demo import builders as demo
from partners.models import PartnerPost


def test_apply_with_this_partner_starts_a_draft_with_the_partner(
    cast: demo.Cast,
    post: PartnerPost,
    other_applicant: Any,
    other_organisation: Any,
    client: Client,
) -> None:
    client.force_login(other_applicant)
    answer = client.post(reverse("partners:apply", args=[post.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    draft = Application.objects.get(organisation=other_organisation)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("applications:draft_section", args=[draft.pk, "partners"])
    assert draft.status == "draft" and draft.created_by == other_applicant
    assert draft.language == "fr" and draft.themes == ["culture"]
    (partner,) = draft.partners.all()
    organisation = cast.organisation
    assert (partner.name, partner.country, partner.city) == (
        organisation.name, organisation.country, organisation.city,
    )  # fmt: skip
    assert partner.contact_email == ""  # no address is disclosed by the exchange


def test_the_poster_cannot_apply_with_itself(
    cast: demo.Cast, post: PartnerPost, client: Client
) -> None:
    client.force_login(cast.applicant)
    answer = client.post(reverse("partners:apply", args=[post.pk]))
    assert answer.status_code == 302 and answer["Location"] == post.get_absolute_url()
    assert not Application.objects.exists()


def test_someone_without_an_organisation_registers_one_first(
    post: PartnerPost, client: Client
) -> None:
    client.force_login(demo.make_user("newcomer"))
    answer = client.post(reverse("partners:apply", args=[post.pk]))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("applications:organisation_create"))
    assert not Application.objects.exists()


def test_an_anonymous_visitor_is_led_to_sign_in_and_back(post: PartnerPost, client: Client) -> None:
    answer = client.post(reverse("partners:apply", args=[post.pk]))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
    page = client.get(post.get_absolute_url()).text
    assert f"{reverse('accounts:signup')}?next=%2Fpartners%2F{post.pk}%2F%23contact" in page
