"""The dashboard as the reader sees it: each figure is a chart (workflows.charts), the same
numbers as a table beside it, and as CSV rows (stable column keys, as the finance exports).

`dashboard()` runs the selectors once; each `Figure` carries its chart, its table and its CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from applications.models import ApplicationStatus, Theme
from dashboards import selectors
from dashboards.selectors import Group, ProgrammeYear
from grants.finance.exports import Column
from grants.money import ZERO, format_eur
from grants.open_data import COUNTRY_NAMES
from organisations.choices import Region
from workflows import charts, clock


def euros(value: Decimal) -> str:
    """A whole-euro amount for an axis or a bar, in the reader's language."""
    return f"{formats.number_format(value, 0, use_l10n=True, force_grouping=True)} €"


def number(value: Decimal | int) -> str:
    return formats.number_format(value, 0, use_l10n=True, force_grouping=True)


def days(value: Decimal) -> str:
    return ngettext("%(n)s day", "%(n)s days", 1 if value == 1 else 2) % {
        "n": formats.number_format(value, 1, use_l10n=True)
    }


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in percent with one decimal; None when `whole` is nothing."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


def percent_text(value: Decimal | None) -> str:
    return "–" if value is None else f"{formats.number_format(value, 1, use_l10n=True)} %"


@dataclass(frozen=True)
class Figure:
    """One chart with its table and its CSV."""

    slug: str
    title: str
    chart: SafeString
    headings: Sequence[str]  # the table's, in the reader's language
    cells: list[list[str]]  # the table's rows, formatted for reading
    columns: Sequence[Column]  # the CSV's, stable keys
    rows: list[list[Any]]  # the CSV's rows, raw values
    note: str = ""

    @property
    def table(self) -> SafeString:
        """The numbers of the chart as a table: the group's name heads its row. Written here
        rather than by a template loop: a dashboard has some hundred cells."""
        head = format_html_join("", '<th scope="col">{}</th>', ((h,) for h in self.headings))
        if self.cells:
            body = SafeString(
                "".join(
                    format_html(
                        '<tr><th scope="row">{}</th>{}</tr>',
                        row[0],
                        format_html_join("", '<td class="amount">{}</td>', ((c,) for c in row[1:])),
                    )
                    for row in self.cells
                )
            )
        else:
            body = format_html(
                '<tr><td colspan="{}">{}</td></tr>', len(self.headings), _("Nothing in this year.")
            )
        caption = _("%(title)s: the numbers of the chart") % {"title": self.title}
        return format_html(
            '<table class="rows" id="table-{}"><caption>{}</caption><thead><tr>{}</tr></thead>'
            "<tbody>{}</tbody></table>",
            self.slug,
            caption,
            head,
            body,
        )


# --- the breakdowns -------------------------------------------------------------------------------

GROUP_COLUMNS = (
    Column("code", "text"),
    Column("name", "text"),
    Column("applications", "int"),
    Column("requested_eur", "amount"),
    Column("awarded_eur", "amount"),
)


def _count_text(group: Group) -> str:
    return ngettext("%(n)s application", "%(n)s applications", group.count) % {
        "n": number(group.count)
    }


def _amounts_text(group: Group) -> str:
    return _("%(requested)s requested, %(awarded)s awarded") % {
        "requested": euros(group.requested),
        "awarded": euros(group.awarded),
    }


def _group_text(group: Group) -> str:
    return f"{_count_text(group)} · {_amounts_text(group)}"


def _breakdown(
    slug: str,
    title: str,
    heading: str,
    groups: Sequence[tuple[str, str, Group]],
    *,
    note: str = "",
) -> Figure:
    """Bars as long as the number of applications of each group: the number beside the bar,
    the amounts after the group's name above it (there is room for them on that line)."""
    bars = [
        charts.Bar(f"{label} · {_amounts_text(g)}", Decimal(g.count), _count_text(g))
        for _code, label, g in groups
    ]
    if groups:
        desc = _(
            "One bar per group, as long as its number of applications, with the number beside "
            "it and the amounts requested and awarded after the name of the group. The most: "
            "%(label)s, %(figures)s."
        ) % {
            "label": max(groups, key=lambda g: g[2].count)[1],
            "figures": _group_text(max(groups, key=lambda g: g[2].count)[2]),
        }
    else:
        desc = _("No application in this year.")
    return Figure(
        slug=slug,
        title=title,
        chart=charts.bar_chart(
            bars,
            chart_id=f"chart-{slug}",
            title=title,
            desc=desc,
            empty=_("No application in this year."),
            value_room=180,
        ),
        headings=[heading, _("Applications"), _("Requested"), _("Awarded")],
        cells=[
            [label, number(g.count), format_eur(g.requested), format_eur(g.awarded)]
            for _code, label, g in groups
        ],
        columns=GROUP_COLUMNS,
        rows=[[code, label, g.count, g.requested, g.awarded] for code, label, g in groups],
        note=note,
    )


