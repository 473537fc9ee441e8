"""The choir "Chorgruppe Anna Becker" is an informal group: three private persons. The fund
publishes its grant as open data, in the JSON package, the CSV and the export command, as a
grant to "informal group in Saxony", unless the group ticked the declaration that its name may
be shown. The declarations form offers that declaration, optional, to every applicant."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from applications.models import REQUIRED_DECLARATIONS, Declaration
from demo import builders as demo
from grants import open_data
from grants import rules as grant_rules
from grants.models import Grant
from organisations.choices import LegalForm
from tests.support import Declaring

NAME = "Chorgruppe Anna Becker"
MEMBERS = ["Anna Becker", "Jonas Wagner", "Fatma Yılmaz"]
LABEL = "informal group in Saxony"


def published_group_grant(cast: demo.Cast, *declarations: str, **organisation: Any) -> Grant:
    """An accepted grant of an informal group of Leipzig (Saxony), consenting to publication."""
    user = demo.make_user(f"chor-{len(declarations)}")
    fields = {
        "name": NAME,
        "legal_form": LegalForm.INFORMAL_GROUP,
        "city": "Leipzig",
        "registration_id": "",
        "group_members": MEMBERS,
    }
    group = demo.make_organisation(user, **{**fields, **organisation})
    application = demo.drive(
        cast,
        "approved",
        "accepted",
        organisation=group,
        applicant=user,
        steps=Declaring(Declaration.PUBLICATION, *declarations),
    )
    return application.grant


def recipient_names(grant: Grant) -> dict[str, str]:
    """The recipient's name in each open-data file that carries the grant."""
    grants = open_data.publishable_grants()
    record_id = f"360G-microgrants-{grant.application.reference}"
    package = json.loads("".join(open_data.package_chunks(grants)))
    [record] = [g for g in package["grants"] if g["id"] == record_id]
    rows = csv.DictReader(io.StringIO("".join(open_data.csv_chunks(grants))))
    [row] = [r for r in rows if r["Identifier"] == record_id]
    out = io.StringIO()
    call_command("export_360giving", "--format", "json", stdout=out)
    [exported] = [g for g in json.loads(out.getvalue())["grants"] if g["id"] == record_id]
    return {
        "json": record["recipientOrganization"][0]["name"],
        "csv": row["Recipient Org:Name"],
        "command": exported["recipientOrganization"][0]["name"],
    }


def test_the_codes_are_those_of_the_applicant_side() -> None:
    assert grant_rules.GROUP_NAME_CONSENT == Declaration.GROUP_NAME
    assert Declaration.GROUP_NAME not in REQUIRED_DECLARATIONS  # optional: it must be asked


def test_an_informal_group_is_published_as_informal_group_in_its_region(cast) -> None:
    grant = published_group_grant(cast)
    assert recipient_names(grant) == {"json": LABEL, "csv": LABEL, "command": LABEL}
    everything = "".join(open_data.package_chunks(Grant.objects.all()))
    everything += "".join(open_data.csv_chunks(Grant.objects.all()))
    for private in [NAME, *MEMBERS]:
        assert private not in everything, private


def test_without_a_region_the_label_names_the_country(cast) -> None:
    grant = published_group_grant(cast, country="FR", city="Dijon", region="")
    assert set(recipient_names(grant).values()) == {"informal group in France"}


def test_the_open_data_reads_in_english_whatever_the_language_of_the_request(cast) -> None:
    grant = published_group_grant(cast)
    with translation.override("de"):
        assert set(recipient_names(grant).values()) == {LABEL}


def test_a_group_that_consented_is_published_with_its_name(cast) -> None:
    grant = published_group_grant(cast, Declaration.GROUP_NAME)
    assert recipient_names(grant) == {"json": NAME, "csv": NAME, "command": NAME}


def test_an_organisation_is_published_with_its_name_without_that_declaration(cast) -> None:
    association = published_group_grant(cast, legal_form=LegalForm.ASSOCIATION, group_members=[])
    assert set(recipient_names(association).values()) == {NAME}


# --- the declarations form -------------------------------------------------------------------------


@pytest.fixture
def applicant_client(client: Any, cast: demo.Cast) -> Any:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(cast.applicant)
    return client


def test_the_declarations_form_offers_the_group_name_as_an_optional_declaration(
    applicant_client: Any, draft: Any
) -> None:
    url = reverse("applications:draft_section", args=[draft.pk, "declarations"])
    page = applicant_client.get(url).content.decode()
    assert 'value="group_name"' in page
    assert "the group&#x27;s name is shown with the grant" in page
    assert "only for informal groups" in page
    # Confirming only what is required is enough; the group's consent is kept when given.
    required = [str(code) for code in REQUIRED_DECLARATIONS]
    applicant_client.post(url, {"declarations": required, "go": "review"})
    draft.refresh_from_db()
    assert sorted(draft.declarations) == sorted(required)
    applicant_client.post(url, {"declarations": [*required, "group_name"], "go": "review"})
    draft.refresh_from_db()
    assert "group_name" in draft.declarations
    review = applicant_client.get(reverse("applications:draft_review", args=[draft.pk]))
    assert "Please confirm the declarations" not in review.content.decode()
