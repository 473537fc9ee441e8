"""Tests for applications.budget_rules: the fund's budget and eligibility rules.

The module under test is pure, so these tests need neither a database nor Django settings.
Only the tests that render message text need settings; they are skipped when none are
configured (e.g. when run with ``-p no:django`` before the project settings exist).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, localcontext

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from applications.budget_rules import (
    CallWindow,
    Plan,
    Policy,
    RuleCode,
    Violation,
    balance,
    check_money,
    check_plan,
    check_programme,
    earliest_start,
    max_request,
    pick_programme,
    share,
)

D = Decimal
ON = date(2026, 11, 24)
START = ON + timedelta(days=60)

POLICY = Policy(
    min_amount=D("0.01"),
    max_amount=D("5000.00"),
    max_share=D("0.80"),
    lead_time_days=42,
    rolling=True,
    requires_cross_border_partner=False,
)
CALL_POLICY = dataclasses.replace(POLICY, rolling=False)
CROSS_BORDER_POLICY = dataclasses.replace(POLICY, requires_cross_border_partner=True)
UNCAPPED_POLICY = dataclasses.replace(POLICY, max_amount=None)

PLAN = Plan(
    requested=D("2000.00"),
    eligible_expenses=D("2500.00"),
    other_income=D("500.00"),
    start=START,
    end=START + timedelta(days=30),
    applicant_country="DE",
    partner_countries=(),
    informal_group=False,
    group_member_count=0,
)

CATEGORIES: list[tuple[int, Decimal, Decimal | None]] = [
    (1, D("0.01"), D("5000.00")),
    (2, D("5000.01"), D("10000.00")),
    (3, D("10000.01"), D("50000.00")),
    (4, D("50000.01"), None),
]


def plan(**changes: object) -> Plan:
    """The valid base plan with some fields changed."""
    return dataclasses.replace(PLAN, **changes)  # type: ignore[arg-type]


def budget(requested: str, eligible: str, other: str | None = None) -> Plan:
    """A plan with these figures; ``other`` defaults to what balances the budget."""
    other_income = D(eligible) - D(requested) if other is None else D(other)
    return plan(requested=D(requested), eligible_expenses=D(eligible), other_income=other_income)


def codes(violations: list[Violation]) -> list[RuleCode]:
    return [violation.code for violation in violations]


def only(violations: list[Violation], code: RuleCode) -> Violation:
    matching = [violation for violation in violations if violation.code == code]
    assert len(matching) == 1, codes(violations)
    return matching[0]


@pytest.fixture
def render() -> Callable[[Violation], str]:
    """Render a violation's lazy message in English; skip without Django settings."""
    if not django_settings.configured:
        pytest.skip("rendering lazy messages needs Django settings")

    def _render(violation: Violation) -> str:
        with translation.override("en"):
            return str(violation.message)

    return _render


# --- the base fixtures are sound ---------------------------------------------------------------


def test_the_base_plan_has_no_violations() -> None:
    assert check_plan(PLAN, POLICY, on=ON) == []


def test_the_base_plan_in_an_open_call_has_no_violations() -> None:
    call = CallWindow(opens_on=ON, closes_on=ON)
    assert check_plan(PLAN, CALL_POLICY, on=ON, call=call) == []


def test_rule_codes_are_stable_strings() -> None:
    assert RuleCode.NOT_BALANCED == "budget_not_balanced"
    assert RuleCode.SHARE_EXCEEDED == "share_exceeded"
    assert RuleCode.CROSS_BORDER_PARTNER == "cross_border_partner_missing"
    assert RuleCode.GROUP_TOO_SMALL == "informal_group_too_small"
    assert RuleCode.NO_PROGRAMME == "no_matching_programme"
    assert RuleCode.INVALID_AMOUNT == "invalid_amount"
    assert RuleCode.FIELD_MISSING == "field_missing"
    assert RuleCode.DECLARATION_MISSING == "declaration_missing"
    assert RuleCode.START_BEFORE_AWARD == "start_before_award"
    assert RuleCode.END_IN_PAST == "end_in_past"
    assert len(set(RuleCode)) == 18


