"""Counts and sums of applications per group: the one aggregation behind the funder API's
`/stats/` and the public figures page (`public.figures`). Pure reads; who may read which
applications is the caller's queryset.

Funded (the open figures): approved by the fund, with its grant accepted and not revoked or
cancelled since (`funded_applications`): the projects the map, the showcase and the 360Giving
files count too. An approved application keeps its status when its grant later ends (declined,
lapsed, cancelled, revoked); the API's `status=approved` still counts it, the public figures no
longer do: no money went to a project that did not happen.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear, NullIf

from applications.models import Application, ApplicationStatus
from grants.models import LedgerEntry, LedgerKind
from grants.open_data import PUBLISHED_STATES

MONEY = models.DecimalField(max_digits=14, decimal_places=2)

FUNDED_STATUSES = (ApplicationStatus.APPROVED,)


def paid_of_grant() -> Subquery:
    """Payments made on the application's grant, as a subquery: joining the ledger would repeat
    the application's row once per entry and multiply its requested amount."""
    entries = (
        LedgerEntry.objects.filter(grant__application=OuterRef("pk"), kind=LedgerKind.PAY)
        .order_by()
        .values("grant")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Subquery(entries, output_field=MONEY)


# group key -> expression. Theme joins the theme rows: an application with two themes counts
# once under each (and is not joined at all unless grouped by theme).
GROUPS: dict[str, Any] = {
    "programme": F("programme_id"),
    "year": ExtractYear("submitted_at"),
    "status": F("status"),
    "country": F("organisation__country"),
    # No region is null, as no theme is (a blank enum value would be one more spelling of none).
    "region": NullIf(F("organisation__region"), Value("")),
    "theme": F("theme_rows__theme"),
}

# The figures of each group, in the order the API and the CSV files list them.
FIGURES = ("count", "requested", "awarded", "paid")


def statistics(applications: QuerySet[Application], group_by: list[str]) -> list[dict[str, Any]]:
    """Counts and sums of the applications per group (keys of GROUPS), ordered by the keys: one
    aggregate query."""
    totals = {
        "count": Count("pk"),
        "requested": Coalesce(Sum("requested_amount"), Decimal(0), output_field=MONEY),
        "awarded": Coalesce(Sum("awarded_amount"), Decimal(0), output_field=MONEY),
        "paid": Coalesce(Sum(paid_of_grant()), Decimal(0), output_field=MONEY),
    }
    applications = applications.order_by()  # an ordering would join the GROUP BY
    if not group_by:
        return [dict(applications.aggregate(**totals))]
    keys = {f"group_{name}": GROUPS[name] for name in group_by}
    grouped: Any = applications.values(**keys).annotate(**totals).order_by(*keys)
    rows: list[dict[str, Any]] = list(grouped)
    return [
        {**{name: row[f"group_{name}"] for name in group_by}, **{k: row[k] for k in totals}}
        for row in rows
    ]


def funded_applications(fund: Any = None) -> QuerySet[Application]:
    """The funded projects (of one fund, or of all): approved, the grant accepted and not
    ended without the project. Public money, counted in the open figures; no rule of who may
    read applies: only aggregates of them leave."""
    funded = Application.objects.filter(
        status__in=FUNDED_STATUSES, grant__status__in=PUBLISHED_STATES
    )
    return funded if fund is None else funded.filter(fund=fund)