def _label(choices: Any, key: Any, *, none: str) -> str:
    if key is None or key == "":
        return none
    try:
        return str(choices(key).label)
    except ValueError:
        return str(key)


# --- the whole dashboard --------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    year: int
    programmes: list[ProgrammeYear]  # the chosen ones (all in scope, or one)
    applications: selectors.Applications
    figures: list[Figure]

    @property
    def approval_rate(self) -> Decimal | None:
        return percent(self.applications.approved, self.applications.decided)

    @property
    def first_time_share(self) -> Decimal | None:
        return percent(self.applications.first_time, self.applications.total.count)

    @property
    def allocated(self) -> Decimal:
        return selectors.total_allocated(self.programmes)

    @property
    def has_budget(self) -> bool:
        return any(p.allocated is not None for p in self.programmes)

    def figure(self, slug: str) -> Figure | None:
        return next((f for f in self.figures if f.slug == slug), None)


SLUGS = (
    "pipeline",
    "decision-times",
    "approval",
    "budget",
    "first-time",
    "programme",
    "country",
    "region",
    "theme",
    "follow-up",
)


def dashboard(user: Any, programmes: list[ProgrammeYear], year: int) -> Dashboard:
    """Every figure of the programmes' year (4 queries besides the programmes')."""
    today = clock.today()
    ids = [p.programme.pk for p in programmes]
    applications = selectors.submitted_in(user, ids, year)
    groups = selectors.applications_by_group(applications)
    themes = selectors.applications_by_theme(applications)
    decisions = selectors.decision_times(user, ids, year, through=today)
    allocated = selectors.total_allocated(programmes)
    budget = selectors.budget_months(ids, year, allocated, through=today)
    names = {p.programme.pk: str(p.programme) for p in programmes}
    figures = [
        _pipeline(groups),
        _decision_times(decisions),
        _approval(groups),
        _budget(budget, has_budget=any(p.allocated is not None for p in programmes)),
        _first_time(groups),
        _breakdown(
            "programme",
            _("Applications by programme"),
            _("Programme"),
            [
                (str(p.programme.code), names[p.programme.pk], groups.by_programme[p.programme.pk])
                for p in programmes
                if p.programme.pk in groups.by_programme
            ],
        ),
        _breakdown(
            "country",
            _("Applications by country"),
            _("Country"),
            [
                (code, str(COUNTRY_NAMES.get(code, code)), g)
                for code, g in sorted(groups.by_country.items(), key=lambda kv: -kv[1].count)
            ],
            note=_("The applicant's country."),
        ),
        _breakdown(
            "region",
            _("Applications by region"),
            _("Region"),
            [
                (code or "", _label(Region, code, none=_("no region")), g)
                for code, g in sorted(
                    groups.by_region.items(), key=lambda kv: (-kv[1].count, kv[0] or "")
                )
            ],
            note=_("The applicant's German Land or French région."),
        ),
        _breakdown(
            "theme",
            _("Applications by theme"),
            _("Theme"),
            [
                (code or "", _label(Theme, code, none=_("no theme")), g)
                for code, g in sorted(themes.items(), key=lambda kv: (-kv[1].count, kv[0] or ""))
            ],
            note=_("An application with several themes counts once under each of them."),
        ),
        _follow_up(programmes, names),
    ]
    return Dashboard(year, programmes, groups, figures)


# --- the single figures ---------------------------------------------------------------------------


def _pipeline(groups: selectors.Applications) -> Figure:
    statuses = [
        (str(status.value), str(status.label), groups.by_status.get(status.value))
        for status in ApplicationStatus
        if status != ApplicationStatus.DRAFT
    ]
    shown = [(code, label, g or Group(code)) for code, label, g in statuses]
    figure = _breakdown("pipeline", _("Pipeline by status"), _("Status"), shown)
    return Figure(
        slug=figure.slug,
        title=figure.title,
        chart=figure.chart,
        headings=figure.headings,
        cells=figure.cells,
        columns=figure.columns,
        rows=figure.rows,
        note=_("The applications submitted in the year, by their status today."),
    )


