"""The committee's ranking for the meeting: a bilingual PDF (German, then French, each part in
its own language) rendered by WeasyPrint through the documents' renderer and print
stylesheet, and an XLSX written by the finance exports' writer (number and date cells, no text
cell ever a formula). Both show what the page shows: the rows in ranking order, the reviewers'
scores side by side, and the two lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import slugify

from applications import documents
from grants.finance.exports import Column, write_xlsx
from grants.models import Call, site_fund
from reviews.ranking import Ranking
from workflows import clock

# The languages of the PDF, in this order (the fund's two).
LANGUAGES = ("de", "fr")
# Rows per table of the PDF (about a landscape page).
CHUNK_ROWS = 40


def file_name(call: Call, extension: str) -> str:
    return f"ranking-{slugify(str(call))[:60] or call.pk}-{clock.today():%Y-%m-%d}.{extension}"


def html(ranking: Ranking) -> str:
    """The ranking as the document's HTML: one part per language, one after the other."""
    parts = [documents.language_part(language) for language in LANGUAGES]
    context: dict[str, Any] = {
        "parts": parts,
        "kind": "ranking",
        "ranking": ranking,
        "fund": site_fund(),
        "reference": str(ranking.call),
        "review_columns": range(ranking.review_columns),
        "columns": 9 + ranking.review_columns,
        # Many short tables instead of one long one: WeasyPrint lays out a table spanning
        # dozens of pages far more slowly than the same rows cut into page-sized tables.
        "chunks": [
            ranking.rows[start : start + CHUNK_ROWS]
            for start in range(0, len(ranking.rows), CHUNK_ROWS)
        ],
        "today": clock.today(),
    }
    with translation.override(LANGUAGES[0]):
        return render_to_string("documents/ranking.html", context)


def pdf(ranking: Ranking) -> bytes:
    return documents.render_pdf(html(ranking))


def columns(ranking: Ranking) -> tuple[Column, ...]:
    """Stable column keys, like the finance exports: one pair per reviewer slot."""
    reviewers = []
    for index in range(1, ranking.review_columns + 1):
        reviewers += [
            Column(f"reviewer_{index}", "text", 18),
            Column(f"score_{index}", "amount", 9),
        ]
    return (
        Column("rank", "int", 6),
        Column("reference", "text", 16),
        Column("title", "text", 40),
        Column("organisation", "text", 32),
        Column("country", "text", 8),
        Column("project_start", "date", 12),
        Column("status", "text", 12),
        Column("weighted_score", "amount", 10),
        *reviewers,
        Column("requested", "amount"),
        Column("suggested", "amount"),
        Column("cumulative", "amount"),
        Column("above_minimum", "text", 8),
        Column("within_budget", "text", 8),
        Column("reviewed_by_me", "text", 8),
    )


def rows(ranking: Ranking) -> Iterator[list[Any]]:
    for row in ranking.rows:
        application = row.application
        reviewers: list[Any] = []
        for review in row.cells:
            reviewers += [
                review.reviewer_name if review else None,
                review.weighted_score if review else None,
            ]
        yield [
            row.rank,
            application.reference,
            application.title,
            application.organisation.name,
            application.organisation.country,
            application.start_date,
            application.status,
            row.score,
            *reviewers,
            application.requested_amount,
            row.amount,
            row.cumulative,
            "yes" if row.above_minimum else "no",
            "yes" if row.within_budget else "no",
            "yes" if row.reviewed_by_reader else "no",
        ]


def xlsx(ranking: Ranking) -> IO[bytes]:
    return write_xlsx(columns(ranking), rows(ranking), title="ranking")
