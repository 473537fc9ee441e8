"""Staff write the fund's texts (imprint, privacy, FAQ ...) in the admin, in each language;
visitors read them in theirs, or in the fallback language where a translation is missing."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from demo import builders as demo
from public.models import Page, PageKind


def read(client: Any, kind: str, language: str) -> Any:
    client.cookies["django_language"] = language
    return client.get(reverse("public:page", kwargs={"kind": kind}))


def test_a_visitor_reads_a_page_in_their_language_or_the_fallback(client: Any, db: Any) -> None:
    Page.objects.create(
        kind=PageKind.PRIVACY,
        title_de="Datenschutz",
        body_de="Wir speichern nur, was der Antrag braucht.\n\nFragen an datenschutz@example.org.",
        title_fr="Protection des données",
        body_fr="Nous ne conservons que ce que la demande exige.",
        is_published=True,
    )

    german = read(client, "privacy", "de").content.decode()
    assert "<h1>Datenschutz</h1>" in german
    assert german.count("<p>") >= 2  # paragraphs, separated by an empty line
    assert "Nous ne conservons" in read(client, "privacy", "fr").content.decode()
    english = read(client, "privacy", "en").content.decode()
    assert "<h1>Datenschutz</h1>" in english  # no English text: the German one


def test_a_draft_or_an_unknown_page_is_not_there(client: Any, db: Any) -> None:
    Page.objects.create(kind=PageKind.FAQ, title_de="Fragen", body_de="Entwurf")
    assert read(client, "faq", "de").status_code == 404
    assert read(client, "no-such-page", "de").status_code == 404


def test_text_is_shown_as_text_not_as_markup(client: Any, db: Any) -> None:
    Page.objects.create(kind=PageKind.CONTACT, title_de="Kontakt", body_de='<script>alert("x")</script> & Co', is_published=True)  # fmt: skip
    page = read(client, "contact", "de").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page and "&amp; Co" in page


def test_the_home_page_links_the_published_pages(client: Any, cast: demo.Cast) -> None:
    Page.objects.create(kind=PageKind.IMPRINT, title_de="Impressum", body_de="…", title_fr="Mentions légales", body_fr="…", is_published=True)  # fmt: skip
    Page.objects.create(kind=PageKind.FAQ, title_de="Fragen", body_de="Entwurf")

    client.cookies["django_language"] = "fr"
    home = client.get(reverse("public:home")).content.decode()
    assert 'href="/pages/imprint/">Mentions légales</a>' in home
    assert "/pages/faq/" not in home


def test_staff_edit_each_language_in_the_admin(client: Any, cast: demo.Cast) -> None:
    client.force_login(cast.admin)
    add = reverse("admin:public_page_add")
    form = client.get(add).content.decode()
    for field in ("title_de", "title_fr", "title_en", "body_de", "body_fr", "body_en"):
        assert f'name="{field}"' in form

    missing_german = client.post(add, {"kind": "guidelines", "title_fr": "Lignes directrices", "body_fr": "…", "is_published": "on"})  # fmt: skip
    assert missing_german.status_code == 200  # the form again, with what was typed
    assert "Lignes directrices" in missing_german.content.decode()
    assert not Page.objects.exists()

    saved = client.post(add, {"kind": "guidelines", "title_de": "Richtlinien", "body_de": "Text", "title_fr": "Lignes directrices", "body_fr": "Texte", "is_published": "on"})  # fmt: skip
    assert saved.status_code == 302
    page = Page.objects.get()
    assert (page.title_de, page.title_fr, page.title_en) == (
        "Richtlinien",
        "Lignes directrices",
        None,
    )


def test_the_demo_publishes_every_page_in_three_languages(client: Any, db: Any) -> None:
    from demo.pages import ensure_public_pages

    assert ensure_public_pages() == len(PageKind)
    assert ensure_public_pages() == 0  # a second run adds nothing
    for kind in PageKind:
        for language in ("de", "fr", "en"):
            assert read(client, kind, language).status_code == 200
    assert "Mentions légales" in read(client, "imprint", "fr").content.decode()
