"""Finance reports: the approvals export (CSV, XLSX) and the budget ledger of a programme's year.

Thin views over `grants.exports`; finance officers and administrators only. The ledger chart is
an inline SVG drawn here (no JavaScript); its numbers are also in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
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
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants.finance import exports
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
        BudgetAllocation.objects.select_related("programme")
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
        context.update(
            balances=allocation.balances(),
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


# --- the chart -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    label: str
    css: str
    colour: str
    values: list[Decimal]


CHART_WIDTH, CHART_HEIGHT = 720, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 84, 12, 34, 44


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 x 10^n at or above `value` (a readable top of the axis)."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (value.adjusted())
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop ends at 10


def _n(coordinate: float) -> str:
    """A coordinate with one decimal (format_html would turn a float into text first)."""
    return f"{coordinate:.1f}"


def _amount_label(value: Decimal) -> str:
    return f"{formats.number_format(value, 0, use_l10n=True, force_grouping=True)} €"


def month_chart(months: Sequence[exports.Month], *, title: str) -> SafeString:
    """Grouped bars (commitments, payments) per month as accessible inline SVG.

    `<title>` and `<desc>` name the chart for screen readers; each bar has its own `<title>`
    with the month and amount. The same numbers are in the table next to the chart.
    """
    series = [
        Series(_("Commitments"), "committed", "#17365d", [m.committed for m in months]),
        Series(_("Payments"), "paid", "#b35900", [m.paid for m in months]),
    ]
    labels = [formats.date_format(m.month, "M Y") for m in months]
    top = nice_ceiling(max([v for s in series for v in s.values] + [Decimal(0)]))
    plot_w = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / max(len(months), 1)
    bar = max(min(slot * 0.8 / len(series), 28.0), 1.0)
    base_y = MARGIN_TOP + plot_h

    def y_of(value: Decimal) -> float:
        return base_y - float(value / top) * plot_h

    desc = (
        _("Bars per month from %(first)s to %(last)s; the highest month reaches %(max)s.")
        % {
            "first": labels[0],
            "last": labels[-1],
            "max": _amount_label(max([v for s in series for v in s.values])),
        }
        if months
        else _("No bookings yet.")
    )
    parts: list[SafeString] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            'viewBox="0 0 {} {}" width="100%" aria-labelledby="ledger-chart-title '
            'ledger-chart-desc" font-family="system-ui, sans-serif" font-size="12">',
            CHART_WIDTH,
            CHART_HEIGHT,
        ),
        format_html('<title id="ledger-chart-title">{}</title>', title),
        format_html('<desc id="ledger-chart-desc">{}</desc>', desc),
    ]
    for tick in range(5):
        value = top * tick / 4
        y = y_of(value)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ccd3da"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="#50575e">{}</text>',
                MARGIN_LEFT,
                _n(y),
                CHART_WIDTH - MARGIN_RIGHT,
                _n(y),
                MARGIN_LEFT - 6,
                _n(y + 4),
                _amount_label(value),
            )
        )
    for index, label in enumerate(labels):
        left = MARGIN_LEFT + index * slot + (slot - bar * len(series)) / 2
        for offset, one in enumerate(series):
            value = one.values[index]
            if value <= 0:
                continue  # the table says 0; an empty bar is noise for a screen reader
            y = y_of(value)
            parts.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}" '
                    'fill="{}"><title>{} {}: {}</title></rect>',
                    one.css,
                    _n(left + offset * bar),
                    _n(y),
                    _n(bar),
                    _n(base_y - y),
                    one.colour,
                    label,
                    one.label,
                    _amount_label(value),
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" fill="#1d2327">{}</text>',
                _n(MARGIN_LEFT + index * slot + slot / 2),
                base_y + 16 + (12 if len(labels) > 12 and index % 2 else 0),
                label,
            )
        )
    parts.append(
        format_html_join(
            "",
            '<rect x="{}" y="8" width="12" height="12" fill="{}"/>'
            '<text x="{}" y="18" fill="#1d2327">{}</text>',
            (
                (MARGIN_LEFT + i * 140, s.colour, MARGIN_LEFT + i * 140 + 16, s.label)
                for i, s in enumerate(series)
            ),
        )
    )
    parts.append(
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#1d2327"/></svg>',
            MARGIN_LEFT,
            base_y,
            CHART_WIDTH - MARGIN_RIGHT,
            base_y,
        )
    )
    return SafeString("".join(parts))
