"""The cast of the interim report's stories: a category-3 grant (EUR 12,000, the demo's policy:
an interim report halfway through the project, a plan of 50 % at acceptance, 25 % once the
interim report is accepted, 25 % after the final report)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from demo import builders as demo
from grants.models import Grant

AMOUNT = Decimal("12000.00")


@pytest.fixture(autouse=True)
def in_english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def grant(cast: demo.Cast, drive: Any) -> Grant:
    """An accepted category-3 grant (advance of 6,000 scheduled, not paid)."""
    return Grant.objects.get(application=drive("approved", "accepted", requested=AMOUNT))


def client_of(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client