DECISION_COLUMNS = (
    Column("month", "text"),
    Column("decisions", "int"),
    Column("median_days", "text"),
    Column("p90_days", "text"),
)


def _decision_times(months: list[selectors.DecisionMonth]) -> Figure:
    title = _("Days from submission to decision, per month of the decision")
    labels = [formats.date_format(m.month, "M") for m in months]
    series = [
        charts.Series(_("Median"), [m.median_days for m in months], charts.PALETTE[0], "median"),
        charts.Series(_("90th percentile"), [m.p90_days for m in months], charts.PALETTE[1], "p90"),
    ]
    decided = [m for m in months if m.decisions]
    if decided:
        slowest = max(decided, key=lambda m: m.p90_days or 0)
        desc = _(
            "Two lines per month: the median and the 90th percentile of the days between "
            "submission and decision. The slowest month: %(month)s, 90 %% decided within "
            "%(days)s."
        ) % {
            "month": formats.date_format(slowest.month, "F Y"),
            "days": days(slowest.p90_days or ZERO),
        }
    else:
        desc = _("No decision in this year yet.")
    return Figure(
        slug="decision-times",
        title=title,
        chart=charts.line_chart(
            labels,
            series,
            chart_id="chart-decision-times",
            title=title,
            desc=desc,
            value_text=lambda v: number(v),
        ),
        headings=[_("Month"), _("Decisions"), _("Median (days)"), _("90th percentile (days)")],
        cells=[
            [
                formats.date_format(m.month, "F Y"),
                number(m.decisions),
                "–" if m.median_days is None else formats.number_format(m.median_days, 1, True),
                "–" if m.p90_days is None else formats.number_format(m.p90_days, 1, True),
            ]
            for m in months
        ],
        columns=DECISION_COLUMNS,
        rows=[
            [
                m.month.strftime("%Y-%m"),
                m.decisions,
                "" if m.median_days is None else str(m.median_days),
                "" if m.p90_days is None else str(m.p90_days),
            ]
            for m in months
        ],
        note=_(
            "Approvals and rejections; the 90th percentile: nine decisions in ten took at most "
            "this long."
        ),
    )


SHARE_COLUMNS = (
    Column("code", "text"),
    Column("name", "text"),
    Column("applications", "int"),
    Column("percent", "text"),
)


def _shares(
    slug: str, title: str, heading: str, parts: list[tuple[str, str, int]], *, note: str
) -> Figure:
    whole = sum(count for _code, _label, count in parts)
    texts = [
        ngettext("%(n)s application", "%(n)s applications", count) % {"n": number(count)}
        + f" · {percent_text(percent(count, whole))}"
        for _code, _label, count in parts
    ]
    desc = (
        "; ".join(
            f"{label}: {text}" for (_code, label, _count), text in zip(parts, texts, strict=True)
        )
        if whole
        else _("No application in this year.")
    )
    return Figure(
        slug=slug,
        title=title,
        chart=charts.bar_chart(
            [
                charts.Bar(label, Decimal(count), text)
                for (_code, label, count), text in zip(parts, texts, strict=True)
            ],
            chart_id=f"chart-{slug}",
            title=title,
            desc=desc,
            empty=_("No application in this year."),
            value_room=260,
        ),
        headings=[heading, _("Applications"), _("Share")],
        cells=[
            [label, number(count), percent_text(percent(count, whole))]
            for _code, label, count in parts
        ],
        columns=SHARE_COLUMNS,
        rows=[
            [code, label, count, str(percent(count, whole) or "")] for code, label, count in parts
        ],
        note=note,
    )


def _approval(groups: selectors.Applications) -> Figure:
    parts = [
        (
            str(status.value),
            str(status.label),
            groups.by_status[status.value].count if status.value in groups.by_status else 0,
        )
        for status in selectors.DECIDED
    ]
    return _shares(
        "approval",
        _("Approval rate"),
        _("Decision"),
        parts,
        note=_("Of the year's applications decided so far: approved ones against rejected ones."),
    )


