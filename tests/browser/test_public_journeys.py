"""The public side in a real browser: a German visitor goes from the map to a region to a funded
project; a French visitor finds a partner on the exchange, signs up from its post, writes to the
poster and starts an application with that partner. Every wait ends on the page's own signal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from applications.models import Application
from demo import builders as demo
from demo.showcase import publish_project
from grants.models import Grant
from partners import services
from partners.models import PartnerMessage, PartnerPost
from tests.browser.test_journey import PASSWORD, mail_link
from tests.partners.conftest import post_for

pytestmark = pytest.mark.browser

ALT_TEXT = "Teilnehmende beider Städte vor dem Rathaus"  # what demo.showcase gives its photos


def published(cast: demo.Cast, title: str, **drive: Any) -> str:
    """A funded project of `drive`'s organisation, shown with one approved photo; its address."""
    application = demo.drive(cast, "approved", "accepted", title=title, **drive)
    grant = Grant.objects.get(application=application)
    by = drive.get("applicant", cast.applicant)
    showcase = publish_project(grant, by=by, moderator=cast.manager, photos=1)
    return showcase.get_absolute_url()


def english_left_in(text: str, language: str) -> list[str]:
    """Sentences of the interface that the language's catalogue translates but the page shows
    in English: untranslated text."""
    catalogue = translation.trans_real.translation(language)._catalog  # type: ignore[attr-defined]
    sentences = [
        msgid
        for msgid, msgstr in catalogue.items()
        if isinstance(msgid, str) and msgstr != msgid and len(msgid) >= 12 and " " in msgid and "%" not in msgid
    ]  # fmt: skip
    return [sentence for sentence in sentences if sentence in text]


def speaks(page: Any, language: str) -> None:
    """The page is in `language`, with no sentence of the interface left in English."""
    assert page.locator("html").get_attribute("lang") == language
    assert english_left_in(page.inner_text("body"), language) == []


@pytest.mark.parametrize("language", ["de", "fr"])
def test_a_visitor_goes_from_the_map_to_a_region_to_a_project(page: Any, language: str) -> None:
    """In German as the browser asks; in French through the address of a shared link (?lang=fr),
    which the following pages keep."""
    cast = demo.create_cast(demo.setup_fund())
    in_koeln = published(cast, "Chorfestival Köln–Lyon")
    dijon = demo.make_user("applicant-dijon")
    organisation = demo.make_organisation(dijon, name="Association Amitié Dijon–Mainz", country="FR")  # fmt: skip
    published(cast, "Atelier climat Dijon", organisation=organisation, applicant=dijon)

    page.goto(f"{page.base}/" + ("?lang=fr" if language == "fr" else ""))
    speaks(page, language)
    page.click("main a[href='/projects/map/']")
    page.wait_for_url(f"{page.base}/projects/map/")
    speaks(page, language)
    # The tile of North Rhine-Westphalia counts the project from Köln; it is a link.
    tile = page.locator("svg.tile-map a[href='/projects/?region=DE-NW']")
    assert tile.locator("text.count").text_content() == "1"
    tile.click()
    page.wait_for_url(re.compile(r"/projects/\?region=DE-NW$"))
    speaks(page, language)

    cards = page.locator(".project-list .project-card")
    expect(cards).to_have_count(1)  # the project from Dijon is in another region
    assert "Atelier climat" not in page.inner_text("main")
    cards.get_by_role("link", name="Chorfestival Köln–Lyon").click()
    page.wait_for_url(f"{page.base}{in_koeln}")
    speaks(page, language)

    assert page.inner_text("article.project h1") == "Chorfestival Köln–Lyon"
    assert page.inner_text("article.project .pair") == "Köln ⇄ Lyon"
    photo = page.locator("article.project .photos img")
    expect(photo).to_have_count(1)
    assert photo.get_attribute("alt") == ALT_TEXT
    photo.scroll_into_view_if_needed()  # it loads lazily
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("image => image.naturalWidth") > 0  # a real picture, not a broken one


@dataclass(frozen=True)
class Side:
    """One side of the partner story: the visitor's language and organisation, the poster's."""

    language: str
    browser_locale: str
    email: str
    full_name: str
    organisation: dict[str, str]
    message: str


FRENCH_VISITOR = Side(
    "fr", "fr-FR", "claire@example.fr", "Claire Martin",
    {"name": "Chorale Amitié Dijon", "registration": "W212001234", "street": "Place de la Libération 2", "postcode": "21000", "city": "Dijon", "country": "FR"},
    "Bonjour ! Notre chorale de Dijon aimerait chanter avec vous en 2027.",
)  # fmt: skip
GERMAN_VISITOR = Side(
    "de", "de-DE", "jonas@example.de", "Jonas Becker",
    {"name": "Liederkranz Mainz e.V.", "registration": "VR 2207", "street": "Am Markt 5", "postcode": "55116", "city": "Mainz", "country": "DE"},
    "Guten Tag! Unser Chor aus Mainz würde 2027 gern mit Ihnen singen.",
)  # fmt: skip


