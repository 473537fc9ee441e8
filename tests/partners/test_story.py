"""The partner exchange's story: an association posts what it looks for, a visitor browses
without signing in, another association writes through the platform, the message reaches the
poster by e-mail in the poster's language without the sender's address, and only the reply
discloses both addresses."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from demo import builders as demo
from organisations.choices import LegalForm
from partners import services
from partners.models import PartnerMessage, PartnerPost
from tests.partners.conftest import post_for


def test_a_member_posts_what_the_organisation_looks_for(cast: demo.Cast, client: Client) -> None:
    client.force_login(cast.applicant)
    answer = client.post(
        reverse("partners:create"),
        {
            "title": "Sportverein sucht Partnerverein",
            "country": "FR",
            "regions": ["FR-GES"],
            "themes": ["health"],
            "formats": ["sport"],
            "target_groups": ["youth"],
            "languages": ["de", "fr"],
            "period_from": "2027-05-01",
            "period_to": "2027-05-10",
            "text": "Jugendfußball, 14 bis 16 Jahre.",
            "language": "de",
        },
    )
    post = PartnerPost.objects.get()
    assert answer.status_code == 302 and answer["Location"] == post.get_absolute_url()
    assert (post.organisation, post.country, post.regions) == (cast.organisation, "FR", ["FR-GES"])
    assert post.is_live()
    assert sorted(post.facets.values_list("kind", "code")) == [
        ("format", "sport"), ("language", "de"), ("language", "fr"),
        ("region", "FR-GES"), ("target_group", "youth"), ("theme", "health"),
    ]  # fmt: skip


def test_visitors_browse_and_filter_without_signing_in(
    cast: demo.Cast, post: PartnerPost, client: Client, django_assert_max_num_queries: Any
) -> None:
    post_for(cast, title="Schule sucht Schule", regions=["FR-BRE"], themes=["europe"])
    with django_assert_max_num_queries(6):
        answer = client.get(reverse("partners:list"))
    assert answer.status_code == 200
    assert "Chor aus Köln" in answer.text and "Schule sucht Schule" in answer.text

    filtered = client.get(reverse("partners:list"), {"region": "FR-BFC", "theme": "culture"})
    assert "Chor aus Köln" in filtered.text and "Schule sucht Schule" not in filtered.text
    by_language = client.get(reverse("partners:list"), {"language": "en"})
    assert "Chor aus Köln" not in by_language.text

    nonsense = client.get(reverse("partners:list"), {"region": "XX-<script>"})
    assert nonsense.status_code == 200  # the filter says what is wrong, no 500


def test_the_post_page_shows_only_the_organisations_public_face(
    cast: demo.Cast, post: PartnerPost, client: Client
) -> None:
    organisation = cast.organisation
    answer = client.get(post.get_absolute_url())
    assert answer.status_code == 200
    assert organisation.name in answer.text and organisation.city in answer.text
    for private in (organisation.street, organisation.iban, cast.applicant.email):
        assert private not in answer.text
    assert reverse("login") in answer.text  # anonymous: sign in (or up) to write


def test_an_informal_group_is_not_named(cast: demo.Cast, client: Client) -> None:
    applicant = demo.make_user("group-member")
    group = demo.make_organisation(
        applicant,
        name="Die drei von der Tankstelle",
        legal_form=LegalForm.INFORMAL_GROUP,
        group_members=["Anna Beispiel", "Bernd Beispiel", "Clara Beispiel"],
        city="Freiburg",
    )
    post = services.create_post(
        group, fund=cast.fund, by=applicant, title="Gruppe sucht Gruppe", country="FR",
        text="Wir wandern gern.", language="de",
    )  # fmt: skip
    for url in (post.get_absolute_url(), reverse("partners:list")):
        page = client.get(url).text
        assert "Freiburg" in page
        assert "Tankstelle" not in page and "Anna Beispiel" not in page


def test_contact_is_relayed_in_the_posters_language_and_addresses_follow_the_reply(
    cast: demo.Cast,
    post: PartnerPost,
    other_applicant: Any,
    client: Client,
    committed: Any,
) -> None:
    # An anonymous visitor is led through sign-in and back to the post.
    anonymous = client.post(reverse("partners:contact", args=[post.pk]), {"body": "Hallo"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))

    client.force_login(other_applicant)
    with committed():
        answer = client.post(
            reverse("partners:contact", args=[post.pk]),
            {"body": "Bonjour ! Notre chorale de Dijon aimerait chanter avec vous.", "website": ""},
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    assert answer.status_code == 302
    message = PartnerMessage.objects.get()
    assert message.language == "fr" and message.sender == other_applicant
    # Stored first, then relayed to A's members, in the post's language (German).
    (relayed,) = mail.outbox
    assert relayed.to == [cast.applicant.email]
    assert "Nachricht" in relayed.subject
    assert "Notre chorale de Dijon" in relayed.body
    assert other_applicant.email not in relayed.body + relayed.subject + str(relayed.reply_to)

    # The poster reads it in the inbox: the sender's address is not revealed before the reply.
    poster = Client()
    poster.force_login(cast.applicant)
    assert post.title in poster.get(reverse("partners:inbox")).text
    page = poster.get(reverse("partners:message", args=[message.pk]))
    assert "Notre chorale de Dijon" in page.text
    assert other_applicant.email not in page.text
    sender_view = client.get(reverse("partners:message", args=[message.pk]))
    assert cast.applicant.email not in sender_view.text

    # The reply: relayed to the sender in the sender's language (French), with the address.
    mail.outbox.clear()
    with committed():
        replied = poster.post(
            reverse("partners:message", args=[message.pk]), {"body": "Gerne! Schreiben Sie uns."}
        )
    assert replied.status_code == 302
    (reply,) = mail.outbox
    assert reply.to == [other_applicant.email]
    assert "a répondu" in reply.subject
    assert cast.applicant.email in reply.body
    # From now on both sides see the other's address.
    assert other_applicant.email in poster.get(reverse("partners:message", args=[message.pk])).text
    assert cast.applicant.email in client.get(reverse("partners:message", args=[message.pk])).text


def test_the_poster_cannot_contact_its_own_post(
    cast: demo.Cast, post: PartnerPost, client: Client
) -> None:
    client.force_login(cast.applicant)
    answer = client.post(reverse("partners:contact", args=[post.pk]), {"body": "Hallo"})
    assert answer.status_code == 302
    assert not PartnerMessage.objects.exists()


def test_a_message_is_seen_only_by_its_two_sides(
    cast: demo.Cast, post: PartnerPost, other_applicant: Any, client: Client
) -> None:
    message = services.send_message(post, by=other_applicant, body="Salut", language="fr")
    stranger = demo.make_user("stranger")
    demo.make_organisation(stranger, name="Verein Dritte", city="Bonn")
    client.force_login(stranger)
    assert client.get(reverse("partners:message", args=[message.pk])).status_code == 404
    assert (
        client.post(reverse("partners:message", args=[message.pk]), {"body": "x"}).status_code
        == 404
    )
    # The sender cannot answer their own message in the organisation's name.
    client.force_login(other_applicant)
    assert (
        client.post(reverse("partners:message", args=[message.pk]), {"body": "x"}).status_code
        == 403
    )
