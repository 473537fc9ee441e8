"""The programme dashboard's reads: a handful of aggregate queries over what the reader may see.

Whose rows: staff read the applications `Application.objects.visible_to(user)` gives them (a
manager's conflicts stay out); a funder signed in on the website reads the submitted
applications of the programmes their API tokens read (`grants.rules.token_programmes`, the
API's scope rule), never a single row: only the sums leave this module.

The year: applications submitted in it (as the API's statistics count years), decisions taken
in it, and the programme's budget of that year with its ledger and its grants (reports overdue,
change requests waiting). Queries, whatever the data: the programmes with their budget figures
(1), the applications by status, programme, country, region and first-time applicant (2), by
theme (3), the decision times per month (4), the ledger per month (5).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, TruncMonth
from django.utils import timezone

from applications.models import Application, ApplicationStatus
from applications.statistics import funded_applications
from dashboards import rules
from grants import rules as grant_rules
from grants.models import (
    AMENDMENT_WAITING,
    INTERIM_ACCEPTED,
    ApiToken,
    BudgetAllocation,
    Grant,
    GrantStatus,
    LedgerEntry,
    LedgerKind,
    Programme,
)
from grants.money import ZERO
from grants.open_data import public_name
from workflows import clock

MONEY = models.DecimalField(max_digits=14, decimal_places=2)
DAY_SECONDS = 86_400
# Statuses whose applications are decided (the approval rate's denominator).
DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
# Interim reports that are not in yet (not sent, or sent back for changes); accepted or waiting
# for their check are in.
_INTERIM_IN = ("submitted", INTERIM_ACCEPTED)


# --- the scope ------------------------------------------------------------------------------------


def programmes_in_scope(user: Any) -> QuerySet[Programme]:
    """The programmes whose figures `user` may read on the dashboard: every one for staff, a
    funder's tokens' programmes for a funder (none without a token)."""
    programmes = Programme.objects.order_by("fund", "category", "pk")
    if rules.reads_as_staff(user):
        return programmes
    if rules.reads_as_funder(user):
        return programmes.filter(grant_rules.token_programmes(user))
    return programmes.none()


def applications_of(user: Any) -> QuerySet[Application]:
    """The applications the dashboard counts for `user` (before the programme and year): what
    staff see, the submitted ones for funders (the programme scope is applied by the caller)."""
    if rules.reads_as_staff(user):
        return Application.objects.visible_to(user)
    if rules.reads_as_funder(user):
        return Application.objects.exclude(status=ApplicationStatus.DRAFT)
    return Application.objects.none()


def _count(grants: QuerySet[Grant]) -> Coalesce:
    """The number of a programme's `grants` (filtered on the outer programme), as an annotation
    (a correlated subquery; distinct, as a join to the amendments may repeat a grant)."""
    counted = (
        grants.order_by()
        .values("allocation__programme")
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class ProgrammeYear:
    """A programme with its budget of the year and what waits on its grants."""

    programme: Programme
    allocated: Decimal | None  # None: no budget that year
    overdue_reports: int
    overdue_interim_reports: int
    change_requests: int


def programme_years(user: Any, year: int) -> list[ProgrammeYear]:
    """The programmes in scope, each with its budget of `year`, its grants of that budget whose
    final or interim report is overdue, and those with a change request waiting: one query."""
    today = clock.today()
    allocation = BudgetAllocation.objects.filter(programme=OuterRef("pk"), year=year)
    grants = Grant.objects.filter(allocation__programme=OuterRef("pk"), allocation__year=year)
    overdue = grants.filter(status=GrantStatus.REPORT_DUE, report_due_on__lt=today)
    interim = grants.filter(status=GrantStatus.ACCEPTED, interim_report_due_on__lt=today).exclude(
        interim_report__status__in=_INTERIM_IN
    )
    waiting = grants.filter(amendments__status=AMENDMENT_WAITING)
    rows = programmes_in_scope(user).annotate(
        allocated=Subquery(allocation.values("amount")[:1], output_field=MONEY),
        overdue_reports=_count(overdue),
        overdue_interim=_count(interim),
        change_requests=_count(waiting),
    )
    return [
        ProgrammeYear(p, p.allocated, p.overdue_reports, p.overdue_interim, p.change_requests)
        for p in rows
    ]


# --- the applications -----------------------------------------------------------------------------


def _year_range(year: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def submitted_in(user: Any, programme_ids: Sequence[int], year: int) -> QuerySet[Application]:
    start, end = _year_range(year)
    return applications_of(user).filter(
        programme__in=programme_ids, submitted_at__gte=start, submitted_at__lt=end
    )


@dataclass(frozen=True)
class Group:
    """Applications of one group: how many, what they asked for, what was awarded."""

    key: Any
    count: int = 0
    requested: Decimal = ZERO
    awarded: Decimal = ZERO

    def plus(self, count: int, requested: Decimal, awarded: Decimal) -> Group:
        return Group(
            self.key, self.count + count, self.requested + requested, self.awarded + awarded
        )


_TOTALS = {
    "count": Count("pk"),
    "requested": Coalesce(Sum("requested_amount"), ZERO, output_field=MONEY),
    "awarded": Coalesce(Sum("awarded_amount"), ZERO, output_field=MONEY),
}


@dataclass
class Applications:
    """The year's applications added up along each breakdown (one query's rows)."""

    by_status: dict[str, Group] = field(default_factory=dict)
    by_programme: dict[int, Group] = field(default_factory=dict)
    by_country: dict[str, Group] = field(default_factory=dict)
    by_region: dict[str | None, Group] = field(default_factory=dict)
    first_time: int = 0
    total: Group = field(default_factory=lambda: Group(None))

    def add(self, row: dict[str, Any]) -> None:
        figures = (row["count"], row["requested"], row["awarded"])
        for groups, key in (
            (self.by_status, row["status"]),
            (self.by_programme, row["programme"]),
            (self.by_country, row["country"]),
            (self.by_region, row["region"]),
        ):
            groups[key] = groups.get(key, Group(key)).plus(*figures)
        self.total = self.total.plus(*figures)
        if row["first_time"]:
            self.first_time += row["count"]

    @property
    def decided(self) -> int:
        return sum(self.by_status[s].count for s in DECIDED if s in self.by_status)

    @property
    def approved(self) -> int:
        found = self.by_status.get(ApplicationStatus.APPROVED)
        return found.count if found else 0


def applications_by_group(applications: QuerySet[Application]) -> Applications:
    """The applications by status, programme, country, region, and whether the organisation
    applied for the first time (no application of it submitted before this one): one query."""
    earlier = Application.objects.filter(
        organisation=OuterRef("organisation"), submitted_at__lt=OuterRef("submitted_at")
    )
    rows: Any = (
        applications.order_by()
        .annotate(first_time=~Exists(earlier))
        .values(
            "status",
            "programme",
            "first_time",
            country=F("organisation__country"),
            region=NullIf(F("organisation__region"), Value("")),
        )
        .annotate(**_TOTALS)
    )
    found = Applications()
    for row in rows:
        found.add(row)
    return found


def applications_by_theme(applications: QuerySet[Application]) -> dict[str | None, Group]:
    """The applications per theme (one with two themes counts under each; None: no theme)."""
    rows: Any = (
        applications.order_by()
        .values(theme=F("theme_rows__theme"))
        .annotate(**_TOTALS)
        .order_by("theme")
    )
    return {r["theme"]: Group(r["theme"], r["count"], r["requested"], r["awarded"]) for r in rows}


# --- time to decision -----------------------------------------------------------------------------


class _Percentile(models.Aggregate):
    """PostgreSQL's percentile_cont: the value at `fraction` of the ordered values, linearly
    interpolated between neighbours (as `percentile` below)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float) -> None:
        super().__init__(expression)
        self.extra["fraction"] = float(fraction)


