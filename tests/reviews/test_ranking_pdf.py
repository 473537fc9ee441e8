"""The ranking's PDF for the meeting, rendered for real by WeasyPrint: German, then French."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from pypdf import PdfReader

from reviews import ranking, ranking_exports
from tests.reviews.ranking_support import assessed, call_programme, leave_in_budget

RENDERS_PDF = True


def test_the_pdf_shows_the_ranking_in_german_then_in_french_with_both_lines(cast: Any, committed: Any) -> None:  # fmt: skip
    programme, call = call_programme(cast)
    first = assessed(cast, call, (10, 10), committed=committed)
    assessed(cast, call, (9, 9), days_ago=45, committed=committed)
    assessed(cast, call, (8, 8), days_ago=50, committed=committed)
    leave_in_budget(programme, Decimal("4000.00"))
    pdf = ranking_exports.pdf(ranking.ranking_of(call, cast.manager))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    german, french = text.index("Rangliste"), text.index("Classement")
    assert german < french
    assert text.count(first.reference) == 2  # once per language
    assert "Budgetlinie" in text and "Mindestpunktzahl-Linie" in text
    assert "Ligne budgétaire" in text and "Ligne de la note minimale" in text
