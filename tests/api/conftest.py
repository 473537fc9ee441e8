"""The API's cast: funder Fiona, whose token reads programme A only, staff with their sessions,
and a small world of applications in both programmes, put into their states by the services.

Programme A is category 1 (up to EUR 5,000), programme B category 2 (EUR 5,001-10,000).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from applications import services
from applications.models import Application
from demo import builders as demo
from grants import services as grant_services
from grants.api.tokens import issue_token
from grants.models import ApiToken, Payment, Programme
from organisations.models import Organisation
from workflows import clock
from workflows.roles import Role


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def programme_a(fund: Any) -> Programme:
    return Programme.objects.get(fund=fund, category=1)


@pytest.fixture
def programme_b(fund: Any) -> Programme:
    return Programme.objects.get(fund=fund, category=2)


def token_client(raw: str, *, keyword: str = "Bearer") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {raw}")
    return client


def session_client(user: Any) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@dataclass
class Issued:
    token: ApiToken
    secret: str
    client: APIClient


def issue(user: Any, *, by: Any, **kwargs: Any) -> Issued:
    kwargs.setdefault("name", "test")
    token, secret = issue_token(user, by=by, **kwargs)
    return Issued(token, secret, token_client(secret))


@pytest.fixture
def fiona_user(cast: demo.Cast) -> Any:
    return demo.make_user("fiona", Role.FUNDER)


@pytest.fixture
def fiona(cast: demo.Cast, fiona_user: Any, programme_a: Programme) -> Issued:
    """Funder Fiona: her token reads programme A only."""
    return issue(fiona_user, by=cast.admin, programmes=[programme_a])


@pytest.fixture
def all_programmes_funder(cast: demo.Cast) -> Issued:
    return issue(cast.funder, by=cast.admin, all_programmes=True)


@pytest.fixture
def finance_token(cast: demo.Cast) -> Issued:
    return issue(cast.finance, by=cast.admin, all_programmes=True)


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@dataclass
class World:
    accepted_a: Application  # programme A, DE (Köln), grant accepted, advance paid
    rejected_a: Application  # programme A, FR (Dijon), rejected
    submitted_a: Application  # programme A, DE, themes digital + europe
    accepted_b: Application  # programme B, FR, grant accepted, advance paid
    in_review_b: Application  # programme B, DE
    draft: Application  # nobody but its applicants sees it

    @property
    def in_a(self) -> list[Application]:
        return [self.accepted_a, self.rejected_a, self.submitted_a]

    @property
    def in_b(self) -> list[Application]:
        return [self.accepted_b, self.in_review_b]


@pytest.fixture
def world(
    cast: demo.Cast, other_applicant: Any, other_organisation: Organisation, draft: Application
) -> World:
    other = {"organisation": other_organisation, "applicant": other_applicant}
    with clock.travel_to(clock.today() - timedelta(days=5)):
        fresh = demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant, requested=Decimal("3000.00"), title="Digitale Werkstatt")  # fmt: skip
        services.save_draft(fresh, by=cast.applicant, themes=["digital", "europe"])
        submitted = services.submit_application(fresh, by=cast.applicant)
    accepted_a = demo.drive(cast, "approved", "accepted", requested=Decimal("4000.00"))
    accepted_b = demo.drive(cast, "approved", "accepted", requested=Decimal("8000.00"), **other)
    for accepted in (accepted_a, accepted_b):  # the 75 % advances
        for payment in Payment.objects.filter(grant__application=accepted):
            grant_services.record_payment_paid(payment, by=cast.finance)
    return World(
        accepted_a=accepted_a,
        rejected_a=demo.drive(cast, "rejected", requested=Decimal("2000.00"), **other),
        submitted_a=submitted,
        accepted_b=accepted_b,
        in_review_b=demo.drive(cast, "in_review", requested=Decimal("6000.00")),
        draft=draft,
    )
