"""A published project is announced in the feed and listed in the sitemap, and its page says what
it is to link previews. When the organisation withdraws its consent, the project leaves every
public door at once, although each of them was cached for visitors a moment before."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo import builders as demo
from demo.showcase import publish_project
from grants.models import Grant
from public import services
from public.models import ProjectShowcase
from workflows.visitor_cache import invalidate_public_pages

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def published(drive: Any, cast: demo.Cast) -> ProjectShowcase:
    application = drive("approved", "accepted", title="Chorfestival Köln–Lyon 2026")
    grant = Grant.objects.get(application=application)
    return publish_project(grant, by=cast.applicant, moderator=cast.manager, photos=1)


def public_doors(client: Any, showcase: ProjectShowcase) -> dict[str, Any]:
    """What a visitor gets at each door where the project could show."""
    feed = ET.fromstring(client.get("/feed.atom?lang=de").content)  # noqa: S314 - our own answer
    return {
        "page": client.get(showcase.get_absolute_url()).status_code,
        "list": showcase.title in client.get(reverse("public:projects")).content.decode(),
        "map": "North Rhine-Westphalia: 1 project"  # the cast's organisation is in Köln
        in client.get(reverse("public:project_map") + "?lang=en").content.decode(),
        "feed": showcase.title in [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")],
        "sitemap": showcase.get_absolute_url() in client.get("/sitemap.xml").content.decode(),
    }


def test_a_published_project_is_in_the_feed_and_the_sitemap_with_a_preview_image(
    client: Any, published: ProjectShowcase
) -> None:
    doors = public_doors(client, published)
    assert doors == {"page": 200, "list": True, "map": True, "feed": True, "sitemap": True}
    page = client.get(published.get_absolute_url() + "?lang=fr").content.decode()
    assert '<meta property="og:type" content="article">' in page
    assert f'<meta property="og:title" content="{published.title}">' in page
    photo = published.photos.get()
    assert (
        f'<meta property="og:image" content="http://testserver{photo.get_absolute_url()}">' in page
    )


def test_withdrawn_consent_leaves_every_door_through_the_cache(
    client: Any, cast: demo.Cast, published: ProjectShowcase
) -> None:
    public_doors(client, published)  # every door now cached for visitors
    services.withdraw_consent(published, by=cast.applicant)

    doors = public_doors(client, published)
    assert doors["page"] == 410
    assert not doors["list"] and not doors["map"]
    assert not doors["feed"] and not doors["sitemap"]


def test_the_sitemap_and_the_feed_read_the_same_queries_for_one_project_or_three(
    client: Any, drive: Any, cast: demo.Cast, published: ProjectShowcase
) -> None:
    def queries(address: str) -> int:
        invalidate_public_pages()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        return len(captured)

    before = {address: queries(address) for address in ("/sitemap.xml", "/feed.atom")}
    for title in ("Jugendtreffen Metz–Trier", "Seniorenchor Dijon–Mainz"):
        grant = Grant.objects.get(application=drive("approved", "accepted", title=title))
        publish_project(grant, by=cast.applicant, moderator=cast.manager)
    assert {address: queries(address) for address in before} == before
