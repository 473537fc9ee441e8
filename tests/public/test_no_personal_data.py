"""A visitor who is not signed in can follow every link of the public side, in every language,
and never meets personal data: names of private persons or of informal groups' members,
e-mail addresses, street addresses, IBANs, internal notes. The walk starts at the home page,
the sitemap and the feed, and follows every link that stays on the public side."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from html import unescape
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import Resolver404, resolve

from applications.models import Application, Partner
from grants.models import Grant
from organisations.choices import LegalForm
from organisations.models import Organisation
from reviews.models import Conflict, Review

# URL namespaces of the pages that visitors see without signing in.
PUBLIC_NAMESPACES = {"public", "partners"}
LANGUAGES = ("de", "fr", "en")
# Enough to see every kind of page with many of its objects, not every filter combination.
MOST_ADDRESSES_PER_VIEW = 25
LINK = re.compile(r'(?:href|src)="([^"#]+)')
LOCATION = re.compile(r"<loc>([^<]+)</loc>")


def personal_data() -> dict[str, str]:
    """Every piece of personal data in the database, each with where it comes from."""
    found: dict[str, str] = {}

    def note(value: str | None, source: str, shortest: int = 6) -> None:
        value = (value or "").strip()
        if len(value) >= shortest:
            found[value] = source

    for user in get_user_model().objects.all():
        note(user.email, "a user's e-mail")
        if user.first_name and user.last_name:
            note(f"{user.first_name} {user.last_name}", "a user's name")
    for organisation in Organisation.objects.all():
        note(organisation.email, "an organisation's e-mail")
        note(organisation.street, "a street address")
        note(organisation.iban, "an IBAN")
        if organisation.iban:
            spaced = " ".join(re.findall(".{1,4}", organisation.iban))
            note(spaced, "an IBAN")
        for member in organisation.group_members or []:
            note(str(member), "a member of an informal group")
        if organisation.legal_form == LegalForm.INFORMAL_GROUP:
            note(organisation.bank_account_holder, "a private account holder")
    for partner in Partner.objects.all():
        note(partner.contact_email, "a partner's e-mail")
    internal = "an internal note"
    for application in Application.objects.all():
        note(application.decision_note, internal, 12)
        note(application.change_request_message, internal, 12)
    for grant in Grant.objects.all():
        note(grant.ended_reason, internal, 12)
        note(grant.report_change_message, internal, 12)
    for review in Review.objects.all():
        note(review.comment_internal, internal, 12)
    for conflict in Conflict.objects.all():
        note(conflict.note, internal, 12)
    return found


def public_address(address: str) -> str | None:
    """The path and query of `address` if it is a public page of this site, else None."""
    parts = urlsplit(unescape(address))
    if parts.netloc not in ("", "testserver"):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.namespace not in PUBLIC_NAMESPACES:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def walk(client: Any, language: str) -> Iterator[tuple[str, str]]:
    """(address, text) of every public page reachable from the entrances."""
    client.cookies["django_language"] = language
    queue = ["/", "/sitemap.xml", "/feed.atom"]
    seen: set[str] = set(queue)
    per_view: Counter[str] = Counter()
    while queue:
        address = queue.pop(0)
        answer = client.get(address)
        # A link to a page behind sign-in (writing a post) leads to the sign-in page: not public.
        assert answer.status_code in (200, 302, 410), (address, answer.status_code)
        if answer.status_code == 302:
            assert answer["Location"].startswith("/accounts/login/"), address
            continue
        if answer.status_code != 200 or answer.get("Content-Type", "").startswith("image/"):
            continue
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        text = body.decode()
        yield address, text
        for link in LINK.findall(text) + LOCATION.findall(text):
            target = public_address(link)
            if target is None or target in seen:
                continue
            view = resolve(urlsplit(target).path).view_name
            if per_view[view] >= MOST_ADDRESSES_PER_VIEW:
                continue
            per_view[view] += 1
            seen.add(target)
            queue.append(target)


@pytest.fixture
def demo_world(db: Any) -> None:
    call_command("seed_demo", size=30, seed=11, stdout=StringIO(), stderr=StringIO())


def test_no_public_page_shows_personal_data_in_any_language(client: Any, demo_world: None) -> None:
    secrets = personal_data()
    assert any(source == "a member of an informal group" for source in secrets.values())
    assert any(source == "an IBAN" for source in secrets.values())
    for language in LANGUAGES:  # one seeding for the three walks
        views: Counter[str] = Counter()
        for address, text in walk(client, language):
            views[resolve(urlsplit(address).path).view_name] += 1
            shown = unescape(text)
            leaks = {value: source for value, source in secrets.items() if value in shown}
            assert not leaks, f"{address} ({language}) shows {leaks}"
        # The walk reached every kind of public page, the demo's projects and posts among them.
        for view in ("public:project", "public:projects", "public:project_map", "public:figures",
                     "partners:list", "partners:detail", "public:page", "public:feed"):  # fmt: skip
            assert views[view] > 0, (language, view, views)
