"""Public pages are served from the cache for visitors who are not signed in, per language, and
forgotten as soon as something they show changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test.utils import CaptureQueriesContext

from demo import builders as demo
from grants.models import Call
from public.models import Page, PageKind
from workflows import clock

IMPRINT = "/pages/imprint/"


def imprint(**titles: str) -> Page:
    return Page.objects.create(kind=PageKind.IMPRINT, body_de="…", is_published=True, **titles)


def visit(client: Any, path: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path)
    assert answer.status_code == 200
    return answer.content.decode(), len(queries)


def test_a_second_visitor_gets_the_page_from_the_cache_without_a_query(
    client: Any, cast: demo.Cast
) -> None:
    first, first_queries = visit(client, "/?lang=de")
    again, queries = visit(client, "/?lang=de")
    assert first_queries > 0 and queries == 0
    assert again == first


def test_each_language_has_its_own_cached_copy(client: Any, db: Any) -> None:
    imprint(title_de="Impressum", title_fr="Mentions légales")
    assert "<h1>Impressum</h1>" in visit(client, IMPRINT + "?lang=de")[0]
    assert "<h1>Mentions légales</h1>" in visit(client, IMPRINT + "?lang=fr")[0]
    assert "<h1>Impressum</h1>" in visit(client, IMPRINT + "?lang=de")[0]


def test_editing_a_text_shows_at_once(client: Any, db: Any) -> None:
    page = imprint(title_de="Impressum")
    visit(client, IMPRINT)
    page.title_de = "Impressum und Kontakt"
    page.save()
    assert "<h1>Impressum und Kontakt</h1>" in visit(client, IMPRINT)[0]
    page.is_published = False
    page.save()
    assert client.get(IMPRINT).status_code == 404


def test_a_new_call_shows_on_the_cached_home_page_at_once(client: Any, cast: demo.Cast) -> None:
    visit(client, "/")
    Call.objects.create(
        programme=cast.fund.programmes.order_by("pk").first(),
        title="Begegnungen im Grenzgebiet",
        opens_on=clock.today(),
        closes_on=clock.today() + timedelta(days=20),
    )
    assert "Begegnungen im Grenzgebiet" in visit(client, "/")[0]


def test_signed_in_people_and_waiting_messages_are_never_served_from_the_cache(
    client: Any, cast: demo.Cast
) -> None:
    imprint(title_de="Impressum")
    visit(client, IMPRINT)  # cached for visitors

    client.force_login(cast.applicant)
    signed_in, queries = visit(client, IMPRINT)
    assert queries > 0
    assert "Abmelden" in signed_in  # their own header: never a visitor's cached copy

    client.logout()
    # A message for this visitor alone (as after signing out) is shown to them, not kept.
    request = HttpRequest()
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, "Nur für Sie")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value
    assert "Nur für Sie" in visit(client, IMPRINT)[0]
    del client.cookies["messages"]
    assert "Nur für Sie" not in visit(client, IMPRINT)[0]
