"""The partner exchange's cast: A's applicant (Köln, DE) posts; B's applicant (Dijon, FR)
answers; anonymous visitors browse."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from demo import builders as demo
from partners import services
from partners.models import PartnerPost


def post_for(cast: demo.Cast, **fields: Any) -> PartnerPost:
    values: dict[str, Any] = {
        "title": "Chor aus Köln sucht Chor in Frankreich",
        "country": "FR",
        "regions": ["FR-BFC", "FR-ARA"],
        "themes": ["culture"],
        "formats": ["concert"],
        "target_groups": ["adults"],
        "languages": ["de", "fr"],
        "text": "Wir singen seit 1983 und möchten 2027 ein gemeinsames Konzert geben.",
        "language": "de",
    }
    values.update(fields)
    return services.create_post(cast.organisation, fund=cast.fund, by=cast.applicant, **values)


@pytest.fixture
def post(cast: demo.Cast) -> PartnerPost:
    return post_for(cast)


@pytest.fixture
def client() -> Client:
    """A visitor who reads English (the site's default is German)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")
