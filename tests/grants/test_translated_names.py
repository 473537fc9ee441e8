"""The fund's, programmes' and calls' names are written once per language: each reader sees them
in their own language, or in German (then French) where theirs is missing; letters name the
programme in the language of each part; the older "German / French" strings were split."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from applications import documents
from demo import builders as demo
from grants import open_data
from grants.languages import in_language, join_bilingual, split_bilingual
from grants.models import Call, Fund, Programme
from workflows import clock


@pytest.fixture
def category_2(fund: Fund) -> Programme:
    return Programme.objects.get(fund=fund, code="cat-2")


def test_a_french_reader_sees_the_french_programme_name(category_2: Programme):
    with translation.override("fr"):
        assert category_2.name == "Catégorie 2"
        assert str(category_2) == "Catégorie 2"
    with translation.override("de"):
        assert category_2.name == "Kategorie 2"


def test_an_empty_english_name_falls_back_to_german(category_2: Programme):
    category_2.name_en = ""
    category_2.save()
    category_2.refresh_from_db()
    with translation.override("en"):
        assert category_2.name == "Kategorie 2"


def test_the_fund_and_the_calls_are_named_in_the_readers_language(fund: Fund):
    call = Call.objects.filter(programme__code="lighthouse").order_by("closes_on").first()
    assert call is not None
    with translation.override("fr"):
        assert fund.name == "Fonds citoyen franco-allemand (démo)"
        assert fund.short_name == "Fonds citoyen"
        assert call.title.startswith("Catégorie 4 – Projet phare ")
    with translation.override("de"):
        assert call.title.startswith("Kategorie 4 – Leuchtturm ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kategorie 2 / Catégorie 2", ("Kategorie 2", "Catégorie 2")),
        ("Kategorie 4 – Leuchtturm / Projet phare", ("Kategorie 4 – Leuchtturm", "Projet phare")),
        ("Deutsch-Französischer Bürgerfonds", ("Deutsch-Französischer Bürgerfonds", "")),
        # Not one clear pair: kept whole, as German.
        ("A / B / C", ("A / B / C", "")),
        ("Kategorie 2 / ", ("Kategorie 2 /", "")),
        ("Hin/Rückfahrt", ("Hin/Rückfahrt", "")),
        ("", ("", "")),
    ],
)
def test_the_migration_splits_a_bilingual_name_into_german_and_french(text, expected):
    assert split_bilingual(text) == expected


def test_going_back_joins_the_german_and_french_names_again():
    assert join_bilingual("Kategorie 2", "Catégorie 2") == "Kategorie 2 / Catégorie 2"
    assert join_bilingual("Kategorie 2", None) == "Kategorie 2"
    assert join_bilingual(None, "Catégorie 2") == "Catégorie 2"
    assert join_bilingual("Demo", "Demo") == "Demo"
    german, french = split_bilingual("Kategorie 2 / Catégorie 2")
    assert join_bilingual(german, french) == "Kategorie 2 / Catégorie 2"


def test_a_row_of_values_is_read_in_a_language_with_the_same_fallback():
    row = {"programme__name_de": "Kategorie 2", "programme__name_fr": "Catégorie 2", "programme__name_en": None}  # fmt: skip
    assert in_language(row, "programme__name", "fr") == "Catégorie 2"
    assert in_language(row, "programme__name", "en") == "Kategorie 2"
    with translation.override("fr"):
        assert in_language(row, "programme__name") == "Catégorie 2"


def test_the_admin_requires_the_german_title_of_a_call(cast: demo.Cast, category_2: Programme):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cast.admin)
    today = clock.today()
    form = {"programme": category_2.pk, "opens_on": today.isoformat(), "closes_on": today.isoformat()}  # fmt: skip
    page = client.get("/admin/grants/call/add/")
    assert page.status_code == 200
    text = page.content.decode()
    assert all(f'name="title_{code}"' in text for code in ("de", "fr", "en"))

    missing = client.post("/admin/grants/call/add/", {**form, "title_fr": "Appel d'automne"})
    assert missing.status_code == 200
    assert "title_de" in missing.context["adminform"].form.errors
    assert not Call.objects.filter(programme=category_2).exists()

    saved = client.post("/admin/grants/call/add/", {**form, "title_de": "Herbstaufruf"})
    assert saved.status_code == 302
    call = Call.objects.get(programme=category_2)
    with translation.override("fr"):
        assert call.title == "Herbstaufruf"  # no French yet: the German one


def test_the_programme_admin_shows_a_name_field_per_language(cast: demo.Cast, category_2):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cast.admin)
    page = client.get(f"/admin/grants/programme/{category_2.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form.fields["name_de"].required
    assert not form.fields["name_fr"].required and not form.fields["name_en"].required
    assert form.initial["name_fr"] == "Catégorie 2"


def test_a_letter_to_a_french_applicant_names_the_programme_in_french_first(
    cast: demo.Cast, category_2: Programme
):
    application = demo.make_ready_draft(
        cast.organisation, fund=cast.fund, by=cast.applicant, requested=Decimal("7500.00")
    )
    application.programme = category_2
    application.language = "fr"
    application.save(update_fields=["programme", "language"])
    html = documents.render_html("summary", documents.summary_context(application))
    french, german = html.split('<section class="part" lang="')[1:]
    assert french.startswith("fr") and german.startswith("de")
    assert "Catégorie 2" in french and "Kategorie 2" not in french
    assert "Kategorie 2" in german and "Catégorie 2" not in german
    header = html.split('<section class="part"')[0]
    assert "Fonds citoyen franco-allemand (démo)" in header


def test_the_api_names_programmes_and_calls_in_the_readers_language(
    cast: demo.Cast, category_2: Programme
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {cast.funder_token}")
    url = f"/api/v1/programmes/{category_2.pk}/"
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").json()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert (french["name"], english["name"]) == ("Catégorie 2", "Category 2")
    assert (french["fund"], english["fund"]) == ("Fonds citoyen", "Citizens' Fund")
    assert {key: french[key] for key in ("name_de", "name_fr", "name_en")} == {
        "name_de": "Kategorie 2",
        "name_fr": "Catégorie 2",
        "name_en": "Category 2",
    }
    category_2.name_en = ""
    category_2.save()
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["name"] == "Kategorie 2"

    calls: Any = client.get("/api/v1/calls/", HTTP_ACCEPT_LANGUAGE="fr").json()["results"]
    assert calls and all(call["title"].startswith("Catégorie 4") for call in calls)
    assert all(call["title_de"].startswith("Kategorie 4") for call in calls)


@pytest.mark.slow  # migrates the whole chain back and forth: `make test` and CI, not `make check`
@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_stored_names_into_their_languages_and_back() -> None:
    executor = MigrationExecutor(connection)
    after = executor.loader.graph.leaf_nodes()

    def models_at(targets: list[tuple[str, str]]) -> Any:
        runner = MigrationExecutor(connection)
        runner.migrate(targets)
        runner.loader.build_graph()
        return runner.loader.project_state(list(runner.loader.applied_migrations)).apps

    old = models_at([("grants", "0011_payment_machine")])
    try:
        fund = old.get_model("grants", "Fund").objects.create(
            name="Deutsch-Französischer Bürgerfonds", short_name="Bürgerfonds / Fonds citoyen",
            reference_prefix="MG",
        )  # fmt: skip
        old.get_model("grants", "Programme").objects.create(
            fund=fund, code="k2", name="Kategorie 2 / Catégorie 2", payment_plan=[]
        )

        new = models_at([("grants", "0013_split_bilingual_texts")])
        programme = new.get_model("grants", "Programme").objects.get(code="k2")
        assert (programme.name_de, programme.name_fr, programme.name_en) == ("Kategorie 2", "Catégorie 2", None)  # fmt: skip
        moved = new.get_model("grants", "Fund").objects.get(reference_prefix="MG")
        assert (moved.name_de, moved.name_fr) == ("Deutsch-Französischer Bürgerfonds", None)
        assert (moved.short_name_de, moved.short_name_fr) == ("Bürgerfonds", "Fonds citoyen")
        programme.name_fr = "Catégorie deux"
        programme.save()

        back = models_at([("grants", "0011_payment_machine")])
        assert back.get_model("grants", "Programme").objects.get(code="k2").name == "Kategorie 2 / Catégorie deux"  # fmt: skip
        assert back.get_model("grants", "Fund").objects.get().short_name == "Bürgerfonds / Fonds citoyen"  # fmt: skip
    finally:
        models_at(list(after))


def test_open_data_names_the_programme_in_english_or_else_in_german(cast: demo.Cast):
    grant = demo.drive(cast, "approved", "accepted", publication=True).grant
    record = json.loads("".join(open_data.package_chunks(open_data.publishable_grants())))
    [published] = record["grants"]
    assert published["grantProgramme"] == [{"code": "small-boost", "title": "Category 1 – Small boost"}]  # fmt: skip
    Programme.objects.filter(pk=grant.programme_id).update(name_en="")
    Fund.objects.filter(pk=cast.fund.pk).update(name_en=None)
    with translation.override("fr"):  # whoever asks: open data is read in English
        record = json.loads("".join(open_data.package_chunks(open_data.publishable_grants())))
    [published] = record["grants"]
    assert published["grantProgramme"][0]["title"] == "Kategorie 1 – Kleiner Impuls"
    assert published["fundingOrganization"][0]["name"] == "Deutsch-Französischer Bürgerfonds (Demo)"
    assert record["publisher"]["name"] == "Deutsch-Französischer Bürgerfonds (Demo)"
