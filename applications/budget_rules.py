"""Budget and eligibility rules of the fund, in one place.

This module is pure: no database, no models, no request. Forms, the API and the submission
step build the plain frozen dataclasses below from whatever they hold and call
:func:`check_plan` (or the smaller helpers). The result is a list of :class:`Violation`
objects; an empty list means the plan satisfies every rule.

Money is always :class:`~decimal.Decimal` in EUR, never ``float``. All arithmetic is done in a
private high-precision context, so the outcome does not depend on the caller's thread-local
decimal context, and every comparison against a limit is exact (no rounding before comparing).

Messages are lazy translatable strings; they are only rendered (and therefore only need Django
settings) when converted to ``str``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from grants.money import format_eur, format_percent
from workflows.formats import format_day

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "CENT",
    "FUND_COUNTRIES",
    "MIN_GROUP_MEMBERS",
    "TOO_LARGE",
    "CallWindow",
    "Plan",
    "Policy",
    "RuleCode",
    "Violation",
    "balance",
    "check_amendment",
    "check_money",
    "check_plan",
    "check_programme",
    "earliest_start",
    "max_request",
    "pick_programme",
    "share",
]

#: The smallest unit of money the fund deals in.
CENT = Decimal("0.01")
#: Amounts at or above this are refused as absurd (typing errors, overflow attempts).
TOO_LARGE = Decimal(10) ** 10
#: The two countries of the Franco-German fund.
FUND_COUNTRIES: tuple[str, str] = ("DE", "FR")
#: The smallest informal group (without legal form) that may apply.
MIN_GROUP_MEMBERS = 3

_HUNDRED = Decimal(100)
_ZERO = Decimal(0)
# Wide enough that sums, differences and products of valid amounts (< 10**10, two decimals)
# and shares (a handful of digits) are exact; errors raise instead of passing silently.
_EXACT = Context(
    prec=60,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
_COUNTRY_NAMES = {"DE": _("Germany"), "FR": _("France")}

K = TypeVar("K")


class RuleCode(StrEnum):
    """Stable machine-readable codes of the rules. Never rename a value."""

    NOT_BALANCED = "budget_not_balanced"
    SHARE_EXCEEDED = "share_exceeded"
    BELOW_MINIMUM = "amount_below_minimum"
    ABOVE_MAXIMUM = "amount_above_maximum"
    NO_ELIGIBLE_EXPENSES = "no_eligible_expenses"
    LEAD_TIME = "lead_time_too_short"
    END_BEFORE_START = "end_before_start"
    DATES_MISSING = "dates_missing"
    CALL_CLOSED = "call_closed"
    CALL_MISSING = "call_missing"
    CROSS_BORDER_PARTNER = "cross_border_partner_missing"
    GROUP_TOO_SMALL = "informal_group_too_small"
    NO_PROGRAMME = "no_matching_programme"
    INVALID_AMOUNT = "invalid_amount"
    FIELD_MISSING = "field_missing"
    DECLARATION_MISSING = "declaration_missing"
    START_BEFORE_AWARD = "start_before_award"
    END_IN_PAST = "end_in_past"


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, which input field it belongs to, and a lazy message."""

    code: RuleCode
    field: str
    message: StrOrPromise


