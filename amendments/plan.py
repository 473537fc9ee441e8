"""A grant's plan (period, amount, budget lines, partners) as a record, what a request changes in
it, and the fund's rules for the changed plan. Reads only; `amendments.services` writes.

The record is JSON (dates as ISO days, amounts as text with two decimals), so that it can be
frozen on the request (`Amendment.previous`) and kept in the audit row as it was.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amendments.models import Amendment, ChangeKind
from applications import budget_rules
from applications.models import BudgetLine
from applications.reporting import CATEGORY_LABELS, CATEGORY_ORDER
from applications.services import policy_of
from grants.models import Grant
from grants.money import ZERO, cents
from workflows.errors import FieldProblem

EXPENSE = BudgetLine.Side.EXPENSE
INCOME = BudgetLine.Side.INCOME
LINE_KEYS = ("side", "category", "purpose", "quantity", "unit_cost", "eligible")
PARTNER_KEYS = ("name", "country", "city", "contact_email")
NOTHING_CHANGED = _(
    "This request changes nothing yet: change the project period, the budget plan, the "
    "partners or the amount."
)


# --- the plan as a record ---------------------------------------------------------------------


def _money_text(value: Any) -> str:
    try:
        return str(cents(Decimal(str(value))))
    except (InvalidOperation, ValueError, TypeError):
        return "0.00"


def line_record(row: Any) -> dict[str, Any]:
    """One budget line (a BudgetLine or a mapping of its fields) as stored in a plan."""
    get = (
        row.get if isinstance(row, dict) else lambda name, default=None: getattr(row, name, default)
    )
    side = get("side", EXPENSE)
    return {
        "side": side,
        "category": get("category", ""),
        "purpose": get("purpose", "") or "",
        "quantity": _money_text(get("quantity", "1")),
        "unit_cost": _money_text(get("unit_cost", "0")),
        "eligible": True if side == INCOME else bool(get("eligible", True)),
    }


def partner_record(row: Any) -> dict[str, str]:
    """One partner (a Partner or a mapping of its fields) as stored in a plan."""
    get = row.get if isinstance(row, dict) else lambda name, default="": getattr(row, name, default)
    return {
        "name": get("name", "") or "",
        "country": (get("country", "") or "").upper(),
        "city": get("city", "") or "",
        "contact_email": get("contact_email", "") or "",
    }


def current_plan(grant: Grant) -> dict[str, Any]:
    """The grant's plan as it stands: its period and amount, its application's budget lines
    and partners (an approved amendment rewrote them)."""
    application = grant.application
    return {
        "start_date": grant.project_start.isoformat(),
        "end_date": grant.project_end.isoformat(),
        "amount": _money_text(grant.amount_awarded),
        "budget_lines": [line_record(line) for line in application.budget_lines.all()],
        "partners": [partner_record(partner) for partner in application.partners.all()],
    }


def plan_before_decision(amendment: Amendment, grant: Grant) -> dict[str, Any]:
    """The grant's plan a decision replaces: the period and amount of the (locked) grant, the
    budget lines and partners frozen when the request was sent (only an approved request
    rewrites them, and a grant has one request open at a time)."""
    frozen = amendment.previous or {}
    if "budget_lines" not in frozen or "partners" not in frozen:
        return current_plan(grant)
    return {
        "start_date": grant.project_start.isoformat(),
        "end_date": grant.project_end.isoformat(),
        "amount": _money_text(grant.amount_awarded),
        "budget_lines": frozen["budget_lines"],
        "partners": frozen["partners"],
    }


def proposed_plan(amendment: Amendment) -> dict[str, Any]:
    """The plan a request proposes, in the same shape."""
    return {
        "start_date": amendment.start_date.isoformat(),
        "end_date": amendment.end_date.isoformat(),
        "amount": _money_text(amendment.amount),
        "budget_lines": [line_record(line) for line in amendment.budget_lines or []],
        "partners": [partner_record(partner) for partner in amendment.partners or []],
    }


def line_amount(line: dict[str, Any]) -> Decimal:
    return cents(Decimal(line["quantity"]) * Decimal(line["unit_cost"]))


def eligible_expenses(lines: list[dict[str, Any]]) -> Decimal:
    return sum((line_amount(x) for x in lines if x["side"] == EXPENSE and x["eligible"]), ZERO)


def other_income(lines: list[dict[str, Any]]) -> Decimal:
    return sum((line_amount(x) for x in lines if x["side"] == INCOME), ZERO)


def by_category(lines: list[dict[str, Any]]) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        totals[(line["side"], line["category"])] += line_amount(line)
    return dict(totals)


def _day(text: str) -> date:
    return date.fromisoformat(text)


# --- what changes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryChange:
    """One budget category's planned total before and after."""

    side: str
    category: str
    label: Any
    before: Decimal
    after: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class Changes:
    """What a proposed plan changes in the plan before it."""

    before: dict[str, Any]
    after: dict[str, Any]
    categories: list[CategoryChange] = field(default_factory=list)
    partners_added: list[dict[str, str]] = field(default_factory=list)
    partners_removed: list[dict[str, str]] = field(default_factory=list)

    @property
    def dates(self) -> bool:
        return (self.before["start_date"], self.before["end_date"]) != (
            self.after["start_date"],
            self.after["end_date"],
        )

    @property
    def budget(self) -> bool:
        return _sorted_lines(self.before["budget_lines"]) != _sorted_lines(
            self.after["budget_lines"]
        )

    @property
    def partners(self) -> bool:
        return bool(self.partners_added or self.partners_removed) or _sorted(
            self.before["partners"]
        ) != _sorted(self.after["partners"])

    @property
    def amount_before(self) -> Decimal:
        return Decimal(self.before["amount"])

    @property
    def amount_after(self) -> Decimal:
        return Decimal(self.after["amount"])

    @property
    def start_before(self) -> date:
        return _day(self.before["start_date"])

    @property
    def start_after(self) -> date:
        return _day(self.after["start_date"])

    @property
    def end_before(self) -> date:
        return _day(self.before["end_date"])

    @property
    def end_after(self) -> date:
        return _day(self.after["end_date"])

    @property
    def kinds(self) -> list[str]:
        found: list[str] = []
        if self.dates:
            found.append(ChangeKind.DATES)
        if self.budget:
            found.append(ChangeKind.BUDGET)
        if self.partners:
            found.append(ChangeKind.PARTNERS)
        if self.amount_after > self.amount_before:
            found.append(ChangeKind.RAISE)
        elif self.amount_after < self.amount_before:
            found.append(ChangeKind.REDUCTION)
        return found

    @property
    def kind_labels(self) -> list[Any]:
        return [ChangeKind(kind).label for kind in self.kinds]

    def as_record(self) -> dict[str, Any]:
        """For the audit row: each change from -> to, as text."""
        record: dict[str, Any] = {"kinds": [str(kind) for kind in self.kinds]}
        if self.dates:
            record["start_date"] = [self.before["start_date"], self.after["start_date"]]
            record["end_date"] = [self.before["end_date"], self.after["end_date"]]
        if self.amount_before != self.amount_after:
            record["amount"] = [self.before["amount"], self.after["amount"]]
        if self.categories:
            record["budget"] = {
                f"{c.side}:{c.category}": [str(c.before), str(c.after)] for c in self.categories
            }
        if self.partners_added:
            record["partners_added"] = [p["name"] for p in self.partners_added]
        if self.partners_removed:
            record["partners_removed"] = [p["name"] for p in self.partners_removed]
        return record


