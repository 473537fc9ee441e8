"""The programme's interim report policy: none, on a fixed date, or after a share of the project
period; checked with clear messages in the admin; turned into each grant's due date when the
offer is accepted, and moved when an amendment moves the period."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from amendments import services as amendment_services
from demo.amendments import request_change
from demo.interim import write_interim_report
from grants.models import Grant, InterimPolicy, Programme
from tests.interim.conftest import AMOUNT, client_of
from workflows import clock

START, END = date(2027, 3, 1), date(2027, 3, 31)


def programme(**policy: Any) -> Programme:
    return Programme(
        code="p",
        name="P",
        **{"payment_plan": [{"percent": 100, "trigger": "acceptance"}], **policy},
    )


@pytest.mark.parametrize(
    ("policy", "due"),
    [
        ({}, None),
        ({"interim_report": "share", "interim_report_share": 50}, date(2027, 3, 16)),
        ({"interim_report": "share", "interim_report_share": 25}, date(2027, 3, 8)),
        ({"interim_report": "date", "interim_report_on": date(2027, 3, 20)}, date(2027, 3, 20)),
        # A fixed date the project does not run on: no interim report (the final one covers it).
        ({"interim_report": "date", "interim_report_on": date(2027, 4, 20)}, None),
        ({"interim_report": "date", "interim_report_on": START}, None),
    ],
)
def test_the_due_date_follows_the_policy(policy, due):
    assert programme(**policy).interim_report_due(START, END) == due


def test_a_project_too_short_to_report_halfway_reports_only_at_the_end():
    halfway = programme(interim_report="share", interim_report_share=50)

    assert halfway.interim_report_due(START, START + timedelta(days=1)) is None
    assert halfway.interim_report_due(START, START + timedelta(days=2)) == START + timedelta(days=1)


def test_a_day_already_past_moves_to_the_day_the_grantee_learns_of_it():
    halfway = programme(interim_report="share", interim_report_share=50)

    assert halfway.interim_report_due(START, END, not_before=date(2027, 3, 20)) == date(2027, 3, 20)
    # ... unless the project ends by then: the final report covers it.
    assert halfway.interim_report_due(START, END, not_before=END) is None


@pytest.mark.parametrize(
    ("policy", "field", "message"),
    [
        ({"interim_report": "date"}, "interim_report_on", "Please give the day"),
        ({"interim_report": "share"}, "interim_report_share", "Please give the share"),
        (
            {"interim_report": "share", "interim_report_share": 100},
            "interim_report_share",
            "between 1 and 99",
        ),
        (
            {"interim_report": "share", "interim_report_share": 50, "interim_report_on": START},
            "interim_report_on",
            "Leave the date empty",
        ),
        ({"interim_report_share": 50}, "interim_report_share", "Leave the share empty"),
        (
            {
                "payment_plan": [
                    {"percent": 60, "trigger": "acceptance"},
                    {"percent": 40, "trigger": "interim_report_accepted"},
                ]
            },
            "payment_plan",
            "this programme has no interim report",
        ),
        (
            {"payment_plan": [{"percent": 100, "trigger": "interim"}]},
            "payment_plan",
            "interim_report_accepted",
        ),
    ],
)
def test_an_incomplete_policy_is_refused_in_words(policy, field, message):
    with pytest.raises(ValidationError) as refused:
        programme(**policy).clean()

    assert message in " ".join(refused.value.message_dict[field])


def test_the_admin_says_what_the_policy_lacks_and_keeps_what_was_typed(cast):
    halfway = Programme.objects.get(fund=cast.fund, code="cat-3")
    client = client_of(cast.admin)
    url = reverse("admin:grants_programme_change", args=[halfway.pk])
    page = client.get(url)
    data = form_data(page)
    data.update({"interim_report": "date", "interim_report_on": "", "interim_report_share": "50"})

    answer = client.post(url, data)

    assert answer.status_code == 200
    text = answer.content.decode()
    assert "Please give the day the interim report is due." in text
    assert "Leave the share empty: the interim report is due on a fixed date." in text
    assert 'name="interim_report_share" value="50"' in text
    assert "is violated" not in text  # the policy's words, not the database constraint's
    halfway.refresh_from_db()
    assert (halfway.interim_report, halfway.interim_report_share) == (InterimPolicy.SHARE, 50)

    data.update({"interim_report": "date", "interim_report_on": "2027-03-20", "interim_report_share": ""})  # fmt: skip
    assert client.post(url, data).status_code == 302
    halfway.refresh_from_db()
    assert (halfway.interim_report, halfway.interim_report_on) == ("date", date(2027, 3, 20))


def form_data(page: Any) -> dict[str, Any]:
    """The admin change form's values as the browser would send them back."""
    data: dict[str, Any] = {}
    forms = [page.context["adminform"].form]
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({f"{management.prefix}-{n}": management[n].value() for n in management.fields})
        forms += formset.formset.forms
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = field.widget.format_value(value) if hasattr(field.widget, "format_value") and not isinstance(value, str) else value  # fmt: skip
    return data