@dataclass(frozen=True)
class Policy:
    """The knobs of a programme that the rules need.

    ``max_share`` is a fraction (``Decimal("0.80")`` for 80 %); ``max_amount`` ``None`` means
    no upper limit; ``rolling`` ``True`` means rolling intake, ``False`` call-based intake.
    """

    min_amount: Decimal
    max_amount: Decimal | None
    max_share: Decimal
    lead_time_days: int
    rolling: bool
    requires_cross_border_partner: bool

    def __post_init__(self) -> None:
        # A broken policy is a configuration error, not a user error: fail loudly.
        for name in ("min_amount", "max_share"):
            if not isinstance(getattr(self, name), Decimal):
                raise TypeError(f"Policy.{name} must be a Decimal")
        if self.max_amount is not None and not isinstance(self.max_amount, Decimal):
            raise TypeError("Policy.max_amount must be a Decimal or None")
        if not self.min_amount.is_finite() or self.min_amount < 0:
            raise ValueError("Policy.min_amount must be a finite amount >= 0")
        if self.max_amount is not None and (
            not self.max_amount.is_finite() or self.max_amount < self.min_amount
        ):
            raise ValueError("Policy.max_amount must be a finite amount >= min_amount")
        if not self.max_share.is_finite() or not _ZERO <= self.max_share <= 1:
            raise ValueError("Policy.max_share must be a fraction between 0 and 1")
        if self.lead_time_days < 0:
            raise ValueError("Policy.lead_time_days must not be negative")


@dataclass(frozen=True)
class CallWindow:
    """The submission window of a call; both days are included."""

    opens_on: date
    closes_on: date


@dataclass(frozen=True)
class Plan:
    """What the applicant plans: the figures of the budget, the dates and who takes part.

    ``eligible_expenses`` is the sum of the eligible expense lines; ``other_income`` is own
    funds, fees, other funders and in-kind contributions together. Countries are ISO codes.
    """

    requested: Decimal
    eligible_expenses: Decimal
    other_income: Decimal
    start: date | None
    end: date | None
    applicant_country: str
    partner_countries: tuple[str, ...]
    informal_group: bool
    group_member_count: int


# --- formatting helpers (amounts follow the reader's language, dates too) ------------------


def _eur(amount: Decimal) -> StrOrPromise:
    """The amount in the reader's language, e.g. "6,000.00 EUR" / "6.000,00 EUR"."""
    return format_eur(amount.quantize(CENT, context=_EXACT))


def _floor_cent(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_DOWN, context=_EXACT)


# --- small public helpers ---------------------------------------------------------------------


