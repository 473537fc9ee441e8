"""An informal group is private persons, and its name often names them: "Chor Anna Becker".
Funders read it, at every door of the API, as "informal group in <region>", unless the group
consented to show its name; and no search of theirs finds a name they cannot read. Staff read
and find it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from applications.models import Application, Declaration
from demo import builders as demo
from organisations.choices import LegalForm
from tests.api.conftest import Issued, session_client
from tests.support import Declaring

NAME = "Chor Anna Becker Stimmen"
MEMBERS = ["Anna Becker", "Jonas Wagner", "Fatma Yılmaz"]
LABEL = "informal group in North Rhine-Westphalia"


def group_application(cast: demo.Cast, *declarations: str, **organisation: Any) -> Application:
    """An informal group of Köln (North Rhine-Westphalia) whose grant offer was accepted."""
    user = demo.make_user(f"chor-{len(declarations)}-{organisation.get('country', 'DE')}")
    fields = {"name": NAME, "legal_form": LegalForm.INFORMAL_GROUP, "group_members": MEMBERS}
    group = demo.make_organisation(user, **{**fields, **organisation})
    return demo.drive(
        cast,
        "approved",
        "accepted",
        organisation=group,
        applicant=user,
        title="Chorreise nach Lyon",
        steps=Declaring(*declarations),
    )


def everything_a_caller_reads(client: Any, application: Application) -> dict[str, Any]:
    """The application and its grant, each as a detail and as a row of its list."""
    grant = application.grant

    def row(url: str, pk: int) -> Any:
        response = client.get(url)
        assert response.status_code == 200, response.content
        return next(r for r in response.json()["results"] if r["id"] == pk)

    return {
        "application": client.get(f"/api/v1/applications/{application.pk}/").json(),
        "application row": row("/api/v1/applications/?page_size=100", application.pk),
        "grant": client.get(f"/api/v1/grants/{grant.pk}/").json(),
        "grant row": row("/api/v1/grants/?page_size=100", grant.pk),
    }


def found(client: Any, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_funders_read_an_informal_group_as_informal_group_in_its_region(
    cast, all_programmes_funder: Issued
):
    application = group_application(cast)
    bodies = everything_a_caller_reads(all_programmes_funder.client, application)
    for door, body in bodies.items():
        assert body["organisation"]["name"] == LABEL, door
        assert body["organisation"]["legal_form"] == "informal_group", door
        text = json.dumps(body, ensure_ascii=False)
        for private in [NAME, *MEMBERS]:
            assert private not in text, (door, private)


def test_the_label_names_the_country_when_the_group_gave_no_region(
    cast, all_programmes_funder: Issued
):
    application = group_application(cast, country="FR", city="Dijon", region="")
    body = all_programmes_funder.client.get(f"/api/v1/applications/{application.pk}/").json()
    assert body["organisation"]["name"] == "informal group in France"


@pytest.mark.parametrize(
    ("language", "region"), [("de", "Nordrhein-Westfalen"), ("fr", "Rhénanie-du-Nord-Westphalie")]
)
def test_the_label_is_written_in_the_language_of_the_request(
    cast, all_programmes_funder: Issued, language, region
):
    # The region's name is translated; the phrase around it once the catalogues carry it.
    application = group_application(cast)
    client = all_programmes_funder.client
    response = client.get(f"/api/v1/applications/{application.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    listed = client.get("/api/v1/grants/?page_size=100", HTTP_ACCEPT_LANGUAGE=language).json()
    [grant_row] = [r for r in listed["results"] if r["id"] == application.grant.pk]
    for name in (response.json()["organisation"]["name"], grant_row["organisation"]["name"]):
        assert region in name and NAME not in name


def test_a_group_that_consented_is_named_to_funders(cast, all_programmes_funder: Issued):
    application = group_application(cast, Declaration.GROUP_NAME)
    bodies = everything_a_caller_reads(all_programmes_funder.client, application)
    for door, body in bodies.items():
        assert body["organisation"]["name"] == NAME, door


def test_staff_read_the_name_of_every_group(cast, finance_token: Issued):
    application = group_application(cast)
    for client in (session_client(cast.manager), finance_token.client):
        for door, body in everything_a_caller_reads(client, application).items():
            assert body["organisation"]["name"] == NAME, door


def test_a_funder_search_does_not_find_a_name_it_cannot_read(cast, all_programmes_funder: Issued):
    """The search matched the withheld name: `q=Becker` told a funder who the group was."""
    withheld = group_application(cast)
    client = all_programmes_funder.client
    for word in ("Becker", "Anna Becker", "chor stimmen"):
        assert withheld.pk not in found(client, f"/api/v1/applications/?q={word}"), word
        assert withheld.grant.pk not in found(client, f"/api/v1/grants/?q={word}"), word
        stats = client.get(f"/api/v1/stats/?q={word}").json()["results"]
        assert stats[0]["count"] == 0, word
    # The fields a funder reads still find the group's application.
    assert withheld.pk in found(client, "/api/v1/applications/?q=Chorreise")
    assert withheld.grant.pk in found(client, f"/api/v1/grants/?q={withheld.reference}")


def test_a_funder_finds_a_group_by_the_name_it_consented_to_show(
    cast, all_programmes_funder: Issued
):
    named = group_application(cast, Declaration.GROUP_NAME)
    client = all_programmes_funder.client
    assert named.pk in found(client, "/api/v1/applications/?q=Becker")
    assert named.grant.pk in found(client, "/api/v1/grants/?q=Becker")
    assert client.get("/api/v1/stats/?q=Becker").json()["results"][0]["count"] == 1


def test_staff_find_every_group_by_its_name(cast, finance_token: Issued):
    withheld = group_application(cast)
    for client in (session_client(cast.manager), finance_token.client):
        assert withheld.pk in found(client, "/api/v1/applications/?q=Becker")
        assert withheld.grant.pk in found(client, "/api/v1/grants/?q=Becker")
    payments = found(finance_token.client, "/api/v1/payments/?q=Becker")
    assert payments == set(withheld.grant.payments.values_list("pk", flat=True)) != set()
