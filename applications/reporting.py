"""The grantee's final report (Verwendungsnachweis / compte rendu financier).

A report is a draft while its grant is due for a report: text, participants by country, the
actual amount of each budget category and the list of receipts. Submitting it hands its totals
to the grant (`grants.services.submit_report_figures`), which runs the audited transition.
Only members of the grantee organisation write it; staff read it.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from applications import attachments
from applications.models import (
    Application,
    Attachment,
    AttachmentPurpose,
    BudgetLine,
    ExpenseCategory,
    IncomeCategory,
    Receipt,
    Report,
    ReportLine,
)
from grants import rules as grant_rules
from grants import services as grant_services
from grants.models import Grant, GrantStatus
from grants.money import ZERO, format_eur, parse_amount
from workflows import clock
from workflows.errors import TransitionForbidden, WorkflowError

EXPENSE = BudgetLine.Side.EXPENSE
INCOME = BudgetLine.Side.INCOME
# The participants row for everyone from a country not listed separately: CLDR's code for an
# unknown region, so that every key stays a two-letter code (as in the application's figures).
OTHER_COUNTRIES = "ZZ"
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
    """Members of the grantee organisation and staff who see grants."""
    return grant_rules.can_act_for_grantee(grant, user) or grant_rules.sees_all_grants(user)


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
        message = _("The final report has been submitted and is being checked; it cannot be changed.")  # fmt: skip
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


def _planned_eligibility(application: Application) -> dict[Key, bool]:
    """A category counts as eligible when any planned line of it does."""
    eligible: dict[Key, bool] = {}
    for line in application.budget_lines.all():
        key = (line.side, line.category)
        eligible[key] = eligible.get(key, False) or line.side == INCOME or line.eligible
    return eligible


def participants_rows(report: Report | None) -> list[tuple[str, int | None]]:
    """(country, count) rows to show: DE and FR first, other codes, then everyone else."""
    stored = dict(report.participants) if report and isinstance(report.participants, dict) else {}
    rows: list[tuple[str, int | None]] = [("DE", stored.pop("DE", None)), ("FR", stored.pop("FR", None))]  # fmt: skip
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
    def balance(self) -> Decimal:
        """Entitlement minus what was paid: positive -> final payment, negative -> repayment."""
        return self.entitlement - self.paid

    @property
    def final_payment(self) -> Decimal:
        return max(self.balance, ZERO)

    @property
    def repayment(self) -> Decimal:
        return max(-self.balance, ZERO)


def paid_so_far(grant: Grant) -> Decimal:
    """Payments that have left the fund's account (exported or paid)."""
    total: Decimal = grant.payments.filter(status__in=grant_services.SENT_PAYMENT_STATES).aggregate(
        total=Coalesce(Sum("amount"), ZERO, output_field=models.DecimalField())
    )["total"]
    return total


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
    eligible_of = _planned_eligibility(application)
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


# --- writes ------------------------------------------------------------------------------------


def report_for(grant: Grant, *, by: Any) -> Report:
    """The grant's report; created on first use by the grantee, with one line per planned
    category (actual 0)."""
    report = existing_report(grant)
    if report is not None:
        if not can_read_report(grant, by):
            raise TransitionForbidden()
        return report
    check_editable(grant, by)
    eligible = _planned_eligibility(grant.application)
    with transaction.atomic():
        try:
            with transaction.atomic():
                report = Report.objects.create(grant=grant)
        except IntegrityError:  # a second tab or request created it a moment ago
            report = existing_report(grant)
            assert report is not None
            return report
        ReportLine.objects.bulk_create(
            ReportLine(report=report, side=side, category=category, eligible=flag)
            for (side, category), flag in sorted(
                eligible.items(), key=lambda item: CATEGORY_ORDER.get(item[0], 99)
            )
        )
    return existing_report(grant) or report


@dataclass
class _Clean:
    narrative: str
    results: str
    participants: dict[str, int]
    lines: list[dict[str, Any]]
    receipts: list[dict[str, Any]]


@transaction.atomic
def save_report(
    report: Report,
    *,
    by: Any,
    narrative: str,
    results: str,
    participants: Mapping[str, Any] | Sequence[tuple[str, Any]],
    lines: Sequence[Mapping[str, Any]],
    receipts: Sequence[Mapping[str, Any]],
) -> Report:
    """Save the draft: text, participants, actual lines (replaced; planned categories stay,
    added ones left empty go), receipts (replaced) and their uploaded files (attachments, a
    replaced or removed file is deleted); validated first, all or nothing.

    A receipt row is {id?, category, paid_on, payee, purpose, amount, upload?, remove_file?};
    a row with the id of a saved receipt updates it, saved receipts not listed are removed.
    Raises ValidationError {"narrative": [...], "receipts.2.amount": [...], ...}.
    """
    locked = _lock(report)
    check_editable(locked.grant, by)
    saved_receipts = {r.pk: r for r in locked.receipts.select_related("attachment")}
    clean = _clean_input(
        locked,
        saved_receipts,
        narrative=narrative,
        results=results,
        participants=participants,
        lines=lines,
        receipts=receipts,
    )
    locked.narrative, locked.results = clean.narrative, clean.results
    locked.participants = clean.participants
    locked.save(update_fields=["narrative", "results", "participants", "updated_at"])
    _write_lines(locked, clean.lines)
    _write_receipts(locked, saved_receipts, clean.receipts, by=by)
    return locked