def check_money(value: Decimal, *, field: str) -> list[Violation]:
    """Check that ``value`` is a usable EUR amount entered for ``field``.

    Returns at most one INVALID_AMOUNT violation, for the first problem found in this order:
    not a number (NaN/infinity), negative, too large (>= 10**10), more than two decimals.
    Trailing zeros do not count as decimals (``Decimal("1.500")`` is fine).

    Raises ``TypeError`` for anything that is not a ``Decimal``: a float reaching the money
    rules is a programming error, not something to report to the applicant.
    """
    if not isinstance(value, Decimal):
        raise TypeError(f"{field}: money must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        message = _("Please enter a valid amount in euros (e.g. 1234.56).")
    elif value < 0:
        message = _("Amounts cannot be negative.")
    elif value >= TOO_LARGE:
        message = format_lazy(
            _("This amount is too large; amounts must be below {limit}."), limit=_eur(TOO_LARGE)
        )
    elif _floor_cent(value) != value:
        message = _("Amounts must be in euros with at most two decimals (e.g. 1234.56).")
    else:
        return []
    return [Violation(RuleCode.INVALID_AMOUNT, field, message)]


def max_request(eligible_expenses: Decimal, policy: Policy) -> Decimal:
    """The largest grant the rules allow for these eligible expenses.

    ``eligible_expenses * max_share`` rounded *down* to the cent, capped at ``max_amount``.
    Never negative. Expects a valid amount (see :func:`check_money`).
    """
    by_share = _floor_cent(_EXACT.multiply(eligible_expenses, policy.max_share))
    if policy.max_amount is not None:
        by_share = min(by_share, _floor_cent(policy.max_amount))
    return max(by_share, _ZERO.quantize(CENT))


def balance(plan: Plan) -> Decimal:
    """``eligible_expenses - requested - other_income``; zero means balanced.

    Positive: expenses are higher than the income side; negative: income is higher.
    """
    income = _EXACT.add(plan.requested, plan.other_income)
    return _EXACT.subtract(plan.eligible_expenses, income)


def share(plan: Plan) -> Decimal | None:
    """The requested amount as a percentage of the eligible expenses, with two decimals.

    ``None`` when there are no (positive) eligible expenses. Rounded *up*, so that a share
    shown as ``80.00`` never hides a request that breaks an 80 % cap.
    """
    if plan.eligible_expenses <= 0:
        return None
    ratio = _EXACT.divide(_EXACT.multiply(plan.requested, _HUNDRED), plan.eligible_expenses)
    return ratio.quantize(CENT, rounding=ROUND_CEILING, context=_EXACT)


def pick_programme(
    requested: Decimal, ranges: Sequence[tuple[K, Decimal, Decimal | None]]
) -> K | None:
    """Derive the funding category from the amount.

    ``ranges`` holds ``(key, min_amount, max_amount_or_None)`` rows; both bounds are inclusive
    and ``None`` means open-ended. Returns the key of the first row containing ``requested``,
    or ``None`` when no row does (including for NaN/infinite amounts).
    """
    if not requested.is_finite():
        return None
    for key, low, high in ranges:
        if low <= requested and (high is None or requested <= high):
            return key
    return None


def check_programme(
    requested: Decimal, ranges: Sequence[tuple[K, Decimal, Decimal | None]]
) -> list[Violation]:
    """NO_PROGRAMME when :func:`pick_programme` finds no category for ``requested``."""
    if pick_programme(requested, ranges) is not None:
        return []
    if requested.is_finite():
        message = format_lazy(
            _("No funding programme covers a requested amount of {amount}."),
            amount=_eur(requested),
        )
    else:
        message = _("No funding programme covers the requested amount.")
    return [Violation(RuleCode.NO_PROGRAMME, "requested_amount", message)]


def earliest_start(on: date, policy: Policy) -> date:
    """The earliest project start that respects the lead time when submitting on ``on``."""
    return on + timedelta(days=policy.lead_time_days)


# --- the rules --------------------------------------------------------------------------------


def _check_budget(plan: Plan, policy: Policy) -> list[Violation]:
    found: list[Violation] = []
    if plan.eligible_expenses == 0:
        found.append(
            Violation(
                RuleCode.NO_ELIGIBLE_EXPENSES,
                "budget",
                _("The budget contains no eligible expenses."),
            )
        )
    gap = balance(plan)
    if gap != 0:
        income = _EXACT.add(plan.requested, plan.other_income)
        if gap > 0:
            template = _(
                "The budget is not balanced: the eligible expenses ({expenses}) are {gap} "
                "higher than the requested amount plus other income ({income})."
            )
        else:
            template = _(
                "The budget is not balanced: the requested amount plus other income ({income}) "
                "is {gap} higher than the eligible expenses ({expenses})."
            )
        found.append(
            Violation(
                RuleCode.NOT_BALANCED,
                "budget",
                format_lazy(
                    template,
                    expenses=_eur(plan.eligible_expenses),
                    income=_eur(income),
                    gap=_eur(abs(gap)),
                ),
            )
        )
    # Exact comparison against the unrounded cap: exactly max_share passes, a cent more fails.
    cap = _EXACT.multiply(plan.eligible_expenses, policy.max_share)
    if plan.requested > cap:
        found.append(
            Violation(
                RuleCode.SHARE_EXCEEDED,
                "requested_amount",
                format_lazy(
                    _(
                        "The requested amount ({requested}) is more than {percent} of the "
                        "eligible expenses ({expenses}); you can request at most {maximum}."
                    ),
                    requested=_eur(plan.requested),
                    percent=format_percent(policy.max_share),
                    expenses=_eur(plan.eligible_expenses),
                    maximum=_eur(_floor_cent(cap)),
                ),
            )
        )
    if plan.requested < policy.min_amount:
        found.append(
            Violation(
                RuleCode.BELOW_MINIMUM,
                "requested_amount",
                format_lazy(
                    _("The requested amount ({requested}) is below the minimum of {minimum}."),
                    requested=_eur(plan.requested),
                    minimum=_eur(policy.min_amount),
                ),
            )
        )
    if policy.max_amount is not None and plan.requested > policy.max_amount:
        found.append(
            Violation(
                RuleCode.ABOVE_MAXIMUM,
                "requested_amount",
                format_lazy(
                    _("The requested amount ({requested}) is above the maximum of {maximum}."),
                    requested=_eur(plan.requested),
                    maximum=_eur(policy.max_amount),
                ),
            )
        )
    return found


def _check_dates(plan: Plan, policy: Policy, on: date) -> list[Violation]:
    if plan.start is None or plan.end is None:
        return [
            Violation(
                RuleCode.DATES_MISSING,
                "start_date",
                _("Please enter both the start and the end date of the project."),
            )
        ]
    found: list[Violation] = []
    if plan.end < plan.start:
        found.append(
            Violation(
                RuleCode.END_BEFORE_START,
                "end_date",
                format_lazy(
                    _("The project cannot end ({end}) before it starts ({start})."),
                    end=format_day(plan.end),
                    start=format_day(plan.start),
                ),
            )
        )
    if policy.rolling and plan.start < earliest_start(on, policy):
        deadline = plan.start - timedelta(days=policy.lead_time_days)
        days = (plan.start - on).days
        if days < 0:
            template = _(
                "Your project starts on {start}, before the submission date; applications "
                "must arrive at least {lead} days before the start (by {deadline} for this "
                "start date)."
            )
        else:
            template = ngettext_lazy(
                "Your project starts on {start}, in {days} day; applications must arrive at "
                "least {lead} days before the start (by {deadline} for this start date).",
                "Your project starts on {start}, in {days} days; applications must arrive at "
                "least {lead} days before the start (by {deadline} for this start date).",
                days,
            )
        found.append(
            Violation(
                RuleCode.LEAD_TIME,
                "start_date",
                format_lazy(
                    template,
                    start=format_day(plan.start),
                    days=days,
                    lead=policy.lead_time_days,
                    deadline=format_day(deadline),
                ),
            )
        )
    return found


def _check_call(policy: Policy, on: date, call: CallWindow | None) -> list[Violation]:
    if policy.rolling:
        return []
    if call is None:
        return [
            Violation(
                RuleCode.CALL_MISSING,
                "call",
                _("This programme only accepts applications to an open call; choose a call."),
            )
        ]
    if on < call.opens_on:
        message = format_lazy(
            _("This call opens on {opens}; applications cannot be submitted before then."),
            opens=format_day(call.opens_on),
        )
    elif on > call.closes_on:
        message = format_lazy(
            _("This call closed on {closes}; applications are no longer accepted."),
            closes=format_day(call.closes_on),
        )
    else:
        return []
    return [Violation(RuleCode.CALL_CLOSED, "call", message)]


def _check_partners(plan: Plan, policy: Policy) -> list[Violation]:
    if not policy.requires_cross_border_partner:
        return []
    # The applicant counts for its own country; the partners must cover the other one(s).
    applicant = plan.applicant_country.strip().upper()
    present = {country.strip().upper() for country in plan.partner_countries}
    present.add(applicant)
    missing = [country for country in FUND_COUNTRIES if country not in present]
    if not missing:
        return []
    if len(missing) == 1:
        message = format_lazy(
            _("This programme requires at least one partner from {country}."),
            country=_COUNTRY_NAMES[missing[0]],
        )
    else:
        message = format_lazy(
            _("This programme requires at least one partner from {first} and one from {second}."),
            first=_COUNTRY_NAMES[missing[0]],
            second=_COUNTRY_NAMES[missing[1]],
        )
    return [Violation(RuleCode.CROSS_BORDER_PARTNER, "partners", message)]


def _check_group(plan: Plan) -> list[Violation]:
    if not plan.informal_group or plan.group_member_count >= MIN_GROUP_MEMBERS:
        return []
    message = format_lazy(
        _("An informal group needs at least {minimum} members; this one has {count}."),
        minimum=MIN_GROUP_MEMBERS,
        count=plan.group_member_count,
    )
    return [Violation(RuleCode.GROUP_TOO_SMALL, "organisation", message)]


def check_plan(
    plan: Plan, policy: Policy, *, on: date, call: CallWindow | None = None
) -> list[Violation]:
    """Run every rule on ``plan`` submitted on ``on`` and return all violations.

    If any money input is invalid, only those INVALID_AMOUNT violations are returned, since
    the other rules would be meaningless. Otherwise the order is stable:
    NO_ELIGIBLE_EXPENSES, NOT_BALANCED, SHARE_EXCEEDED, BELOW_MINIMUM, ABOVE_MAXIMUM,
    DATES_MISSING or (END_BEFORE_START, LEAD_TIME), CALL_MISSING or CALL_CLOSED,
    CROSS_BORDER_PARTNER, GROUP_TOO_SMALL.
    """
    invalid = [
        *check_money(plan.requested, field="requested_amount"),
        *check_money(plan.eligible_expenses, field="budget"),
        *check_money(plan.other_income, field="budget"),
    ]
    if invalid:
        return invalid
    return [
        *_check_budget(plan, policy),
        *_check_dates(plan, policy, on),
        *_check_call(policy, on, call),
        *_check_partners(plan, policy),
        *_check_group(plan),
    ]


def _check_amended_dates(plan: Plan, *, awarded_on: date, on: date) -> list[Violation]:
    if plan.start is None or plan.end is None:
        return [
            Violation(
                RuleCode.DATES_MISSING,
                "start_date",
                _("Please enter both the start and the end date of the project."),
            )
        ]
    found: list[Violation] = []
    if plan.end < plan.start:
        found.append(
            Violation(
                RuleCode.END_BEFORE_START,
                "end_date",
                format_lazy(
                    _("The project cannot end ({end}) before it starts ({start})."),
                    end=format_day(plan.end),
                    start=format_day(plan.start),
                ),
            )
        )
    if plan.start < awarded_on:
        found.append(
            Violation(
                RuleCode.START_BEFORE_AWARD,
                "start_date",
                format_lazy(
                    _(
                        "The project cannot start ({start}) before the grant was awarded "
                        "({awarded}): costs from before the award cannot be funded."
                    ),
                    start=format_day(plan.start),
                    awarded=format_day(awarded_on),
                ),
            )
        )
    if plan.end < on:
        found.append(
            Violation(
                RuleCode.END_IN_PAST,
                "end_date",
                format_lazy(
                    _("The new end ({end}) has already passed; please choose today or later."),
                    end=format_day(plan.end),
                ),
            )
        )
    return found


def check_amendment(
    plan: Plan,
    policy: Policy,
    *,
    awarded_on: date,
    on: date,
    budget: bool = True,
    dates: bool = True,
    partners: bool = True,
) -> list[Violation]:
    """Run the rules a funded project's amended plan must meet when it is asked for on ``on``.

    ``plan.requested`` is the new amount of the grant. Only the parts that change are judged
    again: the budget rules (balance, share, the programme's range) when the budget plan or the
    amount changes (``budget``); the dates (in order, no start before the award
    ``awarded_on``, no end in the past) when they change (``dates``); the programme's partner
    rule when the partners change (``partners``). No lead time and no call: the project is
    funded already. Same order and same invalid-money rule as :func:`check_plan`.
    """
    invalid = [
        *check_money(plan.requested, field="requested_amount"),
        *check_money(plan.eligible_expenses, field="budget"),
        *check_money(plan.other_income, field="budget"),
    ]
    if invalid:
        return invalid
    return [
        *(_check_budget(plan, policy) if budget else []),
        *(_check_amended_dates(plan, awarded_on=awarded_on, on=on) if dates else []),
        *(_check_partners(plan, policy) if partners else []),
    ]
