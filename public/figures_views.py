"""Thin views of the open figures: the page, one CSV per breakdown, and the 360Giving files.

Open to everyone, signed in or not; GET (and HEAD) only.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_safe

from grants import open_data
from grants.finance.exports import Column, CsvBuffer, csv_cell
from grants.models import site_fund
from public import charts, figures

# Machine-readable column names, the same in every language; the group's name follows the
# reader's language.
CSV_COLUMNS = (
    Column("code", "text"),
    Column("name", "text"),
    Column("projects", "int"),
    Column("amount_awarded_eur", "amount"),
    Column("amount_paid_eur", "amount"),
)


def _chart(figure: figures.Figure) -> SafeString:
    bars = [charts.Bar(g.label, g.awarded, g.projects) for g in figure.groups]
    if bars:
        largest = max(bars, key=lambda bar: bar.amount)
        desc = ngettext(
            "%(n)s bar, each as long as the amount awarded, with the amount and the number of "
            "projects written beside it. The largest: %(label)s, %(figures)s.",
            "%(n)s bars, each as long as the amount awarded, with the amount and the number of "
            "projects written beside it. The largest: %(label)s, %(figures)s.",
            len(bars),
        ) % {"n": len(bars), "label": largest.label, "figures": charts.bar_text(largest)}
    else:
        desc = gettext("No funded project yet.")
    return charts.bar_chart(
        bars,
        chart_id=f"chart-{figure.slug}",
        title=str(figure.breakdown.title),
        desc=desc,
    )


@require_safe
def figures_page(request: HttpRequest) -> HttpResponse:
    """Funded projects and amounts by year, country, region, theme and programme."""
    fund = site_fund()
    shown = figures.open_figures(fund)
    return render(
        request,
        "public/figures/figures.html",
        {
            "fund": fund,
            "figures": [(figure, _chart(figure)) for figure in shown],
            "totals": figures.totals(shown[0]),
            "has_open_data": open_data.publishable_grants().exists(),
        },
    )


def _csv_rows(figure: figures.Figure) -> Iterator[str]:
    out = CsvBuffer()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.key for column in CSV_COLUMNS])
    for group in figure.groups:
        values = (group.code, group.label, group.projects, group.awarded, group.paid)
        writer.writerow([csv_cell(v, c) for v, c in zip(values, CSV_COLUMNS, strict=True)])
    yield out.take()


@require_safe
def figures_csv(request: HttpRequest, breakdown: str) -> HttpResponse:
    """One breakdown as CSV: UTF-8, commas, amounts with a dot and two decimals."""
    figure = figures.figure(site_fund(), breakdown)
    if figure is None:
        raise Http404
    response = HttpResponse("".join(_csv_rows(figure)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="funded-projects-by-{figure.slug}.csv"'
    return response


@require_safe
def open_data_json(request: HttpRequest) -> StreamingHttpResponse:
    """The 360Giving package of the published grants, as the API's export writes it."""
    grants = open_data.publishable_grants()
    if not grants.exists():
        raise Http404(open_data.NO_PUBLISHED_GRANT)
    response = StreamingHttpResponse(
        open_data.package_chunks(grants), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="360giving.json"'
    return response


@require_safe
def open_data_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The same grants in 360Giving's flattened CSV."""
    response = StreamingHttpResponse(
        open_data.csv_chunks(open_data.publishable_grants()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="360giving.csv"'
    return response