# --- check_money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["0", "0.00", "0.01", "1", "1234.56", "1.500", "9999999999.99", "-0"]
)
def test_check_money_accepts_amounts_with_at_most_two_decimals(value: str) -> None:
    assert check_money(D(value), field="requested_amount") == []


@pytest.mark.parametrize(
    "value",
    [
        "0.001",  # three decimals
        "1234.567",
        "-0.01",  # negative
        "-100",
        "10000000000",  # 10**10
        "1000000000000",  # 10**12
        "NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
    ],
)
def test_check_money_refuses_invalid_amounts_for_the_given_field(value: str) -> None:
    violations = check_money(D(value), field="budget")
    assert codes(violations) == [RuleCode.INVALID_AMOUNT]
    assert violations[0].field == "budget"


def test_check_money_reports_one_violation_per_value_even_with_several_problems() -> None:
    assert len(check_money(D("-1.234"), field="requested_amount")) == 1


def test_check_money_refuses_floats_as_a_programming_error() -> None:
    with pytest.raises(TypeError):
        check_money(0.1, field="requested_amount")  # type: ignore[arg-type]


def test_check_money_messages_say_what_is_wrong(render: Callable[[Violation], str]) -> None:
    three_decimals = render(check_money(D("1.234"), field="budget")[0])
    assert "at most two decimals" in three_decimals
    assert "negative" in render(check_money(D("-1"), field="budget")[0])
    assert "too large" in render(check_money(D(10) ** 12, field="budget")[0])
    assert "valid amount" in render(check_money(D("NaN"), field="budget")[0])


# --- check_plan: invalid money short-circuits ---------------------------------------------------


def test_invalid_money_in_a_plan_returns_only_the_money_violations() -> None:
    broken = plan(
        requested=D("100.001"),
        other_income=D("-5"),
        start=None,  # would otherwise be DATES_MISSING
        informal_group=True,  # would otherwise be GROUP_TOO_SMALL
    )
    violations = check_plan(broken, POLICY, on=ON)
    assert codes(violations) == [RuleCode.INVALID_AMOUNT, RuleCode.INVALID_AMOUNT]
    assert [v.field for v in violations] == ["requested_amount", "budget"]


def test_an_absurdly_large_eligible_expense_is_refused_under_the_budget_field() -> None:
    violations = check_plan(plan(eligible_expenses=D(10) ** 12), POLICY, on=ON)
    assert [(v.code, v.field) for v in violations] == [(RuleCode.INVALID_AMOUNT, "budget")]


# --- budget rules ----------------------------------------------------------------------------


def test_no_eligible_expenses_is_reported_on_the_budget() -> None:
    violations = check_plan(budget("0.00", "0.00", "0.00"), POLICY, on=ON)
    violation = only(violations, RuleCode.NO_ELIGIBLE_EXPENSES)
    assert violation.field == "budget"


def test_a_balanced_budget_passes() -> None:
    assert check_plan(budget("2000.00", "2500.00", "500.00"), POLICY, on=ON) == []


def test_a_budget_one_cent_short_on_income_is_not_balanced() -> None:
    violations = check_plan(budget("2000.00", "2500.00", "499.99"), POLICY, on=ON)
    assert codes(violations) == [RuleCode.NOT_BALANCED]
    assert violations[0].field == "budget"


def test_a_budget_one_cent_over_on_income_is_not_balanced() -> None:
    violations = check_plan(budget("2000.00", "2500.00", "500.01"), POLICY, on=ON)
    assert codes(violations) == [RuleCode.NOT_BALANCED]


def test_balance_is_expenses_minus_request_minus_other_income() -> None:
    assert balance(budget("2000.00", "2500.00", "500.00")) == 0
    assert balance(budget("2000.00", "2500.00", "499.99")) == D("0.01")
    assert balance(budget("2000.00", "2500.00", "500.01")) == D("-0.01")


