"""Search engines and feed readers find the fund's public side: every page has an address per
language with its alternates, a sitemap lists them, robots.txt keeps crawlers out of the
signed-in areas, and an Atom feed announces the open calls."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

from django.urls import reverse

from demo import builders as demo
from grants.models import Call
from public.models import Page, PageKind
from workflows import clock

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def test_an_address_with_a_language_shows_the_page_in_it_and_remembers_it(
    client: Any, cast: demo.Cast
) -> None:
    client.cookies["django_language"] = "de"
    french = client.get(reverse("public:home") + "?lang=fr")
    assert "Appels ouverts" in french.content.decode()
    assert french.cookies["django_language"].value == "fr"
    # The next page, without ?lang, stays in French.
    assert "Appels ouverts" in client.get(reverse("public:home")).content.decode()
    # A language we do not have is ignored, not an error.
    assert client.get(reverse("public:home") + "?lang=xx").status_code == 200


def test_a_public_page_names_its_canonical_address_its_languages_and_its_preview(
    client: Any, cast: demo.Cast
) -> None:
    page = client.get(reverse("public:home") + "?lang=fr").content.decode()
    assert '<link rel="canonical" href="http://testserver/?lang=fr">' in page
    for code in ("de", "fr", "en"):
        assert (
            f'<link rel="alternate" hreflang="{code}" href="http://testserver/?lang={code}">'
            in page
        )
    assert '<link rel="alternate" hreflang="x-default" href="http://testserver/">' in page
    assert '<meta property="og:url" content="http://testserver/?lang=fr">' in page
    assert '<meta property="og:locale" content="fr_FR">' in page
    assert f'<meta property="og:title" content="{cast.fund.name_fr}">' in page
    assert 'href="/feed.atom?lang=fr"' in page
    # The language menu is links to these addresses; nothing belongs to one visitor.
    assert 'hreflang="de" lang="de"' in page
    assert "csrfmiddlewaretoken" not in page and "X-CSRFToken" not in page


def test_robots_txt_keeps_crawlers_out_of_the_signed_in_areas_and_names_the_sitemap(
    client: Any, db: Any
) -> None:
    answer = client.get("/robots.txt")
    assert answer["Content-Type"].startswith("text/plain")
    lines = answer.content.decode().splitlines()
    for area in ("/admin/", "/api/", "/accounts/", "/review/", "/finance/", "/applications/"):
        assert f"Disallow: {area}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_the_sitemap_lists_every_public_page_in_each_language_with_its_alternates(
    client: Any, cast: demo.Cast
) -> None:
    Page.objects.create(kind=PageKind.IMPRINT, title_de="Impressum", body_de="…", is_published=True)
    Page.objects.create(kind=PageKind.FAQ, title_de="Fragen", body_de="Entwurf")

    root = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 - our own answer
    locations = [url.findtext(f"{SITEMAP}loc") for url in root.iter(f"{SITEMAP}url")]
    for code in ("de", "fr", "en"):
        assert f"http://testserver/?lang={code}" in locations
        assert f"http://testserver/pages/imprint/?lang={code}" in locations
    assert not any("/pages/faq/" in location for location in locations)  # a draft

    home = next(
        url
        for url in root.iter(f"{SITEMAP}url")
        if url.findtext(f"{SITEMAP}loc").endswith("/?lang=fr")
    )
    alternates = {link.get("hreflang"): link.get("href") for link in home.iter(f"{XHTML}link")}
    assert alternates["de"] == "http://testserver/?lang=de"
    assert alternates["en"] == "http://testserver/?lang=en"
    assert "x-default" in alternates


def test_the_feed_announces_open_calls_in_the_language_asked_for(
    client: Any, cast: demo.Cast
) -> None:
    programme = cast.fund.programmes.order_by("pk").first()
    today = clock.today()
    open_call = Call.objects.create(
        programme=programme, title="Rencontres 2027", opens_on=today - timedelta(days=3), closes_on=today + timedelta(days=30)
    )  # fmt: skip
    Call.objects.create(
        programme=programme, title="Vergangen", opens_on=today - timedelta(days=90), closes_on=today - timedelta(days=1)
    )  # fmt: skip

    answer = client.get("/feed.atom?lang=fr")
    assert answer["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(answer.content)  # noqa: S314 - our own answer
    entries = list(feed.iter(f"{ATOM}entry"))
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles == ["Appel ouvert\u00a0: Rencontres 2027"]
    entry = entries[0]
    link = entry.find(f"{ATOM}link").get("href")
    assert link == f"http://testserver/?lang=fr#call-{open_call.pk}"
    assert re.fullmatch(r"tag:testserver,\d{4}-\d\d-\d\d:call-\d+:fr", entry.findtext(f"{ATOM}id"))
    home = client.get(link.split("#")[0]).content.decode()
    assert f'id="call-{open_call.pk}"' in home