class _Seconds(Func):
    """The seconds between submission and decision (PostgreSQL)."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "
    output_field = FloatField()


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The value at `fraction` of the sorted values, interpolated linearly between the two
    nearest (PostgreSQL's percentile_cont); None for no value."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    below, above = math.floor(position), math.ceil(position)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


@dataclass(frozen=True)
class DecisionMonth:
    month: date
    decisions: int
    median_days: Decimal | None
    p90_days: Decimal | None


def _days(seconds: float | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / DAY_SECONDS).quantize(Decimal("0.1"))


def _as_month(value: date | datetime) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def decision_times(
    user: Any, programme_ids: Sequence[int], year: int, *, through: date
) -> list[DecisionMonth]:
    """Per month of `year` (up to the month of `through`): the decisions taken (approved or
    rejected) and their median and 90th percentile of days from submission. One query: the
    percentiles in the database on PostgreSQL, over the durations in Python elsewhere."""
    start, end = _year_range(year)
    decided = (
        applications_of(user)
        .filter(
            programme__in=programme_ids,
            status__in=DECIDED,
            decided_at__gte=start,
            decided_at__lt=end,
            submitted_at__isnull=False,
        )
        .order_by()
        .annotate(month=TruncMonth("decided_at"))
    )
    found: dict[date, tuple[int, float | None, float | None]] = {}
    if connection.vendor == "postgresql":
        seconds = _Seconds(F("decided_at"), F("submitted_at"))
        for row in decided.values("month").annotate(
            n=Count("pk"), median=_Percentile(seconds, 0.5), p90=_Percentile(seconds, 0.9)
        ):
            found[_as_month(row["month"])] = (row["n"], row["median"], row["p90"])
    else:
        durations: dict[date, list[float]] = defaultdict(list)
        for month, decided_at, submitted_at in decided.values_list(
            "month", "decided_at", "submitted_at"
        ):
            if decided_at is not None and submitted_at is not None:  # both filtered so
                elapsed = (decided_at - submitted_at).total_seconds()
                durations[_as_month(month)].append(elapsed)
        for month, values in durations.items():
            found[month] = (len(values), percentile(values, 0.5), percentile(values, 0.9))
    months = []
    for month in months_of(year, through=through):
        count, median, p90 = found.get(month, (0, None, None))
        months.append(DecisionMonth(month, count, _days(median), _days(p90)))
    return months


def months_of(year: int, *, through: date) -> list[date]:
    """The first days of the months of `year`, up to the month of `through` when it falls in
    the year (the months to come have no figures yet)."""
    last = 12 if through.year > year else (through.month if through.year == year else 0)
    return [date(year, month, 1) for month in range(1, last + 1)]


# --- the budget -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetMonth:
    """The year's budget at the end of a month: cumulative sums since the year's first booking."""

    month: date
    allocated: Decimal
    committed: Decimal  # commitments less releases
    paid: Decimal  # payments less repayments
    remaining: Decimal  # allocated less committed


def _kind_sum(kind: str) -> Coalesce:
    return Coalesce(Sum("amount", filter=Q(kind=kind)), ZERO, output_field=MONEY)


def budget_months(
    programme_ids: Sequence[int], year: int, allocated: Decimal, *, through: date
) -> list[BudgetMonth]:
    """The budgets of `year` of the programmes, month by month: one query over the ledger.

    Bookings in the months after the year (late payments of the year's grants) count in its
    last month; bookings before the year (none expected) in its first."""
    rows = (
        LedgerEntry.objects.filter(allocation__year=year, allocation__programme__in=programme_ids)
        .order_by()
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            commit=_kind_sum(LedgerKind.COMMIT),
            release=_kind_sum(LedgerKind.RELEASE),
            pay=_kind_sum(LedgerKind.PAY),
            repay=_kind_sum(LedgerKind.REPAY),
        )
    )
    months = months_of(year, through=through)
    if not months:
        return []
    per_month: dict[date, list[Decimal]] = {m: [ZERO, ZERO] for m in months}
    for row in rows:
        month = min(max(_as_month(row["month"]), months[0]), months[-1])
        per_month[month][0] += row["commit"] - row["release"]
        per_month[month][1] += row["pay"] - row["repay"]
    committed = paid = ZERO
    found = []
    for month in months:
        committed += per_month[month][0]
        paid += per_month[month][1]
        found.append(BudgetMonth(month, allocated, committed, paid, allocated - committed))
    return found


def total_allocated(years: Iterable[ProgrammeYear]) -> Decimal:
    return sum((y.allocated for y in years if y.allocated is not None), ZERO)


# --- the funded projects and the reader's tokens ----------------------------------------------


@dataclass(frozen=True)
class Project:
    """A funded project as funders and the public read it (no person, no address)."""

    reference: str
    title: str
    applicant: str  # the public name (an informal group's only with its consent)
    country: str
    programme: str
    awarded: Decimal
    start: date | None
    end: date | None


class _Projects(Sequence[Project]):
    """The funded projects as a sequence the paginator slices: a count and one page of rows."""

    def __init__(self, rows: QuerySet[Any, dict[str, Any]]) -> None:
        self.rows = rows

    def count(self) -> int:  # type: ignore[override]  # the paginator's count()
        return self.rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: Any) -> Any:
        found = self.rows[index]
        if isinstance(index, slice):
            return [_project(row) for row in found]
        return _project(found)


def _project(row: dict[str, Any]) -> Project:
    return Project(
        reference=row["reference"] or "",
        title=row["title"],
        applicant=public_name(
            row["organisation__name"],
            legal_form=row["organisation__legal_form"],
            declarations=row["declarations"],
            country=row["organisation__country"],
            region=row["organisation__region"],
        ),
        country=row["organisation__country"],
        programme=row["programme__name"],
        awarded=row["awarded_amount"] or ZERO,
        start=row["start_date"],
        end=row["end_date"],
    )


def funded_projects(user: Any) -> _Projects:
    """The funded projects (approved, the grant accepted and not ended without the project, as
    the open figures count them) of the programmes in the reader's scope, newest decision first;
    only the public fields are read."""
    scope = programmes_in_scope(user).values("pk")
    rows: Any = (
        (funded_applications() & applications_of(user))
        .filter(programme__in=scope)
        .order_by("-decided_at", "-pk")
        .values(
            "reference",
            "title",
            "organisation__name",
            "organisation__legal_form",
            "organisation__country",
            "organisation__region",
            "declarations",
            "programme__name",
            "awarded_amount",
            "start_date",
            "end_date",
        )
    )
    return _Projects(rows)


def tokens_of(user: Any) -> list[ApiToken]:
    """The reader's own API tokens with their programmes, newest first (one query each)."""
    return list(
        ApiToken.objects.filter(user=user).prefetch_related("programmes").order_by("-created_at")
    )