def _sorted_lines(lines: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(str(line[key]) for key in LINE_KEYS) for line in lines)


def _sorted(partners: list[dict[str, str]]) -> list[tuple[str, ...]]:
    return sorted(tuple(p[key] for key in PARTNER_KEYS) for p in partners)


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    totals_before = by_category(before["budget_lines"])
    totals_after = by_category(after["budget_lines"])
    categories = [
        CategoryChange(
            side=key[0],
            category=key[1],
            label=CATEGORY_LABELS.get(key, key[1]),
            before=totals_before.get(key, ZERO),
            after=totals_after.get(key, ZERO),
        )
        for key in sorted(
            set(totals_before) | set(totals_after), key=lambda k: CATEGORY_ORDER.get(k, 99)
        )
        if totals_before.get(key, ZERO) != totals_after.get(key, ZERO)
    ]
    names_before = {(p["name"], p["country"]) for p in before["partners"]}
    names_after = {(p["name"], p["country"]) for p in after["partners"]}
    return Changes(
        before=before,
        after=after,
        categories=categories,
        partners_added=[
            p for p in after["partners"] if (p["name"], p["country"]) not in names_before
        ],
        partners_removed=[
            p for p in before["partners"] if (p["name"], p["country"]) not in names_after
        ],
    )


def changes_of(amendment: Amendment) -> Changes:
    """What a request changes: against the plan frozen when it was sent (or approved), or,
    for a draft, against the grant's plan now."""
    before = amendment.previous or current_plan(amendment.grant)
    return changes_between(before, proposed_plan(amendment))


# --- the fund's rules -------------------------------------------------------------------------


def awarded_on(grant: Grant) -> date:
    """The day the grant was awarded (its offer): no cost before it can be funded."""
    return timezone.localdate(grant.offered_at)


def problems(
    amendment: Amendment, grant: Grant, *, on: date, before: dict[str, Any] | None = None
) -> list[Any]:
    """Everything that stops the request on `on` (the day it is sent): a request that changes
    nothing, and the fund's rules for the changed parts of the plan (budget_rules.check_amendment:
    the programme's amount range and share of the eligible costs, a balanced budget, dates in
    order, no start before the award, no end in the past, the partners the programme requires).
    The grant's own share (fixed at the award) is the limit. `before`: the grant's plan, if
    the caller has read it already."""
    changes = changes_between(before or current_plan(grant), proposed_plan(amendment))
    if not changes.kinds:
        return [FieldProblem("nothing_changed", "", NOTHING_CHANGED)]
    lines = changes.after["budget_lines"]
    application = grant.application
    organisation = application.organisation
    plan = budget_rules.Plan(
        requested=amendment.amount,
        eligible_expenses=eligible_expenses(lines),
        other_income=other_income(lines),
        start=amendment.start_date,
        end=amendment.end_date,
        applicant_country=organisation.country,
        partner_countries=tuple(p["country"] for p in changes.after["partners"]),
        # (the group's size is judged at submission, not for a change of the project)
        informal_group=False,
        group_member_count=0,
    )
    policy = dataclasses.replace(policy_of(grant.programme), max_share=grant.max_share)
    return list(
        budget_rules.check_amendment(
            plan,
            policy,
            awarded_on=awarded_on(grant),
            on=on,
            budget=changes.budget or changes.amount_before != changes.amount_after,
            dates=changes.dates,
            partners=changes.partners,
        )
    )