def _first_time(groups: selectors.Applications) -> Figure:
    total = groups.total.count
    parts = [
        ("first_time", _("First-time applicants"), groups.first_time),
        ("returning", _("Applied before"), total - groups.first_time),
    ]
    return _shares(
        "first-time",
        _("First-time applicants"),
        _("Applicant"),
        parts,
        note=_(
            "An application is a first-time applicant's when its organisation had submitted no "
            "application before it (to any programme)."
        ),
    )


BUDGET_COLUMNS = (
    Column("month", "text"),
    Column("allocated_eur", "amount"),
    Column("committed_eur", "amount"),
    Column("paid_eur", "amount"),
    Column("remaining_eur", "amount"),
)


def _budget(months: list[selectors.BudgetMonth], *, has_budget: bool) -> Figure:
    title = _("Budget over the year: committed, paid and remaining against the allocation")
    labels = [formats.date_format(m.month, "M") for m in months]
    series = [
        charts.Series(
            _("Allocated"),
            [m.allocated for m in months],
            charts.PALETTE[4],
            "allocated",
            dashed=True,
        ),
        charts.Series(
            _("Committed"), [m.committed for m in months], charts.PALETTE[0], "committed"
        ),
        charts.Series(_("Paid"), [m.paid for m in months], charts.PALETTE[1], "paid"),
        charts.Series(
            _("Remaining"), [m.remaining for m in months], charts.PALETTE[2], "remaining"
        ),
    ]
    if months and has_budget:
        last = months[-1]
        desc = _(
            "Cumulative lines per month against the allocation of %(allocated)s (dashed). At "
            "the end of %(month)s: %(committed)s committed, %(paid)s paid, %(remaining)s "
            "remaining."
        ) % {
            "allocated": euros(last.allocated),
            "month": formats.date_format(last.month, "F Y"),
            "committed": euros(last.committed),
            "paid": euros(last.paid),
            "remaining": euros(last.remaining),
        }
    else:
        desc = _("No budget for this year.")
    return Figure(
        slug="budget",
        title=title,
        chart=charts.line_chart(
            labels, series, chart_id="chart-budget", title=title, desc=desc, value_text=euros
        ),
        headings=[_("Month"), _("Allocated"), _("Committed"), _("Paid"), _("Remaining")],
        cells=[
            [
                formats.date_format(m.month, "F Y"),
                format_eur(m.allocated),
                format_eur(m.committed),
                format_eur(m.paid),
                format_eur(m.remaining),
            ]
            for m in months
        ],
        columns=BUDGET_COLUMNS,
        rows=[
            [m.month.strftime("%Y-%m"), m.allocated, m.committed, m.paid, m.remaining]
            for m in months
        ],
        note=_(
            "Committed: commitments less releases; paid: payments less repayments; remaining: "
            "allocated less committed, as in the budget ledger."
        ),
    )


FOLLOW_UP_COLUMNS = (
    Column("code", "text"),
    Column("programme", "text"),
    Column("overdue_reports", "int"),
    Column("overdue_interim_reports", "int"),
    Column("change_requests_waiting", "int"),
)


def _follow_up(programmes: list[ProgrammeYear], names: dict[int, str]) -> Figure:
    title = _("Overdue reports and change requests")
    kinds: list[tuple[str, Callable[[ProgrammeYear], int]]] = [
        (_("Final reports overdue"), lambda p: p.overdue_reports),
        (_("Interim reports overdue"), lambda p: p.overdue_interim_reports),
        (_("Change requests waiting"), lambda p: p.change_requests),
    ]
    totals = [(label, sum(count(p) for p in programmes)) for label, count in kinds]
    bars = [charts.Bar(label, Decimal(total), number(total)) for label, total in totals]
    desc = "; ".join(f"{label}: {number(total)}" for label, total in totals)
    return Figure(
        slug="follow-up",
        title=title,
        chart=charts.bar_chart(
            bars,
            chart_id="chart-follow-up",
            title=title,
            desc=desc,
            empty="",
            colour=charts.PALETTE[3],
        ),
        headings=[_("Programme"), *(label for label, _count in kinds)],
        cells=[
            [names[p.programme.pk], *(number(count(p)) for _label, count in kinds)]
            for p in programmes
        ],
        columns=FOLLOW_UP_COLUMNS,
        rows=[
            [p.programme.code, names[p.programme.pk], *(count(p) for _label, count in kinds)]
            for p in programmes
        ],
        note=_(
            "Grants of the year's budget: reports past their due date, change requests waiting "
            "for a decision."
        ),
    )


TITLE = gettext_lazy("Programme dashboard")
