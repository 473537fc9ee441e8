"""The one text cleaner and the reply-date rule every step shares, and the form fields that hold
a page's, the admin's and the API's input to them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django import forms
from django.utils import translation

from tests.support import assert_readable
from workflows import clock
from workflows.errors import InvalidInput, RuleViolation, WorkflowError
from workflows.fields import ReplyDateField, StepTextField
from workflows.text import (
    COMMENT_TEXT,
    LONG_TEXT,
    LONGEST_REPLY_DAYS,
    NAME_TEXT,
    clean_reply_date,
    clean_text,
)


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def test_text_comes_back_stripped_with_one_kind_of_line_break() -> None:
    assert (
        clean_text("  Bitte den Finanzplan\r\nerläutern.\n ") == "Bitte den Finanzplan\nerläutern."
    )
    assert clean_text(None) == ""
    assert clean_text("   ") == ""


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("Bitte\x00ergänzen", "invalid_text", id="nul-byte"),
        pytest.param("Bitte \ud800 ergänzen", "invalid_text", id="lone-surrogate"),
        pytest.param(42, "not_text", id="a-number"),
        pytest.param(["Bitte"], "not_text", id="a-list"),
        pytest.param(b"Bitte", "not_text", id="bytes"),
        pytest.param("x" * (LONG_TEXT + 1), "text_too_long", id="too-long"),
    ],
)
def test_what_no_step_takes_is_refused_naming_the_field(value: Any, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_text(value, field="message")
    assert (refused.value.code, refused.value.field) == (code, "message")
    assert [(v.code, v.field) for v in refused.value.violations] == [(code, "message")]
    assert isinstance(refused.value, RuleViolation) and isinstance(refused.value, WorkflowError)
    assert refused.value.http_status == 400
    assert_readable(refused.value.message)


def test_the_limit_counts_the_stripped_text_and_says_how_long_it_is() -> None:
    assert clean_text(" " + "x" * LONG_TEXT + "\n") == "x" * LONG_TEXT
    assert clean_text("a\r\n" * 2500) == ("a\n" * 2500).strip()  # 5,000 typed, 7,500 sent
    with pytest.raises(InvalidInput) as refused:
        clean_text("x" * 201, max_length=NAME_TEXT)
    assert (
        str(refused.value.message) == "Please shorten this to at most 200 characters (it has 201)."
    )
    assert clean_text("x" * COMMENT_TEXT, max_length=COMMENT_TEXT)
    assert clean_text("x" * (LONG_TEXT * 10), max_length=None)


def test_empty_text_is_refused_only_when_required_with_the_words_and_code_given() -> None:
    assert clean_text("", required=None) == ""
    with pytest.raises(InvalidInput) as refused:
        clean_text(
            " \n ", field="reason", required="Please give the reason.", code="reason_missing"
        )
    assert (refused.value.code, refused.value.field) == ("reason_missing", "reason")
    assert refused.value.message == "Please give the reason."


def test_the_refusals_are_translated() -> None:
    with translation.override("de"):
        with pytest.raises(InvalidInput) as refused:
            clean_text("x" * 6, max_length=5)
        assert str(refused.value.message).startswith("Bitte kürzen Sie den Text")
    with translation.override("fr"):
        with pytest.raises(InvalidInput) as refused:
            clean_text(7)
        assert str(refused.value.message) == "Veuillez saisir ici du texte."


@pytest.mark.parametrize(
    ("value", "words"),
    [
        pytest.param(lambda: None, "Please give the date by which to reply.", id="missing"),
        pytest.param(lambda: "2030-01-01", "Please give the date by which to reply.", id="text"),
        pytest.param(lambda: datetime.now(), "Please give the date by which to reply.", id="a-time"),
        pytest.param(lambda: clock.today(), "The reply deadline must be a future date.", id="today"),
        pytest.param(lambda: clock.today() + timedelta(days=LONGEST_REPLY_DAYS + 1), "The reply deadline must be within a year from today.", id="after-a-year"),
    ],
)  # fmt: skip
def test_a_reply_date_is_a_day_after_today_and_within_a_year(value: Any, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_reply_date(value(), field="reply_by")
    assert (refused.value.code, refused.value.field, str(refused.value.message)) == ("bad_deadline", "reply_by", words)  # fmt: skip


def test_a_reply_date_follows_the_travelling_clock() -> None:
    day = clock.today() + timedelta(days=LONGEST_REPLY_DAYS)
    assert clean_reply_date(day) == day
    with clock.travel_to(clock.today() - timedelta(days=1)), pytest.raises(InvalidInput):
        clean_reply_date(day)


class Step(forms.Form):
    message = StepTextField(error_messages={"required": "Please tell us what to change."})
    note = StepTextField(required=False, max_length=10)
    reply_by = ReplyDateField()


def test_the_form_fields_refuse_in_the_cleaners_words() -> None:
    far = clock.today() + timedelta(days=LONGEST_REPLY_DAYS + 1)
    form = Step(
        {"message": "x" * (LONG_TEXT + 1), "note": "Notiz\x00", "reply_by": far.isoformat()}
    )
    assert not form.is_valid()
    for field, value, kwargs in [
        ("message", "x" * (LONG_TEXT + 1), {}),
        ("note", "Notiz\x00", {"max_length": 10}),
    ]:
        with pytest.raises(InvalidInput) as refused:
            clean_text(value, **kwargs)
        assert form.errors[field] == [str(refused.value.message)]
    assert form.errors["reply_by"] == ["The reply deadline must be within a year from today."]
    assert form.errors.as_data()["message"][0].code == "text_too_long"


def test_the_form_fields_take_what_the_step_takes() -> None:
    day = clock.today() + timedelta(days=14)
    form = Step({"message": " Bitte ergänzen.\r\n", "note": "", "reply_by": day.isoformat()})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"message": "Bitte ergänzen.", "note": "", "reply_by": day}
    assert Step({"message": "", "reply_by": day.isoformat()}).errors["message"] == [
        "Please tell us what to change."
    ]
    assert 'maxlength="10"' in str(Step()["note"])
