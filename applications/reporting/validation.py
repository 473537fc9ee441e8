"""Checks of what the grantee typed: every problem is collected under the name of its field."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from applications import attachments
from applications.models import ExpenseCategory, Receipt, Report
from applications.reporting.totals import (
    CATEGORY_LABELS,
    COUNTRY_CODE,
    MAX_PARTICIPANTS,
    MAX_RECEIPTS,
    MAX_TEXT,
    OTHER_COUNTRIES,
    Errors,
    Key,
)
from grants.models import Grant
from grants.money import ZERO, parse_amount
from workflows.errors import InvalidInput, WorkflowError
from workflows.text import clean_text


@dataclass
class CleanInput:
    narrative: str
    results: str
    participants: dict[str, int]
    lines: list[dict[str, Any]]
    receipts: list[dict[str, Any]]


# --- checks --------------------------------------------------------------------------------


def clean_input(
    report: Report,
    saved_receipts: dict[int, Receipt],
    *,
    narrative: Any,
    results: Any,
    participants: Any,
    lines: Any,
    receipts: Any,
) -> CleanInput:
    """The typed report, cleaned; or ValidationError naming each field at fault."""
    errors: Errors = defaultdict(list)
    clean = CleanInput(
        narrative=_text(narrative, "narrative", errors, max_length=MAX_TEXT),
        results=_text(results, "results", errors, max_length=MAX_TEXT),
        participants=_clean_participants(participants, errors),
        lines=_clean_lines(lines, errors),
        receipts=_clean_receipts(report.grant, receipts, saved_receipts, errors),
    )
    if errors:
        raise ValidationError(dict(errors))
    return clean


def _text(value: Any, key: str, errors: Errors, *, max_length: int, required: object = None) -> str:
    try:
        return clean_text(value, field=key, max_length=max_length, required=required)
    except InvalidInput as error:
        errors[key].append(error.message)
        return ""


def _amount(value: Any, key: str, errors: Errors, *, label: object) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ZERO
    try:
        return parse_amount(value, label=label)
    except WorkflowError as exc:
        errors[key].append(exc.message)
        return None


def _clean_participants(value: Any, errors: Errors) -> dict[str, int]:
    pairs = list(value.items()) if isinstance(value, Mapping) else list(value or [])
    counts: dict[str, int] = {}
    for i, pair in enumerate(pairs):
        try:
            raw_country, raw_count = pair
        except (TypeError, ValueError):
            errors["participants"].append(_("Please give a country and a number for each row."))
            continue
        country = _text(raw_country, f"participants.{i}.country", errors, max_length=8)
        country = OTHER_COUNTRIES if country.lower() == "other" else country.upper()
        count = _count(raw_count, f"participants.{i}.count", errors)
        if not country:
            if count:
                errors[f"participants.{i}.country"].append(_("Please name the country."))
            continue
        if country != OTHER_COUNTRIES and not COUNTRY_CODE.match(country):
            errors[f"participants.{i}.country"].append(
                _("Please use the two-letter country code, e.g. DE, FR or IT.")
            )
            continue
        if country in counts:
            errors[f"participants.{i}.country"].append(_("This country is listed twice."))
            continue
        if count:
            counts[country] = count
    return counts


def _count(value: Any, key: str, errors: Errors) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        number = int(text) if re.fullmatch(r"-?\d{1,9}", text) else None
    if number is None:
        errors[key].append(_("Please enter a whole number of participants."))
    elif number < 0:
        errors[key].append(_("The number of participants cannot be negative."))
    elif number > MAX_PARTICIPANTS:
        errors[key].append(_("This number of participants is too large."))
    else:
        return number
    return None


def _clean_lines(value: Any, errors: Errors) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    seen: set[Key] = set()
    for i, row in enumerate(value or []):
        side, category = row.get("side"), row.get("category")
        if (side, category) not in CATEGORY_LABELS:
            errors[f"lines.{i}.category"].append(_("Please choose a category of the budget."))
            continue
        if (side, category) in seen:
            errors[f"lines.{i}.category"].append(_("This category is listed twice."))
            continue
        seen.add((side, category))
        actual = _amount(
            row.get("actual"), f"lines.{i}.actual", errors, label=_("The actual amount")
        )
        comment = _text(row.get("comment"), f"lines.{i}.comment", errors, max_length=300)
        if actual is None:
            continue
        line = {"side": side, "category": category, "actual": actual, "comment": comment}
        if "eligible" in row:
            line["eligible"] = bool(row["eligible"])
        cleaned.append(line)
    return cleaned


def _clean_receipts(
    grant: Grant, value: Any, saved: dict[int, Receipt], errors: Errors
) -> list[dict[str, Any]]:
    rows = list(value or [])
    if len(rows) > MAX_RECEIPTS:
        errors["receipts"].append(
            _("A report can list at most %(max)d receipts; please group small ones.")
            % {"max": MAX_RECEIPTS}
        )
        return []
    cleaned: list[dict[str, Any]] = []
    used_ids: set[int] = set()
    for i, row in enumerate(rows):
        key = f"receipts.{i}"
        receipt_id = row.get("id")
        if receipt_id is not None and (receipt_id not in saved or receipt_id in used_ids):
            errors[key].append(
                _("This receipt is not part of this report. Please reload the page.")
            )
            continue
        if receipt_id is not None:
            used_ids.add(receipt_id)
        category = row.get("category")
        if category not in ExpenseCategory.values:
            errors[f"{key}.category"].append(_("Please choose the expense category."))
        paid_on = _receipt_date(grant, row.get("paid_on"), f"{key}.paid_on", errors)
        payee = _text(
            row.get("payee"),
            f"{key}.payee",
            errors,
            max_length=200,
            required=_("Please name who was paid."),
        )
        purpose = _text(
            row.get("purpose"),
            f"{key}.purpose",
            errors,
            max_length=300,
            required=_("Please say what was paid for."),
        )
        amount = _amount(row.get("amount"), f"{key}.amount", errors, label=_("The amount"))
        if amount is not None and amount <= 0:
            errors[f"{key}.amount"].append(_("Please enter the amount of the receipt."))
        upload = row.get("upload")
        if upload is not None:
            try:  # checked now, so that a bad file refuses the save before anything is written
                attachments.inspect_upload(upload)
            except ValidationError as exc:
                errors[f"{key}.upload"].extend(exc.messages)
        cleaned.append(
            {
                "index": i,
                "id": receipt_id,
                "category": category,
                "paid_on": paid_on,
                "payee": payee,
                "purpose": purpose,
                "amount": amount,
                "upload": upload,
                "remove_file": bool(row.get("remove_file")),
            }
        )
    return cleaned


def _receipt_date(grant: Grant, value: Any, key: str, errors: Errors) -> date | None:
    if isinstance(value, str) and value.strip():
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        errors[key].append(_("Please enter the date of payment, e.g. 2026-05-31."))
        return None
    if not grant.project_start <= value <= grant.project_end:
        errors[key].append(
            _(
                "This date lies outside the project period (%(start)s – %(end)s): costs "
                "outside the project period cannot be funded."
            )
            % {
                "start": date_format(grant.project_start, "SHORT_DATE_FORMAT"),
                "end": date_format(grant.project_end, "SHORT_DATE_FORMAT"),
            }
        )
        return None
    return value