def test_not_balanced_message_gives_the_gap_and_the_direction(
    render: Callable[[Violation], str],
) -> None:
    short = render(check_plan(budget("2000.00", "2500.00", "400.00"), POLICY, on=ON)[0])
    assert "100.00 EUR" in short
    assert "eligible expenses (2,500.00 EUR) are 100.00 EUR higher" in short
    over = render(check_plan(budget("2000.00", "2500.00", "600.00"), POLICY, on=ON)[0])
    assert "other income (2,600.00 EUR) is 100.00 EUR higher" in over


def test_exactly_eighty_percent_passes() -> None:
    assert check_plan(budget("2000.00", "2500.00"), POLICY, on=ON) == []


def test_one_cent_over_eighty_percent_fails_on_the_requested_amount() -> None:
    violations = check_plan(budget("2000.01", "2500.00"), POLICY, on=ON)
    assert codes(violations) == [RuleCode.SHARE_EXCEEDED]
    assert violations[0].field == "requested_amount"


def test_seven_thousand_five_hundred_eligible_allows_at_most_six_thousand() -> None:
    policy = UNCAPPED_POLICY
    assert check_plan(budget("6000.00", "7500.00"), policy, on=ON) == []
    assert codes(check_plan(budget("6000.01", "7500.00"), policy, on=ON)) == [
        RuleCode.SHARE_EXCEEDED
    ]


def test_the_share_rule_compares_exactly_without_rounding_the_cap() -> None:
    # 1,234.56 * 0.8 = 987.648: 987.64 is within the cap, 987.65 is above it.
    assert check_plan(budget("987.64", "1234.56"), POLICY, on=ON) == []
    assert codes(check_plan(budget("987.65", "1234.56"), POLICY, on=ON)) == [
        RuleCode.SHARE_EXCEEDED
    ]


def test_the_share_rule_ignores_a_low_precision_decimal_context() -> None:
    exact, over = budget("6000.00", "7500.00"), budget("6000.01", "7500.00")
    with localcontext() as context:
        context.prec = 3
        assert check_plan(exact, UNCAPPED_POLICY, on=ON) == []
        assert codes(check_plan(over, UNCAPPED_POLICY, on=ON)) == [RuleCode.SHARE_EXCEEDED]
        assert max_request(D("7500.01"), UNCAPPED_POLICY) == D("6000.00")


def test_share_exceeded_message_names_the_maximum_and_the_percentage(
    render: Callable[[Violation], str],
) -> None:
    text = render(check_plan(budget("6000.01", "7500.01"), UNCAPPED_POLICY, on=ON)[0])
    assert "6,000.00 EUR" in text  # 6,000.008 rounded down
    assert "80 %" in text
    assert "7,500.01 EUR" in text


@pytest.mark.parametrize(
    ("language", "amount"), [("de", "6.000,00 EUR"), ("fr", "6\xa0000,00 EUR")]
)
def test_the_share_message_writes_numbers_as_the_reader_does(render: Callable[[Violation], str], language: str, amount: str) -> None:  # fmt: skip
    [violation] = check_plan(budget("6000.01", "7500.01"), UNCAPPED_POLICY, on=ON)
    with translation.override(language):
        text = str(violation.message)
    assert "80 %" in text and "80%" not in text
    assert amount in text


def test_max_request_for_seven_thousand_five_hundred_is_six_thousand() -> None:
    assert max_request(D("7500.00"), UNCAPPED_POLICY) == D("6000.00")


def test_max_request_rounds_down_to_the_cent() -> None:
    # 7,500.01 * 0.8 = 6,000.008
    assert max_request(D("7500.01"), UNCAPPED_POLICY) == D("6000.00")
    assert str(max_request(D("7500.01"), UNCAPPED_POLICY)) == "6000.00"


def test_max_request_is_capped_by_the_programme_maximum() -> None:
    assert max_request(D("100000.00"), POLICY) == D("5000.00")


