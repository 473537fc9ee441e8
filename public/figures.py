"""The open figures: the fund's funded projects and their amounts by year, country, region,
theme and programme, for everyone to read.

Every number comes from `applications.statistics.statistics`, the aggregation the funder API's
`/stats/` answers with, over `funded_applications` (approved, as the API's `status=approved`):
there is no second way of counting. This module only names the groups for a reader (a
programme's name, a region's name) and orders them; nothing of a single application is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications.models import Theme
from applications.statistics import funded_applications, statistics
from grants.models import Fund, Programme
from grants.open_data import COUNTRY_NAMES
from organisations.choices import Region


@dataclass(frozen=True)
class Breakdown:
    """One way of grouping the funded projects: a key of the API's `group_by`."""

    slug: str
    title: Any  # lazy text
    label_heading: Any  # lazy text: the table's first column
    note: Any = ""  # lazy text: what a reader should know to read the numbers right


# The order the page shows them in; the slug is the API's group key and the CSV's name.
BREAKDOWNS: dict[str, Breakdown] = {
    b.slug: b
    for b in (
        Breakdown(
            "year",
            _("Funded projects by year"),
            _("Year"),
            _("The year the application was submitted, as in the API's statistics."),
        ),
        Breakdown(
            "country", _("Funded projects by country"), _("Country"), _("The applicant's country.")
        ),
        Breakdown(
            "region",
            _("Funded projects by region"),
            _("Region"),
            _("The applicant's German Land or French région."),
        ),
        Breakdown(
            "theme",
            _("Funded projects by theme"),
            _("Theme"),
            _("A project with several themes counts once under each of them."),
        ),
        Breakdown("programme", _("Funded projects by programme"), _("Programme")),
    )
}


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: its key (for the CSV), its name and its figures."""

    code: str
    label: str
    projects: int
    awarded: Decimal
    paid: Decimal


@dataclass(frozen=True)
class Figure:
    breakdown: Breakdown
    groups: list[Group]

    @property
    def slug(self) -> str:
        return self.breakdown.slug


@dataclass(frozen=True)
class Totals:
    projects: int
    awarded: Decimal
    paid: Decimal


def _names(slug: str, codes: list[Any]) -> Callable[[Any], str]:
    """The reader's name of a group key, in the active language. One query for programmes
    (only those with funded projects), none for the others."""
    if slug == "programme":
        names = {p.pk: p.name for p in Programme.objects.filter(pk__in=[c for c in codes if c])}
        return lambda code: names.get(code) or gettext("no programme")
    if slug == "country":
        return lambda code: str(COUNTRY_NAMES.get(code, code)) if code else gettext("not given")
    table: Mapping[Any, Any]
    if slug == "region":
        table, missing = dict(Region.choices), gettext("no region given")
    elif slug == "theme":
        table, missing = dict(Theme.choices), gettext("no theme given")
    else:  # year
        table, missing = {}, gettext("not submitted")
    return lambda code: str(table.get(code, code)) if code is not None else missing


def _figure(fund: Fund | None, breakdown: Breakdown) -> Figure:
    rows = statistics(funded_applications(fund), [breakdown.slug])
    name = _names(breakdown.slug, [row[breakdown.slug] for row in rows])
    groups = [
        Group(
            code="" if row[breakdown.slug] is None else str(row[breakdown.slug]),
            label=name(row[breakdown.slug]),
            projects=row["count"],
            awarded=row["awarded"],
            paid=row["paid"],
        )
        for row in rows
    ]
    if breakdown.slug != "year":  # years read in time order; the rest by weight
        groups.sort(key=lambda g: (-g.awarded, -g.projects, g.label))
    return Figure(breakdown, groups)


def figure(fund: Fund | None, slug: str) -> Figure | None:
    """One breakdown (None for an unknown one): one aggregate query, one more for programmes."""
    breakdown = BREAKDOWNS.get(slug)
    return None if breakdown is None else _figure(fund, breakdown)


def open_figures(fund: Fund | None) -> list[Figure]:
    """Every breakdown: one aggregate query each, and one for the programmes' names."""
    return [_figure(fund, breakdown) for breakdown in BREAKDOWNS.values()]


def totals(figure: Figure) -> Totals:
    """All funded projects, added up from a breakdown that counts each project once (year,
    country, region or programme; not theme): no query."""
    assert figure.slug != "theme", "a project with several themes counts more than once"
    return Totals(
        projects=sum(g.projects for g in figure.groups),
        awarded=sum((g.awarded for g in figure.groups), Decimal(0)),
        paid=sum((g.paid for g in figure.groups), Decimal(0)),
    )
