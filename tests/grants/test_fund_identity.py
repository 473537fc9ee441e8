"""The fund's identity in the admin: what its letters still miss, said in words, and input that
is refused with a clear message, keeping what was typed and changing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from demo import builders as demo
from grants.models import DecisionForm, Fund
from tests.support import admin_form_data, field_values


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def change_url(fund: Fund) -> str:
    return reverse("admin:grants_fund_change", args=[fund.pk])


def test_an_empty_identity_names_every_gap_in_the_readers_language(db: Any) -> None:
    fund = Fund.objects.create(name_de="Neuer Fonds", short_name_de="Fonds", reference_prefix="NF")
    with translation.override("en"):
        gaps = fund.letter_gaps()
    assert gaps == [
        "postal address: street and number, postcode, city, country",
        "signatory",
        "contact e-mail",
        "signatory's function in German, French",
        "legal basis in German, French",
        "data-protection notice in German, French",
    ]
    Fund.objects.filter(pk=fund.pk).update(**{**demo.FUND_IDENTITY, "decision_form": DecisionForm.NOTICE})  # fmt: skip
    fund = Fund.objects.get(pk=fund.pk)
    assert fund.ready_for_letters
    Fund.objects.filter(pk=fund.pk).update(appeal_clause_fr="", legal_basis_de="  ")
    with translation.override("de"):
        assert Fund.objects.get(pk=fund.pk).letter_gaps() == [
            "Rechtsgrundlage auf Deutsch",
            "Rechtsbehelfsbelehrung auf Französisch",
        ]


def test_the_demo_fund_can_issue_letters_and_an_older_demo_database_gets_its_identity(
    db: Any,
) -> None:
    fund = demo.setup_fund()
    assert fund.ready_for_letters
    Fund.objects.filter(pk=fund.pk).update(street="", signatory_name="", legal_basis_fr="")
    assert not Fund.objects.get(pk=fund.pk).ready_for_letters
    again = demo.setup_fund()  # what `make run` does with a database seeded before
    assert again.pk == fund.pk and Fund.objects.get(pk=fund.pk).ready_for_letters


def test_the_admin_shows_a_complete_fund_as_ready_and_a_new_one_what_to_do(
    client: Any, cast: demo.Cast
) -> None:
    client.force_login(cast.admin)
    page = client.get(change_url(cast.fund)).content.decode()
    assert "Can the fund issue letters?" in page
    assert "every letter carries the fund" in page
    assert "Save the fund first" in client.get(reverse("admin:grants_fund_add")).content.decode()
    # Staff who only read the fund see the same panel.
    client.force_login(cast.manager)
    assert "every letter carries the fund" in client.get(change_url(cast.fund)).content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"contact_email": "kontakt@"}, "contact_email", "Enter a valid email address."),
        ({"contact_phone": "call us on Monday"}, "contact_phone", "Enter a telephone number"),
        ({"contact_phone": "+49 (0)30"}, "contact_phone", "Enter a telephone number"),
        (
            {"decision_form": DecisionForm.NOTICE, "appeal_clause_fr": ""},
            "appeal_clause_fr",
            "Administrative notices need the notice of the right of appeal in French.",
        ),
        ({"country": "XX"}, "country", "Select a valid choice."),
        (
            {"legal_basis_de": "Richtlinie\x00"},
            "legal_basis_de",
            "Null characters are not allowed.",
        ),
    ],
)
def test_bad_input_in_the_admin_gets_a_clear_message_keeps_the_typing_and_changes_nothing(
    client: Any, cast: demo.Cast, changes: dict[str, Any], field: str, words: str
) -> None:
    before = field_values(Fund.objects.get(pk=cast.fund.pk))
    client.force_login(cast.admin)
    typed = {"street": "Neue Straße 1", **changes}
    response = client.post(
        change_url(cast.fund), admin_form_data(cast.fund, by=cast.admin, **typed)
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert any(words in str(message) for message in form.errors[field]), form.errors
    assert 'value="Neue Straße 1"' in response.content.decode()  # what was typed stays
    assert field_values(Fund.objects.get(pk=cast.fund.pk)) == before


def test_a_valid_change_is_saved_and_the_readiness_follows_it(client: Any, cast: demo.Cast) -> None:
    client.force_login(cast.admin)
    response = client.post(
        change_url(cast.fund),
        admin_form_data(
            cast.fund, by=cast.admin, contact_phone="+33 3 88 12 34 56", signatory_function_fr=""
        ),
    )
    assert response.status_code == 302
    fund = Fund.objects.get(pk=cast.fund.pk)
    assert fund.contact_phone == "+33 3 88 12 34 56"
    assert not fund.ready_for_letters
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("cannot issue letters yet" in m and "function in French" in m for m in messages)