def test_max_request_is_zero_without_eligible_expenses() -> None:
    assert max_request(D("0.00"), POLICY) == 0


def test_share_is_a_percentage_with_two_decimals() -> None:
    assert share(budget("2000.00", "2500.00")) == D("80.00")
    assert share(budget("1.00", "3.00")) == D("33.34")  # rounded up, never hides excess
    assert share(budget("6000.01", "7500.01")) == D("80.01")


def test_share_is_none_without_eligible_expenses() -> None:
    assert share(budget("0.00", "0.00", "0.00")) is None


def test_a_request_below_the_programme_minimum_is_reported() -> None:
    policy = dataclasses.replace(POLICY, min_amount=D("500.00"))
    violations = check_plan(budget("499.99", "2000.00"), policy, on=ON)
    assert [(v.code, v.field) for v in violations] == [(RuleCode.BELOW_MINIMUM, "requested_amount")]


def test_a_request_at_the_programme_minimum_passes() -> None:
    policy = dataclasses.replace(POLICY, min_amount=D("500.00"))
    assert check_plan(budget("500.00", "2000.00"), policy, on=ON) == []


def test_a_request_above_the_programme_maximum_is_reported() -> None:
    violations = check_plan(budget("5000.01", "10000.00"), POLICY, on=ON)
    assert [(v.code, v.field) for v in violations] == [(RuleCode.ABOVE_MAXIMUM, "requested_amount")]


def test_a_request_at_the_programme_maximum_passes() -> None:
    assert check_plan(budget("5000.00", "10000.00"), POLICY, on=ON) == []


def test_a_programme_without_maximum_accepts_large_requests() -> None:
    assert check_plan(budget("800000.00", "1000000.00"), UNCAPPED_POLICY, on=ON) == []


def test_a_zero_request_is_below_the_minimum_of_one_cent() -> None:
    assert codes(check_plan(budget("0.00", "100.00"), POLICY, on=ON)) == [RuleCode.BELOW_MINIMUM]


def test_a_one_cent_request_is_allowed() -> None:
    assert check_plan(budget("0.01", "100.00"), POLICY, on=ON) == []


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(None, date(2027, 3, 1)), (date(2027, 3, 1), None)])
def test_a_missing_date_is_reported_on_the_start_date(start: date | None, end: date | None) -> None:
    violations = check_plan(plan(start=start, end=end), POLICY, on=ON)
    assert [(v.code, v.field) for v in violations] == [(RuleCode.DATES_MISSING, "start_date")]


def test_end_on_the_start_day_passes() -> None:
    day = ON + timedelta(days=60)
    assert check_plan(plan(start=day, end=day), POLICY, on=ON) == []


def test_end_before_start_fails_on_the_end_date() -> None:
    day = ON + timedelta(days=60)
    violations = check_plan(plan(start=day, end=day - timedelta(days=1)), POLICY, on=ON)
    assert [(v.code, v.field) for v in violations] == [(RuleCode.END_BEFORE_START, "end_date")]


def test_earliest_start_adds_the_lead_time() -> None:
    assert earliest_start(ON, POLICY) == date(2027, 1, 5)


def test_a_lead_time_of_exactly_forty_two_days_passes() -> None:
    start = ON + timedelta(days=42)
    assert check_plan(plan(start=start, end=start), POLICY, on=ON) == []


def test_a_lead_time_of_forty_one_days_fails_on_the_start_date() -> None:
    start = ON + timedelta(days=41)
    violations = check_plan(plan(start=start, end=start), POLICY, on=ON)
    assert [(v.code, v.field) for v in violations] == [(RuleCode.LEAD_TIME, "start_date")]


def test_a_start_in_the_past_breaks_the_lead_time() -> None:
    start = ON - timedelta(days=3)
    assert codes(check_plan(plan(start=start, end=ON), POLICY, on=ON)) == [RuleCode.LEAD_TIME]


