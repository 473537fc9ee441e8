"""Saved filters: a manager filters the decisions list, saves the filter under a name, finds it
again on the list (its link is the list's address with the filter, so it can be shared),
and deletes it. A filter with a field the list does not know is refused with a message that
names it, and nothing is saved; lists one may not open take no filters of theirs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from workflows import saved_filters
from workflows.models import SavedFilter


@pytest.fixture(autouse=True)
def in_english() -> Any:
    with translation.override("en"):
        yield


def signed_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


DECISIONS = "/review/decisions/"


def test_a_manager_saves_applies_and_deletes_a_filter(cast, drive):
    german = drive("reviewed")
    client = signed_in(cast.manager)

    saved = client.post(
        reverse("accounts:save_filter"),
        {"path": DECISIONS, "query": "country=DE&page=2", "name": "  Deutsche   Anträge "},
    )
    mine = SavedFilter.objects.get(user=cast.manager)
    page = client.get(DECISIONS).content.decode()
    applied = client.get(mine.url)

    assert saved.status_code == 302 and saved["Location"] == f"{DECISIONS}?country=DE"
    assert (mine.name, mine.query, mine.view_name) == (
        "Deutsche Anträge",
        "country=DE",
        "reviews:decisions",
    )
    assert f'href="{DECISIONS}?country=DE"' in page and "Deutsche Anträge" in page
    assert "http://testserver/review/decisions/?country=DE" in page  # the link to share
    assert applied.status_code == 200 and german.reference in applied.content.decode()

    deleted = client.post(reverse("accounts:delete_filter", args=[mine.pk]))

    assert deleted.status_code == 302 and deleted["Location"] == DECISIONS
    assert not SavedFilter.objects.exists()


def test_a_filter_with_unknown_fields_is_refused_with_a_clear_message(cast):
    client = signed_in(cast.manager)

    answer = client.post(
        reverse("accounts:save_filter"),
        {"path": DECISIONS, "query": "country=DE&colour=blue&sort=x", "name": "Bunt"},
        follow=True,
    )

    text = answer.content.decode()
    assert answer.status_code == 200
    assert "This list has no filter called colour, sort" in text
    assert "category, country, programme, waiting" in text
    assert not SavedFilter.objects.exists()


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("", "Leer", "Choose at least one filter"),
        ("page=3", "Nur Seite", "Choose at least one filter"),
        ("country=", "Leer", "Choose at least one filter"),
        ("country=DE", "   ", "Give the filter a name"),
        ("country=DE", "x" * 81, "at most 80 characters"),
        ("country=" + "D" * 1000, "Lang", "too long"),
    ],
)
def test_bad_filters_are_refused_by_the_service(cast, query, name, message):
    with pytest.raises(ValidationError) as refused:
        saved_filters.save_filter(cast.manager, path=DECISIONS, query=query, name=name)

    assert message in " ".join(refused.value.messages)
    assert not SavedFilter.objects.exists()


def test_a_page_without_saved_filters_takes_none(cast):
    client = signed_in(cast.manager)
    for path in ("/", "/admin/", "//evil.example/review/decisions/", "https://evil.example/"):
        answer = client.post(
            reverse("accounts:save_filter"), {"path": path, "query": "a=b", "name": "x"}
        )
        assert answer.status_code == 302
        assert answer["Location"].startswith("/")
        assert not answer["Location"].startswith("//")
    assert not SavedFilter.objects.exists()


def test_a_list_one_may_not_open_takes_no_filter_of_theirs(cast):
    with pytest.raises(PermissionDenied):
        saved_filters.save_filter(cast.applicant, path=DECISIONS, query="country=DE", name="x")
    answer = signed_in(cast.reviewer).post(
        reverse("accounts:save_filter"), {"path": DECISIONS, "query": "country=DE", "name": "x"}
    )

    assert answer.status_code == 403  # reviewers do not decide
    assert not SavedFilter.objects.exists()


def test_saving_under_the_same_name_replaces_the_filter(cast):
    first = saved_filters.save_filter(cast.manager, path=DECISIONS, query="country=DE", name="A")
    again = saved_filters.save_filter(cast.manager, path=DECISIONS, query="country=FR", name="A")

    assert first.pk == again.pk
    assert SavedFilter.objects.get().query == "country=FR"


def test_filters_are_per_person_and_per_list(cast):
    saved_filters.save_filter(cast.manager, path=DECISIONS, query="country=DE", name="DE")
    saved_filters.save_filter(
        cast.reviewer, path="/review/queue/assessment/", query="language=fr&sort=waiting", name="FR"
    )

    assert [f.name for f in saved_filters.filters_of(cast.manager, DECISIONS)] == ["DE"]
    assert saved_filters.filters_of(cast.reviewer, DECISIONS) == []
    assert [
        f.query for f in saved_filters.filters_of(cast.reviewer, "/review/queue/assessment/")
    ] == ["language=fr&sort=waiting"]
    assert saved_filters.filters_of(cast.reviewer, "/review/queue/formal_check/") == []


def test_one_cannot_delete_anothers_filter(cast):
    theirs = saved_filters.save_filter(cast.manager, path=DECISIONS, query="country=DE", name="DE")

    answer = signed_in(cast.admin).post(reverse("accounts:delete_filter", args=[theirs.pk]))

    assert answer.status_code == 404
    assert SavedFilter.objects.filter(pk=theirs.pk).exists()


def test_every_registered_list_shows_the_panel(cast):
    client = signed_in(cast.admin)
    for entry in saved_filters.registered_lists():
        path = reverse(
            entry.view_name,
            kwargs={"kind": "assessment"} if entry.view_name == "reviews:queue" else None,
        )
        saved_filters.save_filter(
            cast.admin, path=path, query=f"{sorted(entry.fields)[0]}=1", name="Eins"
        )

        page = client.get(path).content.decode()

        assert "Saved filters" in page and "Eins" in page, entry.view_name


def test_the_finance_lists_take_their_own_fields(cast):
    saved = saved_filters.save_filter(
        cast.finance, path="/finance/", query="country=FR&amount_from=100", name="Frankreich"
    )
    assert saved.query == "amount_from=100&country=FR"
    with pytest.raises(ValidationError):
        saved_filters.save_filter(
            cast.finance, path="/finance/", query="waiting=reviewed", name="x"
        )
