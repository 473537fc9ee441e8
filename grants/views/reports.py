"""Finance reports: the approvals export (CSV, XLSX) and the budget ledger of a programme's year.

Thin views over `grants.exports`; finance officers and administrators only. The ledger chart is
an inline SVG (grants.finance.charts, no JavaScript); its numbers are also in a table beside it.
A co-financed budget's ledger also shows each funder's part (grants.cofunding).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants.cofunding import funder_figures
from grants.finance import exports
from grants.finance.charts import month_chart
from grants.models import BudgetAllocation, GrantStatus, Programme
from grants.views.access import finance_only

LEDGER_PAGE_SIZE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the approvals export ------------------------------------------------------------------------


class ApprovalFilterForm(forms.Form):
    decided_from = forms.DateField(
        label=gettext_lazy("Decided from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    decided_to = forms.DateField(
        label=gettext_lazy("Decided until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    programme = forms.ModelChoiceField(
        label=gettext_lazy("Programme"),
        queryset=Programme.objects.order_by("fund", "category", "pk"),
        required=False,
        empty_label=gettext_lazy("all programmes"),
    )
    grant_status = forms.ChoiceField(
        label=gettext_lazy("Grant status"),
        choices=[("", gettext_lazy("all")), *GrantStatus.choices],
        required=False,
    )
    country = forms.RegexField(
        label=gettext_lazy("Applicant's country"),
        regex=r"^[A-Za-z]{2}$",
        required=False,
        max_length=2,
        help_text=gettext_lazy("ISO code, e.g. DE or FR"),
        error_messages={"invalid": gettext_lazy("Please enter a two-letter country code.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("decided_from"), data.get("decided_to")
        if start and end and start > end:
            self.add_error("decided_to", _("The end of the period is before its start."))
        return data

    def filters(self) -> exports.ApprovalFilters:
        data = self.cleaned_data
        programme = data.get("programme")
        return exports.ApprovalFilters(
            decided_from=data.get("decided_from"),
            decided_to=data.get("decided_to"),
            programme_id=programme.pk if programme else None,
            grant_status=data.get("grant_status") or None,
            country=(data.get("country") or "").upper() or None,
        )


def _file_name(stem: str, extension: str) -> str:
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.{extension}"


def _export_page(
    request: HttpRequest, form: ApprovalFilterForm, *, status: int = 200
) -> HttpResponse:
    context = {"form": form, "finance_section": "exports"}
    return render(request, "grants/reports/exports.html", context, status=status)


def _chosen(request: HttpRequest) -> tuple[ApprovalFilterForm, exports.ApprovalFilters | None]:
    """The filter form, and the filters when they are valid (no parameters: everything)."""
    form = ApprovalFilterForm(request.GET or None)
    if not form.is_bound:
        return form, exports.ApprovalFilters()
    return form, form.filters() if form.is_valid() else None


@finance_only
def export_page(request: HttpRequest) -> HttpResponse:
    return _export_page(request, _chosen(request)[0])


@finance_only
def approvals_csv(request: HttpRequest) -> HttpResponseBase:
    form, filters = _chosen(request)
    if filters is None:
        return _export_page(request, form, status=400)
    response = StreamingHttpResponse(
        exports.csv_stream(exports.APPROVAL_COLUMNS, exports.approval_rows(filters, request.user)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_file_name("approvals", "csv")}"'
    return response


@finance_only
def approvals_xlsx(request: HttpRequest) -> HttpResponseBase:
    form, filters = _chosen(request)
    if filters is None:
        return _export_page(request, form, status=400)
    handle = exports.write_xlsx(
        exports.APPROVAL_COLUMNS, exports.approval_rows(filters, request.user), title="approvals"
    )
    return FileResponse(
        handle, as_attachment=True, filename=_file_name("approvals", "xlsx"), content_type=XLSX_TYPE
    )


# --- the budget ledger ---------------------------------------------------------------------------


class LedgerForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=gettext_lazy("Programme"),
        queryset=Programme.objects.order_by("fund", "category", "pk"),
        empty_label=None,
    )
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, choices=[])

    def __init__(self, *args: Any, years: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year_field = self.fields["year"]
        assert isinstance(year_field, forms.TypedChoiceField)
        year_field.choices = [(y, str(y)) for y in years]


@finance_only
def ledger(request: HttpRequest) -> HttpResponse:
    """The chosen programme's budget of the chosen year (by default the first one, this year)."""
    today = timezone.localdate()
    years = sorted(
        set(BudgetAllocation.objects.values_list("year", flat=True)) | {today.year}, reverse=True
    )
    if "programme" in request.GET or "year" in request.GET:
        form = LedgerForm(request.GET, years=years)
        if not form.is_valid():
            refused = {"form": form, "finance_section": "ledger"}
            return render(request, "grants/reports/ledger.html", refused, status=400)
        programme, year = form.cleaned_data["programme"], form.cleaned_data["year"]
    else:
        programme = Programme.objects.order_by("fund", "category", "pk").first()
        year = today.year
        form = LedgerForm(initial={"programme": programme, "year": year}, years=years)
    allocation = (
        BudgetAllocation.objects.visible_to(request.user)
        .select_related("programme__fund")
        .filter(programme=programme, year=year)
        .first()
    )
    context: dict[str, Any] = {
        "form": form,
        "finance_section": "ledger",
        "programme": programme,
        "year": year,
        "allocation": allocation,
    }
    if allocation is not None:
        months = exports.monthly_figures(allocation)
        entries = Paginator(exports.ledger_entries(allocation), LEDGER_PAGE_SIZE)
        query = request.GET.copy()
        query.pop("page", None)
        title = _("Commitments and payments per month: %(programme)s %(year)s") % {
            "programme": allocation.programme,
            "year": allocation.year,
        }
        balances = allocation.balances()
        context.update(
            balances=balances,
            per_funder=funder_figures([allocation], balances={allocation.pk: balances})[
                allocation.pk
            ],
            months=months,
            chart=month_chart(months, title=title),
            page=entries.get_page(request.GET.get("page")),
            query=query.urlencode(),
        )
    return render(request, "grants/reports/ledger.html", context)


@finance_only
def ledger_csv(request: HttpRequest, pk: int) -> HttpResponseBase:
    allocation = get_object_or_404(BudgetAllocation.objects.select_related("programme"), pk=pk)
    response = StreamingHttpResponse(
        exports.csv_stream(exports.LEDGER_COLUMNS, exports.ledger_rows(allocation)),
        content_type="text/csv; charset=utf-8",
    )
    stem = f"ledger-{allocation.programme.code}-{allocation.year}"
    response["Content-Disposition"] = f'attachment; filename="{_file_name(stem, "csv")}"'
    return response
