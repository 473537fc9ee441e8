"""The report's numbers and who may see or change it: plan vs actual, entitlement, balance."""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from applications import rules
from applications.models import (
    Application,
    BudgetLine,
    ExpenseCategory,
    IncomeCategory,
    Receipt,
    Report,
)
from grants import rules as grant_rules
from grants.models import Grant, GrantStatus, kept_of_sent
from grants.money import ZERO, format_eur
from organisations.choices import OTHER_COUNTRIES
from workflows.errors import TransitionForbidden, WorkflowError

EXPENSE = BudgetLine.Side.EXPENSE
INCOME = BudgetLine.Side.INCOME
# The participants row for everyone from a country not listed separately (organisations.choices:
# CLDR's code for an unknown region, so that every key stays a two-letter code).
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
MAX_PARTICIPANTS = 100_000
MAX_RECEIPTS = 500
MAX_TEXT = 20_000

Key = tuple[str, str]  # (side, category)
Errors = dict[str, list[Any]]

CATEGORY_ORDER: dict[Key, int] = {
    key: i
    for i, key in enumerate(
        [(EXPENSE, c) for c in ExpenseCategory.values]
        + [(INCOME, c) for c in IncomeCategory.values]
    )
}
CATEGORY_LABELS: dict[Key, Any] = {
    **{(EXPENSE, value): capfirst(label) for value, label in ExpenseCategory.choices},
    **{(INCOME, value): capfirst(label) for value, label in IncomeCategory.choices},
}


# --- who may -----------------------------------------------------------------------------------


def can_read_report(grant: Grant, user: Any) -> bool:
    """Members of the grantee organisation and the staff who see the application (never
    funders): `applications.rules.may_read_report`."""
    return rules.may_read_report(grant.application, user)


def can_edit_report(grant: Grant, user: Any) -> bool:
    """Members of the grantee organisation, while the grant is due for its report."""
    return grant.status == GrantStatus.REPORT_DUE and grant_rules.can_act_for_grantee(grant, user)


def check_editable(grant: Grant, by: Any) -> None:
    """Refuse, saying why, unless `by` may change the grant's report now."""
    if not grant_rules.can_act_for_grantee(grant, by):
        raise TransitionForbidden()
    if grant.status == GrantStatus.REPORT_DUE:
        return
    message: object
    if grant.status in (GrantStatus.OFFERED, GrantStatus.ACCEPTED):
        message = _("The final report can be written once the project has ended.")
    elif grant.status == GrantStatus.REPORT_SUBMITTED:
        message = _(
            "The final report has been submitted and is being checked; it cannot be changed."
        )
    else:
        message = _(
            "The final report can no longer be changed (status of the grant: %(status)s)."
        ) % {"status": grant.get_status_display()}
    raise WorkflowError(message, code="report_not_editable")


# --- reads -------------------------------------------------------------------------------------


def existing_report(grant: Grant) -> Report | None:
    """The grant's report with its lines and receipts (and their files), or None."""
    report = (
        Report.objects.filter(grant=grant)
        .prefetch_related(
            "lines", models.Prefetch("receipts", Receipt.objects.select_related("attachment"))
        )
        .first()
    )
    if report is not None:
        report.grant = grant  # the caller's copy, with what it has read already
    return report


def planned_by_category(application: Application) -> dict[Key, Decimal]:
    """The application's budget plan summed per (side, category)."""
    planned: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    for line in application.budget_lines.all():
        planned[(line.side, line.category)] += line.amount
    return dict(planned)


def planned_eligibility(application: Application) -> dict[Key, bool]:
    """A category counts as eligible when any planned line of it does."""
    eligible: dict[Key, bool] = {}
    for line in application.budget_lines.all():
        key = (line.side, line.category)
        eligible[key] = eligible.get(key, False) or line.side == INCOME or line.eligible
    return eligible


def participants_rows(report: Report | None) -> list[tuple[str, int | None]]:
    """(country, count) rows to show: DE and FR first, other codes, then everyone else."""
    stored = dict(report.participants) if report and isinstance(report.participants, dict) else {}
    rows: list[tuple[str, int | None]] = [
        ("DE", stored.pop("DE", None)),
        ("FR", stored.pop("FR", None)),
    ]
    other = stored.pop(OTHER_COUNTRIES, None)
    rows += sorted(stored.items())
    rows.append((OTHER_COUNTRIES, other))
    return rows


# --- the figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryFigures:
    """Plan beside actual for one budget category."""

    side: str
    category: str
    label: Any
    planned: Decimal
    actual: Decimal
    eligible: bool
    receipts: Decimal  # receipts listed for it (expenses only)

    @property
    def difference(self) -> Decimal:
        return self.actual - self.planned

    @property
    def unreceipted(self) -> Decimal:
        """Actual amount not covered by receipts (negative: receipts exceed it)."""
        return self.actual - self.receipts


@dataclass(frozen=True)
class Settlement:
    """The final entitlement against what was paid: a final payment or a repayment claim."""

    entitlement: Decimal
    paid: Decimal

    @property
    def balance(self) -> Decimal:
        """Positive: a final payment is due; negative: the grantee repays."""
        return self.entitlement - self.paid

    @property
    def final_payment(self) -> Decimal:
        return max(self.balance, ZERO)

    @property
    def repayment(self) -> Decimal:
        return max(-self.balance, ZERO)


