"""Two reviewers accept the same interim report at the same moment, on PostgreSQL with real
threads: the grant's row lock makes them come one after the other, so the report is accepted once
and its tranche is scheduled once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from demo import builders as demo
from demo.interim import write_interim_report
from grants.models import Grant, Payment, PaymentTrigger
from interim import services
from interim.models import InterimReport, InterimStatus
from tests.conftest import on_postgresql
from tests.interim.conftest import AMOUNT
from tests.test_concurrency_pg import race
from workflows.audit import verify_chain
from workflows.errors import TransitionConflict, TransitionNotAllowed
from workflows.models import TransitionLog

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]


def user(pk: int) -> Any:
    return get_user_model().objects.get(pk=pk)


def test_two_reviewers_accepting_at_once_release_the_tranche_once() -> None:
    cast = demo.create_cast()
    application = demo.drive(cast, "approved", "accepted", requested=AMOUNT)
    grant = Grant.objects.get(application=application)
    report = write_interim_report(grant, by=cast.applicant)
    reviewers = [cast.reviewer.pk, cast.reviewer2.pk]

    outcomes = race(
        [
            lambda pk=pk: services.accept_interim_report(
                InterimReport.objects.get(pk=report.pk), by=user(pk)
            )
            for pk in reviewers
        ]
    )

    accepted = [o for o in outcomes if isinstance(o, services.Accepted)]
    refused = [o for o in outcomes if isinstance(o, TransitionNotAllowed | TransitionConflict)]
    assert (len(accepted), len(refused)) == (1, 1), outcomes
    report.refresh_from_db()
    assert report.status == InterimStatus.ACCEPTED
    instalments = Payment.objects.filter(
        grant=grant, trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED
    )
    assert [p.amount for p in instalments] == [Decimal("3000.00")]
    assert TransitionLog.objects.for_object(report).filter(transition="accept").count() == 1
    assert verify_chain().ok
