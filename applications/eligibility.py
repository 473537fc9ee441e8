"""The quick eligibility check before the form: a few answers in, a verdict with its reasons out.

It asks the same rules as submission (`budget_rules.check_plan`) about a plan sketched from the
answers, so the check and the form can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from applications import budget_rules
from applications.services import policy_of, programme_ranges
from grants.models import Call, Fund, Programme
from grants.money import format_eur
from organisations.choices import LegalForm
from workflows import clock
from workflows.formats import format_day


@dataclass(frozen=True)
class Answers:
    legal_form: str
    group_members: int | None
    country: str
    start: date
    amount: Decimal
    cross_border_partner: bool


@dataclass
class Verdict:
    eligible: bool
    programme: Programme | None = None
    call: Call | None = None
    reasons: list[object] = field(default_factory=list)
    problems: list[budget_rules.Violation] = field(default_factory=list)
    earliest_start: date | None = None


def open_call(programme: Programme, on: date) -> Call | None:
    return programme.calls.filter(opens_on__lte=on, closes_on__gte=on).order_by("closes_on").first()


def check_eligibility(fund: Fund, answers: Answers, *, on: date | None = None) -> Verdict:
    """Eligible or not, in which category and why; every problem with its field and message."""
    on = on or clock.today()
    problems: list[budget_rules.Violation] = []
    country = answers.country.strip().upper()
    if country not in budget_rules.FUND_COUNTRIES:
        problems.append(
            budget_rules.Violation(
                budget_rules.RuleCode.NO_PROGRAMME,
                "country",
                _("The fund supports organisations and groups based in Germany or France."),
            )
        )
    money = budget_rules.check_money(answers.amount, field="amount")
    if money:
        return Verdict(eligible=False, problems=problems + money)
    programme = budget_rules.pick_programme(answers.amount, programme_ranges(fund))
    if programme is None:
        violations = budget_rules.check_programme(answers.amount, programme_ranges(fund))
        problems += [budget_rules.Violation(v.code, "amount", v.message) for v in violations] or [
            budget_rules.Violation(
                budget_rules.RuleCode.NO_PROGRAMME,
                "amount",
                _("No funding programme covers this amount."),
            )
        ]
        return Verdict(eligible=False, problems=problems)

    policy = policy_of(programme)
    call = None if programme.is_rolling else open_call(programme, on)
    window = budget_rules.CallWindow(call.opens_on, call.closes_on) if call else None
    eligible_expenses = (answers.amount / policy.max_share).quantize(
        budget_rules.CENT, rounding=ROUND_UP
    )
    other_country = {"DE": "FR", "FR": "DE"}.get(country, "")
    informal = answers.legal_form == LegalForm.INFORMAL_GROUP
    sketch = budget_rules.Plan(
        requested=answers.amount,
        eligible_expenses=eligible_expenses,
        other_income=eligible_expenses - answers.amount,
        start=answers.start,
        end=answers.start,
        applicant_country=country,
        partner_countries=(other_country,) if answers.cross_border_partner else (),
        informal_group=informal,
        group_member_count=answers.group_members or 0,
    )
    for violation in budget_rules.check_plan(sketch, policy, on=on, call=window):
        # The sketched budget balances by construction; what remains concerns the answers.
        if violation.code in (budget_rules.RuleCode.NOT_BALANCED, budget_rules.RuleCode.SHARE_EXCEEDED):  # fmt: skip
            continue
        problems.append(violation)
    earliest = budget_rules.earliest_start(on, policy) if programme.is_rolling else None
    verdict = Verdict(
        eligible=not problems,
        programme=programme,
        call=call,
        problems=problems,
        earliest_start=earliest,
    )
    verdict.reasons = _reasons(programme, policy, answers, call, earliest, informal)
    return verdict


def _reasons(
    programme: Programme,
    policy: budget_rules.Policy,
    answers: Answers,
    call: Call | None,
    earliest: date | None,
    informal: bool,
) -> list[object]:
    """Why the answers fit: the category, its share and limits, the dates, the partners."""
    reasons: list[object] = [
        format_lazy(
            _("A request of {amount} falls into “{programme}”."),
            amount=format_eur(answers.amount),
            programme=programme.name,
        ),
        format_lazy(
            _(
                "The grant may cover at most {share} of the eligible costs; the rest comes from "
                "own funds, fees or other funders (for {amount} you need eligible costs of at "
                "least {costs})."
            ),
            share=f"{(policy.max_share * 100).normalize():f} %",
            amount=format_eur(answers.amount),
            costs=format_eur(
                (answers.amount / policy.max_share).quantize(budget_rules.CENT, rounding=ROUND_UP)
            ),
        ),
    ]
    if earliest is not None and answers.start >= earliest:
        weeks = policy.lead_time_days // 7
        reasons.append(
            format_lazy(
                ngettext_lazy(
                    "Your project starts on {start}: applications must arrive {weeks} week "
                    "before the start, i.e. by {deadline}.",
                    "Your project starts on {start}: applications must arrive {weeks} weeks "
                    "before the start, i.e. by {deadline}.",
                    weeks,
                ),
                start=format_day(answers.start),
                weeks=weeks,
                deadline=format_day(answers.start - timedelta(days=policy.lead_time_days)),
            )
        )
    if call is not None:
        reasons.append(
            format_lazy(
                _("The call “{call}” is open until {closes}."),
                call=call.title,
                closes=format_day(call.closes_on),
            )
        )
    if policy.requires_cross_border_partner:
        reasons.append(_("This category requires partners from both Germany and France."))
    elif not answers.cross_border_partner:
        reasons.append(
            _(
                "A partner across the border is not required in this category, but projects "
                "with one are preferred."
            )
        )
    if informal:
        reasons.append(
            _("Informal groups can apply when at least three people are named as members.")
        )
    return reasons
