"""The start page and the application page show each person only what is theirs."""

import pytest
from django.urls import reverse

from demo import builders as demo


@pytest.fixture
def own_and_foreign(cast, other_applicant, other_organisation):
    own = demo.drive(cast, "approved", "accepted")
    foreign = demo.drive(
        cast, "submitted", organisation=other_organisation, applicant=other_applicant
    )
    foreign_draft = demo.make_ready_draft(
        other_organisation, fund=cast.fund, by=other_applicant, title="Fête franco-allemande Dijon"
    )
    return own, foreign, foreign_draft


def test_anonymous_is_sent_to_login(client, own_and_foreign):
    own = own_and_foreign[0]
    for url in (reverse("applications:home"), reverse("applications:detail", args=[own.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_applicant_lists_only_own_applications(client, cast, own_and_foreign):
    own, foreign, foreign_draft = own_and_foreign
    client.force_login(cast.applicant)
    page = client.get(reverse("applications:home")).content.decode()
    assert own.reference in page
    assert foreign.reference not in page
    assert foreign_draft.title not in page


def test_other_organisations_application_is_not_found(client, cast, own_and_foreign):
    _own, foreign, foreign_draft = own_and_foreign
    client.force_login(cast.applicant)
    for application in (foreign, foreign_draft):
        response = client.get(reverse("applications:detail", args=[application.pk]))
        assert response.status_code == 404


def test_applicant_sees_timeline_and_next_actions(client, cast, own_and_foreign):
    own = own_and_foreign[0]
    client.force_login(cast.applicant)
    page = client.get(reverse("applications:detail", args=[own.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    for step in (
        "Application submitted",
        "Formal check passed",
        "Assessment completed",
        "Approved",
    ):
        assert step in page
    assert "Carry out the project" in page  # the next step, with its deadline
    assert "Deadline:" in page


def test_reviewer_sees_submitted_work_but_not_drafts(client, cast, own_and_foreign):
    _own, foreign, foreign_draft = own_and_foreign
    client.force_login(cast.reviewer)
    assert client.get(reverse("applications:detail", args=[foreign.pk])).status_code == 200
    assert client.get(reverse("applications:detail", args=[foreign_draft.pk])).status_code == 404


def test_start_page_query_count_does_not_grow_with_rows(
    client, cast, own_and_foreign, django_assert_max_num_queries
):
    for _ in range(8):
        demo.drive(cast, "approved", "offered")
    client.force_login(cast.manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("applications:home"))
    assert response.status_code == 200


def test_login_page_renders_in_french(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
