"""Pages name roles, countries and languages in the reader's language, never by their codes."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from demo import builders as demo


def page(user: Any, url: str, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    answer = client.get(url)
    assert answer.status_code == 200
    return answer.content.decode()


def test_a_reviewers_queue_names_the_country_and_the_language(cast: demo.Cast, drive: Any) -> None:  # fmt: skip
    drive("submitted")
    html = page(cast.reviewer, reverse("reviews:queue", args=["formal_check"]), "fr")
    assert "(Allemagne)" in html and "(DE)" not in html
    assert "<td>allemand</td>" in html and "<td>de</td>" not in html


def test_the_staff_list_names_the_roles(cast: demo.Cast) -> None:
    html = page(cast.manager, reverse("applications:home"), "de")
    assert "Programmverantwortliche/r" in html and "programme_manager" not in html


def test_participants_from_elsewhere_are_named_other_countries() -> None:
    from django.utils import translation

    from organisations.choices import country_name

    with translation.override("en"):
        assert country_name("ZZ") == "other countries"
        assert country_name("de") == "Germany"
        assert country_name("XX") == "XX"  # a code the portal does not name stays as it is
