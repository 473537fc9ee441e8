"""The accessibility statement (BITV 2.0, RGAA 4) in each language, linked from every page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from demo import builders as demo
from demo.pages import ensure_public_pages

STATEMENT = reverse("public:page", args=["accessibility"])


@pytest.mark.parametrize(
    ("language", "title", "enforcement"),
    [
        ("de", "Erklärung zur Barrierefreiheit", "Schlichtungsstelle"),
        ("fr", "Déclaration d’accessibilité", "Défenseur des droits"),
        ("en", "Accessibility statement", "conciliation body"),
    ],
)
def test_the_statement_reads_in_each_language(db: Any, language: str, title: str, enforcement: str) -> None:  # fmt: skip
    ensure_public_pages()
    answer = Client(HTTP_ACCEPT_LANGUAGE=language).get(STATEMENT)
    html = answer.content.decode()
    assert answer.status_code == 200
    assert title in html and enforcement in html and "WCAG 2.1" in html


def test_every_page_links_the_statement(cast: demo.Cast) -> None:
    ensure_public_pages()
    signed_in = Client()
    signed_in.force_login(cast.reviewer)
    for client, url in (
        (Client(), reverse("public:home")),
        (Client(), reverse("login")),
        (signed_in, reverse("reviews:overview")),
        (Client(), "/no-such-page/"),
    ):
        assert f'href="{STATEMENT}"' in client.get(url).content.decode(), url