def test_call_programmes_have_no_lead_time_rule() -> None:
    start = ON + timedelta(days=1)
    call = CallWindow(opens_on=ON, closes_on=ON)
    assert check_plan(plan(start=start, end=start), CALL_POLICY, on=ON, call=call) == []


def test_lead_time_message_names_dates_and_days(render: Callable[[Violation], str]) -> None:
    violations = check_plan(plan(start=date(2026, 12, 15), end=date(2026, 12, 31)), POLICY, on=ON)
    assert render(violations[0]) == (
        "Your project starts on Dec. 15, 2026, in 21 days; applications must arrive at least "
        "42 days before the start (by Nov. 3, 2026 for this start date)."
    )
    with translation.override("de"):
        assert "15. Dezember 2026" in str(violations[0].message)


def test_lead_time_message_for_a_start_in_the_past(render: Callable[[Violation], str]) -> None:
    violations = check_plan(plan(start=date(2026, 11, 20), end=ON), POLICY, on=ON)
    assert "before the submission date" in render(violations[0])


# --- calls -----------------------------------------------------------------------------------


def test_a_call_programme_without_a_call_is_reported() -> None:
    violations = check_plan(PLAN, CALL_POLICY, on=ON)
    assert [(v.code, v.field) for v in violations] == [(RuleCode.CALL_MISSING, "call")]


def test_rolling_programmes_need_no_call() -> None:
    assert check_plan(PLAN, POLICY, on=ON, call=None) == []


@pytest.mark.parametrize(
    ("on", "closed"),
    [
        (date(2026, 10, 31), True),  # the day before it opens
        (date(2026, 11, 1), False),  # opening day
        (date(2026, 11, 15), False),
        (date(2026, 11, 30), False),  # closing day
        (date(2026, 12, 1), True),  # the day after it closes
    ],
)
def test_the_call_window_includes_both_bounds(on: date, closed: bool) -> None:
    call = CallWindow(opens_on=date(2026, 11, 1), closes_on=date(2026, 11, 30))
    violations = check_plan(PLAN, CALL_POLICY, on=on, call=call)
    expected = [(RuleCode.CALL_CLOSED, "call")] if closed else []
    assert [(v.code, v.field) for v in violations] == expected


def test_call_closed_messages_name_the_relevant_date(render: Callable[[Violation], str]) -> None:
    call = CallWindow(opens_on=date(2026, 11, 1), closes_on=date(2026, 11, 30))
    early = check_plan(PLAN, CALL_POLICY, on=date(2026, 10, 1), call=call)
    late = check_plan(PLAN, CALL_POLICY, on=date(2026, 12, 24), call=call)
    assert "Nov. 1, 2026" in render(early[0])
    assert "Nov. 30, 2026" in render(late[0])


# --- cross-border partners --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("applicant", "partners", "ok"),
    [
        ("DE", ("FR",), True),
        ("DE", ("DE", "FR", "PL"), True),
        ("DE", (), False),
        ("DE", ("DE", "AT"), False),
        ("FR", ("DE",), True),
        ("FR", ("FR", "BE"), False),
        ("fr", ("de",), True),  # codes are compared case-insensitively
        ("PL", ("DE", "FR"), True),
        ("PL", ("DE",), False),
        ("PL", ("FR",), False),
        ("PL", ("PL", "CZ"), False),
    ],
)
def test_cross_border_partner_rule_for_german_french_and_third_country_applicants(
    applicant: str, partners: tuple[str, ...], ok: bool
) -> None:
    candidate = plan(applicant_country=applicant, partner_countries=partners)
    violations = check_plan(candidate, CROSS_BORDER_POLICY, on=ON)
    expected = [] if ok else [(RuleCode.CROSS_BORDER_PARTNER, "partners")]
    assert [(v.code, v.field) for v in violations] == expected


def test_cross_border_partners_are_not_needed_when_the_programme_does_not_ask() -> None:
    assert check_plan(plan(partner_countries=()), POLICY, on=ON) == []