@dataclass(frozen=True)
class ReportFigures:
    """Plan vs actual, the final entitlement and what remains to be paid or repaid."""

    expenses: list[CategoryFigures]
    income: list[CategoryFigures]
    awarded: Decimal
    max_share: Decimal
    actual_expenses: Decimal
    actual_eligible_expenses: Decimal
    actual_other_income: Decimal
    receipts_total: Decimal
    entitlement: Decimal
    paid: Decimal
    unreadable: bool = False  # some typed amounts could not be read (live totals only)
    rows: list[CategoryFigures] = field(default_factory=list)

    @property
    def planned_expenses(self) -> Decimal:
        return sum((row.planned for row in self.expenses), ZERO)

    @property
    def planned_income(self) -> Decimal:
        return sum((row.planned for row in self.income), ZERO)

    @property
    def settlement(self) -> Settlement:
        return Settlement(entitlement=self.entitlement, paid=self.paid)

    @property
    def balance(self) -> Decimal:
        return self.settlement.balance

    @property
    def final_payment(self) -> Decimal:
        return self.settlement.final_payment

    @property
    def repayment(self) -> Decimal:
        return self.settlement.repayment


def paid_so_far(grant: Grant) -> Decimal:
    """Payments that have left the fund's account (exported or paid), less what an amendment
    that lowered the amount below them claims back (the settlement does not count it twice)."""
    return kept_of_sent(grant)


def figures(
    report: Report,
    *,
    lines: Iterable[Mapping[str, Any]] | None = None,
    receipts: Iterable[Mapping[str, Any]] | None = None,
    unreadable: bool = False,
) -> ReportFigures:
    """Plan vs actual per category, totals, final entitlement and balance; writes nothing.

    `lines` ({side, category, actual}) and `receipts` ({category, amount}) replace the saved
    ones, for totals of what is being typed.
    """
    grant = report.grant
    application = grant.application
    planned = planned_by_category(application)
    saved_lines = list(report.lines.all())
    eligible_of = planned_eligibility(application)
    eligible_of.update({(line.side, line.category): line.eligible for line in saved_lines})
    actual: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    rows_in = (
        lines
        if lines is not None
        else ({"side": x.side, "category": x.category, "actual": x.actual} for x in saved_lines)
    )
    for row in rows_in:
        actual[(row["side"], row["category"])] += row["actual"]
    receipted: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    receipts_in = (
        receipts
        if receipts is not None
        else ({"category": r.category, "amount": r.amount} for r in report.receipts.all())
    )
    for receipt in receipts_in:
        receipted[(EXPENSE, receipt["category"])] += receipt["amount"]
    keys = sorted(
        set(planned) | set(actual) | set(receipted), key=lambda k: CATEGORY_ORDER.get(k, 99)
    )
    rows = [
        CategoryFigures(
            side=side,
            category=category,
            label=CATEGORY_LABELS.get((side, category), category),
            planned=planned.get((side, category), ZERO),
            actual=actual.get((side, category), ZERO),
            eligible=eligible_of.get((side, category), True),
            receipts=receipted.get((side, category), ZERO),
        )
        for side, category in keys
    ]
    expenses = [row for row in rows if row.side == EXPENSE]
    income = [row for row in rows if row.side == INCOME]
    actual_expenses = sum((row.actual for row in expenses), ZERO)
    actual_eligible = sum((row.actual for row in expenses if row.eligible), ZERO)
    other_income = sum((row.actual for row in income), ZERO)
    # The grant's own rule, on a copy that is never saved.
    probe = copy.copy(grant)
    probe.actual_expenses = actual_expenses
    probe.actual_eligible_expenses = actual_eligible
    probe.actual_other_income = other_income
    return ReportFigures(
        expenses=expenses,
        income=income,
        rows=rows,
        awarded=grant.amount_awarded,
        max_share=grant.max_share,
        actual_expenses=actual_expenses,
        actual_eligible_expenses=actual_eligible,
        actual_other_income=other_income,
        receipts_total=sum((row.receipts for row in expenses), ZERO),
        entitlement=probe.entitlement(),
        paid=paid_so_far(grant),
        unreadable=unreadable,
    )


def submission_problems(report: Report, numbers: ReportFigures | None = None) -> Errors:
    """What keeps the report from being submitted, by part ("narrative", "lines", "receipts")."""
    numbers = numbers or figures(report)
    problems: Errors = {}
    if not (report.narrative or "").strip():
        problems["narrative"] = [_("Please describe what happened in the project.")]
    if numbers.actual_expenses <= 0:
        problems["lines"] = [_("Please enter at least one actual expense.")]
    receipts = []
    for row in numbers.expenses:
        if row.unreceipted == 0:
            continue
        values = {
            "category": row.label,
            "actual": format_eur(row.actual),
            "receipts": format_eur(row.receipts),
            "difference": format_eur(abs(row.unreceipted)),
        }
        if row.receipts == 0:
            message = _("%(category)s: please list the receipts for the %(actual)s spent.")
        elif row.unreceipted > 0:
            message = _(
                "%(category)s: the receipts add up to %(receipts)s, %(difference)s less than "
                "the actual amount of %(actual)s."
            )
        else:
            message = _(
                "%(category)s: the receipts add up to %(receipts)s, %(difference)s more than "
                "the actual amount of %(actual)s."
            )
        receipts.append(message % values)
    if receipts:
        problems["receipts"] = receipts
    return problems
