"""When something goes wrong, the visitor still sees the site, in their language, with a way
back: 400, 403, 404, a refused form (CSRF) and 500, the last even with the database down."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from demo import builders as demo


def test_an_unknown_address_answers_404_in_the_layout_and_the_visitors_language(db: Any) -> None:
    answer = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/nulle-part/")
    html = answer.content.decode()
    assert answer.status_code == 404
    assert '<html lang="fr">' in html and 'class="site-header"' in html
    assert "Page introuvable" in html
    assert f'href="{reverse("public:home")}"' in html


def test_a_page_the_role_may_not_open_answers_403_with_a_way_back(cast: demo.Cast) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(cast.applicant)
    came_from = "http://testserver" + reverse("applications:home")
    answer = client.get(reverse("finance:payments"), HTTP_REFERER=came_from)
    html = answer.content.decode()
    assert answer.status_code == 403
    assert "Sie dürfen diese Seite nicht öffnen" in html and 'class="site-header"' in html
    assert f'href="{came_from}"' in html  # back to where they were


def test_the_way_back_never_leads_to_another_site(cast: demo.Cast) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cast.applicant)
    answer = client.get(reverse("finance:payments"), HTTP_REFERER="https://evil.example/phish")
    assert answer.status_code == 403
    assert "evil.example" not in answer.content.decode()


def test_a_request_for_a_foreign_host_answers_400_in_the_layout(db: Any) -> None:
    answer = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="evil.example").get("/")
    assert answer.status_code == 400
    assert "The request could not be read" in answer.content.decode()


def test_a_form_sent_without_its_csrf_token_says_what_to_do_in_french(db: Any) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="fr")
    answer = client.post(reverse("login"), {"username": "x", "password": "y"})
    html = answer.content.decode()
    assert answer.status_code == 403
    assert "Le formulaire n’a pas pu être envoyé" in html and 'class="site-header"' in html


@pytest.mark.django_db
def test_the_500_page_shows_even_when_the_database_is_down(settings: Any) -> None:
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False

    def database_down(*args: Any) -> Any:
        raise OperationalError("connection refused")

    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="de")
    with connection.execute_wrapper(database_down):
        answer = client.get(reverse("public:projects"))
    html = answer.content.decode()
    assert answer.status_code == 500
    assert '<html lang="de">' in html and "Auf unserer Seite ist etwas schiefgegangen" in html
