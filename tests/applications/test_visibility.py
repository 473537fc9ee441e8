"""Who sees what: one organisation never sees or changes another's data; anonymous sees nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser

from applications import services
from applications.models import Application
from demo import builders as demo
from grants import services as grant_services
from grants.models import Grant
from organisations import services as organisation_services
from organisations.models import Membership, Organisation
from organisations.rules import organisations_visible_to
from workflows.errors import TransitionForbidden


@pytest.fixture
def stories(cast, other_applicant, other_organisation):
    own_draft = demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
    own_granted = demo.drive(cast, "approved", "accepted")
    other_draft = demo.make_ready_draft(other_organisation, fund=cast.fund, by=other_applicant)
    other_granted = demo.drive(
        cast, "approved", "offered", organisation=other_organisation, applicant=other_applicant
    )
    return own_draft, own_granted, other_draft, other_granted


def test_applicant_sees_only_own_organisations_applications(cast, stories):
    own_draft, own_granted, _other_draft, _other_granted = stories
    visible = set(Application.objects.visible_to(cast.applicant))
    assert visible == {own_draft, own_granted}


def test_applicant_sees_only_own_grants(cast, stories):
    _own_draft, own_granted, _other_draft, _other_granted = stories
    assert list(Grant.objects.visible_to(cast.applicant)) == [own_granted.grant]


def test_other_org_cannot_see_draft_or_grant(other_applicant, stories):
    _own_draft, own_granted, other_draft, other_granted = stories
    assert set(Application.objects.visible_to(other_applicant)) == {other_draft, other_granted}
    assert own_granted.grant not in Grant.objects.visible_to(other_applicant)


def test_anonymous_sees_nothing(stories):
    anonymous = AnonymousUser()
    assert not Application.objects.visible_to(anonymous).exists()
    assert not Grant.objects.visible_to(anonymous).exists()
    assert not organisations_visible_to(Organisation.objects.all(), anonymous).exists()
    assert not Application.objects.visible_to(None).exists()


@pytest.mark.parametrize("role", ["reviewer", "manager", "finance", "admin"])
def test_staff_see_submitted_work_but_no_drafts(cast, stories, role):
    _own_draft, own_granted, _other_draft, other_granted = stories
    user = getattr(cast, role)
    assert set(Application.objects.visible_to(user)) == {own_granted, other_granted}
    assert set(Grant.objects.visible_to(user)) == {own_granted.grant, other_granted.grant}


def test_a_funder_sees_submitted_work_only_through_a_token(cast, stories):
    """A funder's scope lives in their API tokens: signed in on the website, without one, they
    see no application and no grant; with a token, the submitted work of its programmes."""
    from grants import rules as grant_rules
    from grants.models import ApiToken

    _own_draft, own_granted, _other_draft, other_granted = stories
    assert not Application.objects.visible_to(cast.funder).exists()
    assert not Grant.objects.visible_to(cast.funder).exists()
    token = ApiToken.objects.get(user=cast.funder)
    setattr(cast.funder, grant_rules.TOKEN_ATTRIBUTE, token)
    assert set(Application.objects.visible_to(cast.funder)) == {own_granted, other_granted}
    assert set(Grant.objects.visible_to(cast.funder)) == {own_granted.grant, other_granted.grant}


def test_a_former_member_loses_access(cast, stories):
    Membership.objects.filter(user=cast.applicant).update(is_active=False)
    cast.applicant.refresh_from_db()
    assert not Application.objects.visible_to(cast.applicant).exists()
    assert not Grant.objects.visible_to(cast.applicant).exists()


def test_other_org_cannot_edit_a_draft(cast, other_applicant, stories):
    own_draft = stories[0]
    with pytest.raises(TransitionForbidden):
        services.save_draft(own_draft, by=other_applicant, title="Hijacked")
    own_draft.refresh_from_db()
    assert own_draft.title != "Hijacked"


def test_other_org_cannot_submit_or_withdraw(cast, other_applicant, stories):
    own_draft = stories[0]
    with pytest.raises(TransitionForbidden):
        services.submit_application(own_draft, by=other_applicant)
    with pytest.raises(TransitionForbidden):
        services.withdraw_application(own_draft, by=other_applicant)
    own_draft.refresh_from_db()
    assert own_draft.status == "draft"
    assert own_draft.reference is None


def test_other_org_cannot_accept_an_offer(cast, other_applicant, stories):
    other_granted = stories[3]
    with pytest.raises(TransitionForbidden):
        grant_services.accept_offer(
            other_granted.grant, by=cast.applicant, full_name="X Y", consent=True
        )
    other_granted.grant.refresh_from_db()
    assert other_granted.grant.status == "offered"


def test_other_org_cannot_change_bank_account(cast, other_applicant):
    with pytest.raises(TransitionForbidden):
        organisation_services.update_organisation(
            cast.organisation, by=other_applicant, iban="FR1420041010050500013M02606"
        )
    cast.organisation.refresh_from_db()
    assert cast.organisation.iban == "DE89370400440532013000"


def test_cannot_start_a_draft_for_someone_elses_organisation(cast, other_applicant):
    with pytest.raises(TransitionForbidden):
        services.create_draft(
            cast.organisation, fund=cast.fund, by=other_applicant, title="Not mine"
        )
    assert not Application.objects.filter(title="Not mine").exists()


def test_applicant_sees_only_own_organisations(cast, other_applicant, other_organisation):
    assert list(organisations_visible_to(Organisation.objects.all(), other_applicant)) == [
        other_organisation
    ]


def test_members_of_both_organisations_see_both(cast, other_applicant, other_organisation, stories):
    organisation_services.add_member(other_organisation, cast.applicant)
    assert Application.objects.visible_to(cast.applicant).count() == 4