def posting(cast: demo.Cast, visitor: Side) -> PartnerPost:
    """The post the visitor answers, from the other side of the border, in its own language:
    Köln's choir (German) for the French visitor, Lyon's choir (French) for the German one."""
    if visitor.language == "fr":
        return post_for(cast)
    member = demo.make_user("poster-lyon")
    choir = demo.make_organisation(member, name="Chorale franco-allemande de Lyon", country="FR")
    return services.create_post(
        choir, fund=cast.fund, by=member, title="Chorale de Lyon cherche chorale en Allemagne",
        country="DE", regions=["DE-RP"], themes=["culture"], formats=["concert"],
        languages=["de", "fr"], language="fr",
        text="Nous chantons depuis 1990 et cherchons un chœur pour un concert commun en 2027.",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("browser_locale", "visitor"),
    [
        (FRENCH_VISITOR.browser_locale, FRENCH_VISITOR),
        (GERMAN_VISITOR.browser_locale, GERMAN_VISITOR),
    ],
    ids=["fr", "de"],
)
def test_a_visitor_signs_up_from_a_partner_post_writes_to_the_poster_and_applies_with_it(
    page: Any, visitor: Side
) -> None:
    cast = demo.create_cast(demo.setup_fund())
    post = posting(cast, visitor)
    poster = post.organisation
    (poster_member,) = [membership.user for membership in poster.memberships.all()]
    language = visitor.language
    mail.outbox.clear()

    # Not signed in: the exchange, the post, and a way to create an account.
    page.goto(f"{page.base}/partners/")
    speaks(page, language)
    page.click(f"a[href='{post.get_absolute_url()}']")
    page.wait_for_url(f"{page.base}{post.get_absolute_url()}")
    speaks(page, language)
    assert poster.name in page.inner_text("main")
    page.click("#contact a.button[href^='/accounts/signup/']")
    page.wait_for_url(re.compile(r"/accounts/signup/\?next="))
    speaks(page, language)
    page.fill("#id_email", visitor.email)
    page.fill("#id_full_name", visitor.full_name)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("#signup-form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/signup/inbox/"))
    speaks(page, language)

    # The confirmation link signs the visitor in and brings them back to the post.
    page.goto(mail_link(r"http://\S+/accounts/confirm/\S+/"))
    page.wait_for_url(re.compile(rf"{re.escape(post.get_absolute_url())}#contact$"))
    speaks(page, language)

    # A message through the platform: stored, relayed to the poster's members in the post's
    # language, without the sender's address.
    mail.outbox.clear()
    page.fill("#id_body", visitor.message)
    page.click(f"#contact form[action='/partners/{post.pk}/contact/'] button[type=submit]")
    page.wait_for_selector("ul.messages li.success")
    speaks(page, language)
    message = PartnerMessage.objects.get()
    assert (message.post, message.sender.email, message.body, message.language) == (post, visitor.email, visitor.message, language)  # fmt: skip
    (relayed,) = mail.outbox
    assert relayed.to == [poster_member.email]
    with translation.override(post.language):
        assert relayed.body.startswith(gettext("Hello,"))
        assert gettext("Hello,") != "Hello,"
    assert visitor.message in relayed.body
    assert visitor.email not in relayed.body + relayed.subject + str(relayed.reply_to)

    # "Apply with this partner": the portal first asks for the visitor's organisation, then
    # returns to the post.
    page.click(f"#contact form[action='/partners/{post.pk}/apply/'] button[type=submit]")
    page.wait_for_url(re.compile(r"/organisations/new/\?next="))
    speaks(page, language)
    organisation = visitor.organisation
    page.fill("#id_name", organisation["name"])
    page.check("input[name=legal_form][value=association]")
    page.fill("#id_registration_id", organisation["registration"])
    page.fill("#id_street", organisation["street"])
    page.fill("#id_postcode", organisation["postcode"])
    page.fill("#id_city", organisation["city"])
    page.select_option("#id_country", organisation["country"])
    page.click("#organisation-form button[type=submit]")
    page.wait_for_url(f"{page.base}{post.get_absolute_url()}")
    speaks(page, language)

    page.click(f"#contact form[action='/partners/{post.pk}/apply/'] button[type=submit]")
    page.wait_for_url(re.compile(r"/applications/\d+/edit/partners/$"))
    speaks(page, language)
    application = Application.objects.get(organisation__name=organisation["name"])
    assert page.url.endswith(f"/applications/{application.pk}/edit/partners/")
    assert page.input_value("#id_partners-0-name") == poster.name
    assert page.input_value("#id_partners-0-country") == poster.country
    assert page.input_value("#id_partners-0-city") == poster.city
    assert list(application.partners.values_list("name", flat=True)) == [poster.name]
    # One way to remove the partner: the script's button; the checkbox it replaces is hidden.
    expect(page.locator("[data-row] td.remove button[data-remove-row]")).to_be_visible()
    expect(page.locator("[data-row] td.remove label")).to_be_hidden()
