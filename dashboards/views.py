"""The dashboard's pages: the figures of a programme's (or every programme's) year, one CSV per
figure, the funded projects in the reader's scope, and the reader's own API tokens.

Thin views: `dashboards.selectors` reads, `dashboards.figures` shapes. Programme managers,
administrators and funders (`dashboards.rules`); anybody else signed in gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from dashboards import figures, rules, selectors
from grants.finance.exports import csv_stream
from workflows import clock

PROJECTS_PAGE_SIZE = 50
# Years a reader may choose: the fund's first years lie within this window.
FIRST_YEAR = 2000


def dashboard_reader(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Sign-in required; managers, administrators and funders only (403 for the others)."""

    @login_required
    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not rules.sees_dashboard(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class ChoiceForm(forms.Form):
    """Which programme (none: all in the reader's scope) and which year."""

    programme = forms.IntegerField(
        label=gettext_lazy("Programme"),
        required=False,
        min_value=1,
        error_messages={"invalid": gettext_lazy("Please choose a programme from the list.")},
    )
    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        required=False,
        error_messages={"invalid": gettext_lazy("Please enter a year, e.g. 2026.")},
    )

    def clean_year(self) -> int:
        year = self.cleaned_data.get("year")
        today = clock.today()
        if year is None:
            return today.year
        if not FIRST_YEAR <= year <= today.year + 1:
            raise forms.ValidationError(
                _("Please choose a year between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": today.year + 1}
            )
        return int(year)


def _chosen(request: HttpRequest) -> tuple[ChoiceForm, Any, int, int]:
    """The form, the programmes with their year's figures (the chosen one, or all in scope),
    the year, and the HTTP status (400 when the choice is refused)."""
    form = ChoiceForm(request.GET)
    if not form.is_valid():
        return form, [], clock.today().year, 400
    year = form.cleaned_data["year"]
    rows = selectors.programme_years(request.user, year)
    chosen = form.cleaned_data.get("programme")
    if chosen is not None:
        picked = [row for row in rows if row.programme.pk == chosen]
        if not picked:
            form.add_error("programme", _("Please choose a programme from the list."))
            return form, [], year, 400
        return form, (rows, picked), year, 200
    return form, (rows, rows), year, 200


def _years() -> list[int]:
    today = clock.today()
    return list(range(today.year + 1, max(FIRST_YEAR, today.year - 10) - 1, -1))


@dashboard_reader
def overview(request: HttpRequest) -> HttpResponse:
    """The programme dashboard: every figure as a chart, its table and its CSV."""
    form, found, year, status = _chosen(request)
    context: dict[str, Any] = {
        "form": form,
        "year": year,
        "years": _years(),
        "section": "overview",
        "as_funder": rules.reads_as_funder(request.user),
    }
    if status == 200:
        every, chosen = found
        context.update(
            programmes=every,
            chosen=chosen[0].programme if len(chosen) == 1 and len(every) > 1 else None,
            dashboard=figures.dashboard(request.user, chosen, year),
            query=request.GET.urlencode(),
        )
    return render(request, "dashboards/overview.html", context, status=status)


@dashboard_reader
def figure_csv(request: HttpRequest, slug: str) -> HttpResponseBase:
    """One figure's numbers as CSV (UTF-8 with BOM, `;`, formula cells defused)."""
    if slug not in figures.SLUGS:
        raise Http404
    form, found, year, status = _chosen(request)
    if status != 200:
        return render(
            request,
            "dashboards/overview.html",
            {"form": form, "year": year, "years": _years(), "section": "overview"},
            status=status,
        )
    figure = figures.dashboard(request.user, found[1], year).figure(slug)
    assert figure is not None  # every slug has its figure
    response = StreamingHttpResponse(
        csv_stream(figure.columns, figure.rows), content_type="text/csv; charset=utf-8"
    )
    scope = found[1][0].programme.code if len(found[1]) == 1 else "all"
    response["Content-Disposition"] = f'attachment; filename="dashboard-{slug}-{scope}-{year}.csv"'
    return response


@dashboard_reader
def projects(request: HttpRequest) -> HttpResponse:
    """The funded projects of the programmes in the reader's scope, newest decision first."""
    page = Paginator(selectors.funded_projects(request.user), PROJECTS_PAGE_SIZE)
    return render(
        request,
        "dashboards/projects.html",
        {"page": page.get_page(request.GET.get("page")), "section": "projects"},
    )


@dashboard_reader
def tokens(request: HttpRequest) -> HttpResponse:
    """The reader's own API tokens (administrators create and revoke them): read only."""
    return render(
        request,
        "dashboards/tokens.html",
        {"tokens": selectors.tokens_of(request.user), "now": clock.now(), "section": "tokens"},
    )