@transaction.atomic
def submit_report(report: Report, *, by: Any) -> Grant:
    """Check completeness, stamp the report, then submit its totals to the grant (audited
    transition report_due -> report_submitted; its side effects follow on commit)."""
    locked = _lock(report)
    check_editable(locked.grant, by)
    numbers = figures(locked)
    problems = submission_problems(locked, numbers)
    if problems:
        raise ValidationError(problems)
    locked.submitted_at = clock.now()
    locked.save(update_fields=["submitted_at", "updated_at"])
    return grant_services.submit_report_figures(
        locked.grant,
        by=by,
        actual_expenses=numbers.actual_expenses,
        actual_eligible_expenses=numbers.actual_eligible_expenses,
        actual_other_income=numbers.actual_other_income,
    )


def _lock(report: Report) -> Report:
    """The report's row, locked, with a fresh grant (its status decides what is allowed)."""
    return (
        Report.objects.select_related("grant__application__organisation", "grant__programme")
        .select_for_update(of=("self",))
        .get(pk=report.pk)
    )


def _write_lines(report: Report, rows: list[dict[str, Any]]) -> None:
    existing = {(line.side, line.category): line for line in report.lines.all()}
    planned = set(_planned_eligibility(report.grant.application))
    changed, new = [], []
    for row in rows:
        key = (row["side"], row["category"])
        if key not in planned and not row["actual"] and not row["comment"]:
            continue  # an added category left empty is removed again
        line = existing.pop(key, None)
        if line is None:
            new.append(
                ReportLine(
                    report=report,
                    side=row["side"],
                    category=row["category"],
                    actual=row["actual"],
                    comment=row["comment"],
                    eligible=row.get("eligible", True),
                )
            )
            continue
        line.actual, line.comment = row["actual"], row["comment"]
        if "eligible" in row:
            line.eligible = row["eligible"]
        changed.append(line)
    if changed:
        ReportLine.objects.bulk_update(changed, ["actual", "comment", "eligible"])
    ReportLine.objects.bulk_create(new)
    dropped = [line.pk for key, line in existing.items() if key not in planned]
    if dropped:
        ReportLine.objects.filter(pk__in=dropped).delete()


def _write_receipts(
    report: Report, saved: dict[int, Receipt], rows: list[dict[str, Any]], *, by: Any
) -> None:
    application = report.grant.application
    orphans: list[Attachment] = []
    upload_errors: Errors = {}
    kept: list[Receipt] = []
    new: list[Receipt] = []
    fields = ["category", "paid_on", "payee", "purpose", "amount", "position", "attachment"]
    for position, row in enumerate(rows):
        receipt = saved.pop(row["id"]) if row["id"] is not None else Receipt(report=report)
        for name in fields[:-2]:
            setattr(receipt, name, row[name])
        receipt.position = position
        previous = receipt.attachment if receipt.attachment_id else None
        if row["upload"] is not None:
            try:
                receipt.attachment = attachments.add_attachment(
                    application, by=by, upload=row["upload"], purpose=AttachmentPurpose.RECEIPT
                )
            except ValidationError as exc:
                upload_errors[f"receipts.{row['index']}.upload"] = exc.messages
                continue
        elif row["remove_file"]:
            receipt.attachment = None
        if previous is not None and receipt.attachment_id != previous.pk:
            orphans.append(previous)
        (new if receipt.pk is None else kept).append(receipt)
    if upload_errors:
        raise ValidationError(upload_errors)
    for receipt in saved.values():  # listed no more
        if receipt.attachment_id:
            orphans.append(receipt.attachment)  # type: ignore[arg-type]
    if saved:
        Receipt.objects.filter(pk__in=list(saved)).delete()
    if kept:
        Receipt.objects.bulk_update(kept, fields)
    Receipt.objects.bulk_create(new)
    still_used = set(
        Receipt.objects.filter(attachment__in=[a.pk for a in orphans]).values_list(
            "attachment_id", flat=True
        )
    )
    for attachment in orphans:
        if attachment.pk not in still_used:
            attachments.delete_attachment(attachment, by=by)


# --- validation --------------------------------------------------------------------------------


def _clean_input(
    report: Report,
    saved_receipts: dict[int, Receipt],
    *,
    narrative: Any,
    results: Any,
    participants: Any,
    lines: Any,
    receipts: Any,
) -> _Clean:
    errors: Errors = defaultdict(list)
    clean = _Clean(
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
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[key].append(_("Please enter this as text."))
        return ""
    try:
        value.encode("utf-8")
        bad = "\x00" in value
    except UnicodeEncodeError:
        bad = True
    if bad:
        errors[key].append(
            _("The text contains an invalid character (a NUL byte). Please retype it.")
        )
        return ""
    value = value.strip()
    if required is not None and not value:
        errors[key].append(required)
    elif len(value) > max_length:
        errors[key].append(
            _("Please shorten this to at most %(max)d characters (it has %(length)d).")
            % {"max": max_length, "length": len(value)}
        )
    return value


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
            errors[key].append(_("This receipt is not part of this report. Please reload the page."))  # fmt: skip
            continue
        if receipt_id is not None:
            used_ids.add(receipt_id)
        category = row.get("category")
        if category not in ExpenseCategory.values:
            errors[f"{key}.category"].append(_("Please choose the expense category."))
        paid_on = _receipt_date(grant, row.get("paid_on"), f"{key}.paid_on", errors)
        payee = _text(
            row.get("payee"), f"{key}.payee", errors, max_length=200,
            required=_("Please name who was paid."),
        )  # fmt: skip
        purpose = _text(
            row.get("purpose"), f"{key}.purpose", errors, max_length=300,
            required=_("Please say what was paid for."),
        )  # fmt: skip
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