def test_the_grant_takes_its_due_date_when_the_offer_is_accepted(cast, drive):
    halfway = Programme.objects.get(fund=cast.fund, code="cat-3")
    Programme.objects.filter(pk=halfway.pk).update(
        interim_report="date",
        interim_report_share=None,
        interim_report_on=clock.today() + timedelta(days=42),  # inside the project drive() plans
    )

    grant = Grant.objects.get(application=drive("approved", "accepted", requested=AMOUNT))

    assert grant.project_start < clock.today() + timedelta(days=42) < grant.project_end
    assert grant.interim_report_due_on == clock.today() + timedelta(days=42)


def test_an_amendment_of_the_period_moves_the_due_date(cast, grant):
    later = grant.project_end + timedelta(days=10)  # 15 days: halfway is the 7th day
    amendment = request_change(grant, by=cast.applicant, end=later)

    amendment_services.approve_amendment(amendment, by=cast.manager)

    grant.refresh_from_db()
    assert grant.project_end == later
    assert grant.interim_report_due_on == grant.project_start + timedelta(days=7)


def test_an_amendment_after_the_report_was_sent_keeps_its_due_date(cast, grant):
    due = grant.interim_report_due_on
    write_interim_report(grant, by=cast.applicant)
    amendment = request_change(grant, by=cast.applicant, end=grant.project_end + timedelta(days=10))

    amendment_services.approve_amendment(amendment, by=cast.manager)

    grant.refresh_from_db()
    assert grant.interim_report_due_on == due


def test_an_amendment_after_the_release_keeps_the_tranche_in_the_new_plan(cast, grant, committed):
    from demo.interim import accept_through_the_queue
    from grants import services as grant_services

    for payment in grant.payments.all():
        grant_services.record_payment_paid(payment, by=cast.finance)  # 6,000 paid
    report = write_interim_report(grant, by=cast.applicant)
    accept_through_the_queue(report, reviewer=cast.reviewer)  # 3,000 scheduled
    amendment = request_change(grant, by=cast.applicant, amount=Decimal("14000.00"))

    amendment_services.approve_amendment(amendment, by=cast.manager)

    # The plan released 75 % so far: of 14,000 that is 10,500; 6,000 were paid, so 4,500 are
    # due: the interim tranche's 3,000 as they were, and the rise's 1,500 beside them.
    grant.refresh_from_db()
    live = grant.payments.exclude(status="cancelled").order_by("sequence")
    assert [(p.status, p.amount) for p in live] == [
        ("paid", Decimal("6000.00")),
        ("scheduled", Decimal("3000.00")),
        ("scheduled", Decimal("1500.00")),
    ]
    assert live[1].trigger == "interim_report_accepted"