def test_cross_border_message_names_the_missing_countries(
    render: Callable[[Violation], str],
) -> None:
    german = check_plan(plan(applicant_country="DE"), CROSS_BORDER_POLICY, on=ON)
    assert "France" in render(german[0])
    third = check_plan(plan(applicant_country="PL"), CROSS_BORDER_POLICY, on=ON)
    assert "Germany" in render(third[0])
    assert "France" in render(third[0])


# --- informal groups --------------------------------------------------------------------------


def test_an_informal_group_of_two_is_too_small() -> None:
    violations = check_plan(plan(informal_group=True, group_member_count=2), POLICY, on=ON)
    assert [(v.code, v.field) for v in violations] == [(RuleCode.GROUP_TOO_SMALL, "organisation")]


def test_an_informal_group_of_three_is_enough() -> None:
    assert check_plan(plan(informal_group=True, group_member_count=3), POLICY, on=ON) == []


def test_member_count_does_not_matter_for_organisations() -> None:
    assert check_plan(plan(informal_group=False, group_member_count=0), POLICY, on=ON) == []


# --- all violations at once -------------------------------------------------------------------


def test_check_plan_returns_all_violations_at_once() -> None:
    broken = plan(
        requested=D("2000.01"),  # share exceeded (budget still balanced)
        other_income=D("499.99"),
        end=START - timedelta(days=1),  # end before start
        informal_group=True,
        group_member_count=2,  # group too small
    )
    assert codes(check_plan(broken, POLICY, on=ON)) == [
        RuleCode.SHARE_EXCEEDED,
        RuleCode.END_BEFORE_START,
        RuleCode.GROUP_TOO_SMALL,
    ]


def test_check_plan_reports_every_rule_in_a_stable_order() -> None:
    broken = Plan(
        requested=D("6000.00"),
        eligible_expenses=D("0.00"),
        other_income=D("0.00"),
        start=ON + timedelta(days=10),
        end=ON,
        applicant_country="PL",
        partner_countries=(),
        informal_group=True,
        group_member_count=1,
    )
    policy = dataclasses.replace(POLICY, requires_cross_border_partner=True)
    assert codes(check_plan(broken, policy, on=ON)) == [
        RuleCode.NO_ELIGIBLE_EXPENSES,
        RuleCode.NOT_BALANCED,
        RuleCode.SHARE_EXCEEDED,
        RuleCode.ABOVE_MAXIMUM,
        RuleCode.END_BEFORE_START,
        RuleCode.LEAD_TIME,
        RuleCode.CROSS_BORDER_PARTNER,
        RuleCode.GROUP_TOO_SMALL,
    ]
    call_policy = dataclasses.replace(policy, rolling=False)
    assert RuleCode.CALL_MISSING in codes(check_plan(broken, call_policy, on=ON))


# --- categories -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "category"),
    [
        ("0.01", 1),
        ("5000.00", 1),
        ("5000.01", 2),
        ("10000.00", 2),
        ("10000.01", 3),
        ("50000.00", 3),
        ("50000.01", 4),
        ("9999999.99", 4),
    ],
)
def test_pick_programme_derives_the_category_from_the_amount(amount: str, category: int) -> None:
    assert pick_programme(D(amount), CATEGORIES) == category


@pytest.mark.parametrize("amount", ["0.00", "-1.00", "5000.005", "NaN", "Infinity"])
def test_pick_programme_finds_nothing_outside_the_ranges(amount: str) -> None:
    assert pick_programme(D(amount), CATEGORIES) is None


def test_check_programme_reports_no_matching_programme_on_the_requested_amount() -> None:
    assert check_programme(D("5000.01"), CATEGORIES) == []
    violations = check_programme(D("0.00"), CATEGORIES)
    assert [(v.code, v.field) for v in violations] == [(RuleCode.NO_PROGRAMME, "requested_amount")]


