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

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear, NullIf

from applications.models import Application, ApplicationStatus
from grants.funders import funder_cents
from grants.languages import in_language, language_columns
from grants.models import LedgerEntry, LedgerKind
from grants.open_data import PUBLISHED_STATES, Publisher

MONEY = models.DecimalField(max_digits=14, decimal_places=2)
CENTS = models.DecimalField(max_digits=20, decimal_places=0)

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
# once under each (and is not joined at all unless grouped by theme). Funder joins the
# co-funders of the grant's budget the same way, and splits the amounts (`_by_funder`).
GROUPS: dict[str, Any] = {
    "programme": F("programme_id"),
    "year": ExtractYear("submitted_at"),
    "status": F("status"),
    "country": F("organisation__country"),
    # No region is null, as no theme is (a blank enum value would be one more spelling of none).
    "region": NullIf(F("organisation__region"), Value("")),
    "theme": F("theme_rows__theme"),
    "funder": F("grant__allocation__shares"),
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
    if "funder" in group_by:
        return _by_funder(applications, group_by, totals)
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


# --- per funder -------------------------------------------------------------------------------
# An application with a grant is financed by the budget of its grant: by the budget's
# co-funders, each with its share (grants.funders), or by the fund alone. The amounts of each
# application are split among them by the rule of `grants.funders.split`: the co-funders'
# parts are rounded down to the cent by the database, the lead funder's is the rest. Without a
# grant there is no funder yet (`funder` null, amounts whole).

_SHARE = "grant__allocation__shares"
_PERCENT = F(f"{_SHARE}__percent")
_FUND = "grant__allocation__programme__fund__name"
_COFUNDER = f"{_SHARE}__funder__name"


def _by_funder(
    applications: QuerySet[Application], group_by: list[str], totals: dict[str, Any]
) -> list[dict[str, Any]]:
    """The statistics with `funder` among the groups: one aggregate query per budget's
    co-funder (and per group), the lead funders' parts computed from the totals in Python.
    `funder` is the funder's org-id (the fund's own 360Giving identifier when it finances a
    budget alone), `funder_name` its name in the active language."""
    others = [name for name in group_by if name != "funder"]
    keys = {f"group_{name}": GROUPS[name] for name in others}
    parts = {
        f"{figure}_part": Coalesce(
            Sum(funder_cents(amount, _PERCENT)), Decimal(0), output_field=CENTS
        )
        for figure, amount in (
            ("requested", F("requested_amount")),
            ("awarded", Coalesce(F("awarded_amount"), Decimal(0), output_field=MONEY)),
            ("paid", Coalesce(paid_of_grant(), Decimal(0), output_field=MONEY)),
        )
    }
    rows = list(
        applications.values(
            *language_columns(_FUND, _COFUNDER),
            **keys,
            cof_budget=F("grant__allocation"),
            cof_share=F(_SHARE),
            cof_funder=F(f"{_SHARE}__funder__identifier"),
            cof_prefix=F("grant__allocation__programme__fund__reference_prefix"),
        ).annotate(**totals, **parts)
    )
    publisher = Publisher.from_settings()
    # The rows of one group and one budget: each of its co-funders, or one for the fund.
    budgets: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        group = tuple(row[f"group_{name}"] for name in others)
        budgets[(group, row["cof_budget"])].append(row)
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for (group, budget), found in budgets.items():
        found.sort(key=lambda row: row["cof_share"] or 0)  # the lead funder's share first
        lead, cofunders = found[0], found[1:]
        for row in found:
            if budget is None:
                funder, name = None, None
            elif row["cof_share"] is None:
                funder = publisher.funder(row["cof_prefix"])
                name = in_language(row, _FUND)
            else:
                funder, name = row["cof_funder"], in_language(row, _COFUNDER)
            figures = {"count": row["count"]}
            for figure in ("requested", "awarded", "paid"):
                if row is lead:
                    others_cents = sum((other[f"{figure}_part"] for other in cofunders), Decimal(0))
                    figures[figure] = row[figure] - Decimal(others_cents).scaleb(-2)
                else:
                    figures[figure] = Decimal(row[f"{figure}_part"]).scaleb(-2)
            key = (*group, funder)
            if key not in merged:
                merged[key] = {
                    **dict(zip(others, group, strict=True)),
                    "funder": funder,
                    "funder_name": name,
                    "count": 0,
                    **dict.fromkeys(("requested", "awarded", "paid"), Decimal(0)),
                }
            for figure, value in figures.items():
                merged[key][figure] += value
    return sorted(
        merged.values(),
        key=lambda row: [(row[name] is None, row[name] or 0) for name in group_by],
    )
