"""Who reads a conversation, through every door: the organisation's members and the staff the
rule set lets see behind the application; not a reviewer in conflict, not another organisation,
not a funder. Internal notes: the staff side only, never a member of the organisation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from applications.models import Application
from conversations import rules, selectors, services
from conversations.models import Message
from demo import builders as demo
from grants.api.tokens import issue_token
from grants.models import Programme
from organisations import services as organisation_services
from reviews import services as review_services
from workflows.roles import Role

SAID = "Zxgesagtq"
NOTE = "Zxnotizq"


@pytest.fixture
def submitted(drive: Any) -> Application:
    return drive("submitted")


@pytest.fixture
def conversation(cast: Any, submitted: Application) -> dict[str, Message]:
    return {
        "said": services.write_message(submitted, by=cast.applicant, body=f"{SAID} Frage"),
        "note": services.write_message(
            submitted, by=cast.manager, body=f"{NOTE} intern", internal=True
        ),
    }


def client_of(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def readers(application: Application, users: dict[str, Any]) -> dict[str, tuple[bool, bool]]:
    return {
        name: (rules.may_read(application, user), rules.may_read_notes(application, user))
        for name, user in users.items()
    }


def test_members_and_the_staff_who_see_behind_read_it_nobody_else(cast: Any, submitted: Application, other_applicant: Any) -> None:  # fmt: skip
    declared = demo.make_user("rev-declared", Role.REVIEWER)
    review_services.declare_conflict(submitted, by=declared, note="Vorstand")
    users = {
        "applicant": cast.applicant,
        "other organisation": other_applicant,
        "reviewer": cast.reviewer,
        "reviewer in conflict": declared,
        "manager": cast.manager,
        "finance": cast.finance,
        "admin": cast.admin,
        "funder": cast.funder,
    }
    assert readers(submitted, users) == {
        "applicant": (True, False),
        "other organisation": (False, False),
        "reviewer": (True, True),
        "reviewer in conflict": (False, False),
        "manager": (True, True),
        "finance": (True, True),
        "admin": (True, True),
        "funder": (False, False),
    }


def test_a_reviewer_in_conflict_sees_nothing_of_it(cast: Any, submitted: Application, conversation: dict[str, Message]) -> None:  # fmt: skip
    declared = demo.make_user("rev-declared", Role.REVIEWER)
    review_services.declare_conflict(submitted, by=declared, note="Vorstand")
    client = client_of(declared)
    for url in (
        reverse("applications:detail", args=[submitted.pk]),
        reverse("conversations:conversation", args=[submitted.pk]),
        reverse("conversations:request_changes", args=[conversation["said"].pk]),
    ):
        assert client.get(url).status_code == 404
    assert SAID not in client.get(reverse("conversations:inbox")).content.decode()
    assert Message.objects.visible_to(declared).count() == 0
    assert selectors.unread_count(declared) == 0


def test_a_member_who_is_also_staff_never_reads_the_notes(cast: Any, submitted: Application, conversation: dict[str, Message]) -> None:  # fmt: skip
    # An administrator who belongs to the applying organisation: they read as a member.
    organisation_services.add_member(cast.organisation, cast.admin)
    cast.admin.refresh_from_db()
    assert rules.may_read(submitted, cast.admin) and not rules.may_read_notes(submitted, cast.admin)
    visible = set(Message.objects.visible_to(cast.admin).values_list("body", flat=True))
    assert visible == {f"{SAID} Frage"}
    html = client_of(cast.admin).get(reverse("applications:detail", args=[submitted.pk])).content
    assert NOTE.encode() not in html and SAID.encode() in html


def test_another_organisation_gets_404_everywhere(cast: Any, submitted: Application, other_applicant: Any, conversation: dict[str, Message]) -> None:  # fmt: skip
    note_file = services.write_message(
        submitted, by=cast.applicant, body="Mit Datei", uploads=[_pdf()]
    ).files.get()
    client = client_of(other_applicant)
    assert client.get(reverse("conversations:conversation", args=[submitted.pk])).status_code == 404
    assert client.get(reverse("conversations:file", args=[note_file.pk])).status_code == 404
    assert client.post(reverse("conversations:request_changes", args=[conversation["said"].pk]), {}).status_code == 404  # fmt: skip
    assert Message.objects.visible_to(other_applicant).count() == 0


def test_the_api_serves_staff_only_with_the_notes_marked(cast: Any, submitted: Application, conversation: dict[str, Message]) -> None:  # fmt: skip
    staff = APIClient()
    staff.force_login(cast.manager)
    body = staff.get("/api/v1/messages/", {"application": submitted.pk}).json()
    assert [(row["body"], row["internal"]) for row in body["results"]] == [
        (f"{SAID} Frage", False),
        (f"{NOTE} intern", True),
    ]
    detail = staff.get(f"/api/v1/messages/{conversation['note'].pk}/").json()
    assert detail["internal"] is True and detail["reference"] == submitted.reference

    programme = Programme.objects.get(pk=submitted.programme_id)
    _token, secret = issue_token(cast.funder, by=cast.admin, name="X", programmes=[programme])
    funder = APIClient()
    funder.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    refused = funder.get("/api/v1/messages/")
    assert refused.status_code == 403
    assert NOTE not in refused.content.decode() and SAID not in refused.content.decode()
    assert funder.get(f"/api/v1/messages/{conversation['note'].pk}/").status_code == 403

    applicant = APIClient()
    applicant.force_login(cast.applicant)
    assert applicant.get("/api/v1/messages/").status_code == 403


def test_a_staff_token_reads_only_its_programmes(cast: Any, submitted: Application, conversation: dict[str, Message]) -> None:  # fmt: skip
    other = Programme.objects.exclude(pk=submitted.programme_id).first()
    _token, secret = issue_token(cast.manager, by=cast.admin, name="other", programmes=[other])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/messages/").json()["results"] == []
    assert client.get(f"/api/v1/messages/{conversation['said'].pk}/").status_code == 404


def _pdf() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = b"%PDF-1.4\n1 0 obj <<>> endobj\n" + b"%" * 100 + b"\ntrailer <<>>\n%%EOF\n"
    return SimpleUploadedFile("Anhang.pdf", content, content_type="application/pdf")


def test_the_messages_api_answers_what_its_schema_says(cast: Any, submitted: Application, conversation: dict[str, Message]) -> None:  # fmt: skip
    from tests.api.test_answers_match_the_schema import assert_matches_schema

    services.write_message(submitted, by=cast.applicant, body="Mit Datei", uploads=[_pdf()])
    client = APIClient()
    client.force_login(cast.admin)
    assert_matches_schema(client.get("/api/v1/messages/"), "/api/v1/messages/")
    note = conversation["note"].pk
    assert_matches_schema(client.get(f"/api/v1/messages/{note}/"), "/api/v1/messages/{id}/")
    listed = client.get("/api/v1/messages/", {"internal": "false"}).json()["results"]
    assert [row["internal"] for row in listed] == [False, False]
    assert listed[1]["files"][0]["name"] == "Anhang.pdf"
    assert client.get("/api/v1/messages/", {"internal": "maybe"}).status_code == 400