# --- policy sanity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"max_share": D("1.5")},
        {"max_share": D("-0.1")},
        {"min_amount": D("-1")},
        {"max_amount": D("0.00"), "min_amount": D("1.00")},
        {"lead_time_days": -1},
    ],
)
def test_a_nonsensical_policy_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(POLICY, **changes)  # type: ignore[arg-type]


def test_a_policy_with_a_float_share_is_refused() -> None:
    with pytest.raises(TypeError):
        dataclasses.replace(POLICY, max_share=0.8)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------

eligible_amounts = st.decimals(
    min_value=D("0.01"), max_value=D("100000000.00"), places=2, allow_nan=False
)
max_shares = st.sampled_from([D("0.5"), D("0.75"), D("0.80"), D("0.9"), D("1")])
max_amounts = st.one_of(
    st.none(), st.decimals(min_value=D("0.01"), max_value=D("1000000.00"), places=2)
)


@hypothesis_settings(database=None, max_examples=200)
@given(data=st.data(), eligible=eligible_amounts, max_share=max_shares)
def test_any_request_up_to_max_request_with_balancing_income_passes_budget_rules(
    data: st.DataObject, eligible: Decimal, max_share: Decimal
) -> None:
    policy = dataclasses.replace(UNCAPPED_POLICY, max_share=max_share, min_amount=D("0.00"))
    ceiling = max_request(eligible, policy)
    requested = data.draw(st.decimals(min_value=D("0.00"), max_value=ceiling, places=2))
    candidate = plan(
        requested=requested, eligible_expenses=eligible, other_income=eligible - requested
    )
    found = codes(check_plan(candidate, policy, on=ON))
    assert RuleCode.NOT_BALANCED not in found
    assert RuleCode.SHARE_EXCEEDED not in found
    assert RuleCode.INVALID_AMOUNT not in found


@hypothesis_settings(database=None, max_examples=200)
@given(eligible=eligible_amounts, max_share=max_shares)
def test_one_cent_more_than_max_request_exceeds_the_share(
    eligible: Decimal, max_share: Decimal
) -> None:
    policy = dataclasses.replace(UNCAPPED_POLICY, max_share=max_share)
    requested = max_request(eligible, policy) + D("0.01")
    candidate = plan(
        requested=requested,
        eligible_expenses=eligible,
        other_income=max(eligible - requested, D("0.00")),
    )
    assert RuleCode.SHARE_EXCEEDED in codes(check_plan(candidate, policy, on=ON))


@hypothesis_settings(database=None, max_examples=200)
@given(eligible=eligible_amounts, max_share=max_shares, max_amount=max_amounts)
def test_one_cent_more_than_max_request_is_always_refused(
    eligible: Decimal, max_share: Decimal, max_amount: Decimal | None
) -> None:
    policy = dataclasses.replace(
        POLICY, max_share=max_share, max_amount=max_amount, min_amount=D("0.00")
    )
    requested = max_request(eligible, policy) + D("0.01")
    candidate = plan(
        requested=requested,
        eligible_expenses=eligible,
        other_income=max(eligible - requested, D("0.00")),
    )
    found = set(codes(check_plan(candidate, policy, on=ON)))
    assert found & {RuleCode.SHARE_EXCEEDED, RuleCode.ABOVE_MAXIMUM}


@hypothesis_settings(database=None, max_examples=200)
@given(eligible=eligible_amounts, max_share=max_shares)
def test_a_share_shown_within_the_cap_never_breaks_the_share_rule(
    eligible: Decimal, max_share: Decimal
) -> None:
    policy = dataclasses.replace(UNCAPPED_POLICY, max_share=max_share)
    for requested in (max_request(eligible, policy), max_request(eligible, policy) + D("0.01")):
        candidate = plan(
            requested=requested,
            eligible_expenses=eligible,
            other_income=max(eligible - requested, D("0.00")),
        )
        shown = share(candidate)
        assert shown is not None
        exceeded = RuleCode.SHARE_EXCEEDED in codes(check_plan(candidate, policy, on=ON))
        assert exceeded == (shown > max_share * 100)
