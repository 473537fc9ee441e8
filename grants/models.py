"""Funder side: fund, programmes (policy as data), calls, budgets with their ledger, grants, payments."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from grants import rules
from grants.money import ZERO, cents, cents_down, format_eur, money_field, parse_amount
from organisations.choices import Country, country_name
from workflows import clock
from workflows.errors import WorkflowError
from workflows.fields import CleanCharField, CleanTextField
from workflows.guards import guard
from workflows.text import NAME_TEXT, REASON_MISSING, clean_reply_date, clean_text

# The languages of the letters (applications.documents): their texts must exist in both.
LETTER_LANGUAGES = ("de", "fr")
LETTER_LANGUAGE_NAMES = {"de": _("German"), "fr": _("French")}


class DecisionForm(models.TextChoices):
    """How the fund decides, and so what its letters are called and which clause they carry."""

    AGREEMENT = (
        "agreement",
        _("agreement: approval letter and grant agreement, no legal entitlement"),
    )
    NOTICE = "notice", _("administrative notice: grant decision with notice of the right of appeal")


# Digits with the usual separators, an optional leading "+": "+49 30 1234-567", "03 88 (0)12 34".
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()./-]*[0-9]$")
PHONE_INVALID = _(
    "Enter a telephone number of digits, spaces and the signs + ( ) / . - only, "
    "e.g. +49 30 1234 5678."
)


def validate_phone(value: str) -> None:
    """A telephone number as a letter prints it: 6 to 20 digits, the usual separators."""
    digits = sum(character.isdigit() for character in value)
    if not PHONE_PATTERN.match(value) or not 6 <= digits <= 20:
        raise ValidationError(PHONE_INVALID, code="invalid_phone")


class Fund(models.Model):  # type: ignore[django-manager-missing]  # (see `objects`)
    """The fund and its identity: the sender of every letter and e-mail. The texts a reader
    reads are kept per language (grants/translation.py); `letter_gaps()` says what a letter
    would miss."""

    name = CleanCharField(_("name"), max_length=200)
    short_name = CleanCharField(_("short name"), max_length=50)
    reference_prefix = CleanCharField(
        _("reference prefix"), max_length=8, unique=True, help_text=_("e.g. BF -> BF-2026-00042")
    )
    countries = models.JSONField(
        _("countries"), default=list, help_text=_("ISO codes of the countries the fund bridges")
    )
    # The postal address: the sender block of every letter.
    office = CleanCharField(
        _("office or department"),
        max_length=200,
        blank=True,
        help_text=_("The line below the fund's name, e.g. the secretariat; optional."),
    )
    street = CleanCharField(_("street and number"), max_length=200, blank=True)
    postcode = CleanCharField(_("postcode"), max_length=16, blank=True)
    city = CleanCharField(_("city"), max_length=100, blank=True)
    country = CleanCharField(_("country"), max_length=2, blank=True, choices=Country)
    # Whom applicants reach: printed on letters, the Reply-To of every e-mail.
    contact_name = CleanCharField(
        _("contact person or team"),
        max_length=200,
        blank=True,
        help_text=_("Named on letters as the contact, e.g. “Funding team”; optional."),
    )
    contact_email = models.EmailField(
        _("contact e-mail"),
        blank=True,
        help_text=_("Printed on letters; replies to the fund's e-mails go to this address."),
    )
    contact_phone = CleanCharField(
        _("contact telephone"), max_length=40, blank=True, validators=[validate_phone]
    )
    signatory_name = CleanCharField(
        _("signatory"), max_length=200, blank=True, help_text=_("Who signs the letters.")
    )
    signatory_function = CleanCharField(
        _("signatory's function"), max_length=200, blank=True, help_text=_("e.g. Director")
    )
    legal_basis = CleanTextField(
        _("legal basis"),
        blank=True,
        help_text=_("The guidelines or law the fund awards its grants under; quoted in letters."),
    )
    data_protection_notice = CleanTextField(
        _("data-protection notice"),
        blank=True,
        help_text=_("How the fund processes the applicants' data; printed at the end of letters."),
    )
    decision_form = models.CharField(
        _("form of the decisions"),
        max_length=16,
        choices=DecisionForm,
        default=DecisionForm.AGREEMENT,
        help_text=_(
            "Agreements state that there is no legal entitlement to a grant; administrative "
            "notices carry the notice of the right of appeal below. The letters are named after "
            "this choice."
        ),
    )
    appeal_clause = CleanTextField(
        _("notice of the right of appeal"),
        blank=True,
        help_text=_(
            "Rechtsbehelfsbelehrung / voies et délais de recours: required for administrative "
            "notices."
        ),
    )
    mail_sign_off = CleanCharField(
        _("e-mail sign-off"),
        max_length=200,
        blank=True,
        help_text=_(
            "Who signs the e-mails, e.g. “Your team at the Citizens' Fund”; "
            "empty: “The team of” and the fund's name."
        ),
    )

    # django-modeltranslation swaps in its multilingual manager class when the app registry is
    # ready (grants/translation.py); the type checker cannot resolve that class, so the manager
    # is declared here (and the reverse managers, on the class line, go unchecked).
    objects: models.Manager[Fund] = models.Manager()

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("funds")

    def __str__(self) -> str:
        return self.name

    @property
    def issues_notices(self) -> bool:
        return self.decision_form == DecisionForm.NOTICE

    @property
    def country_name(self) -> str:
        """The fund's country by name, in the active language."""
        return country_name(self.country)

    def letter_gaps(self) -> list[str]:
        """What a letter of this fund would miss, in the active language; empty when the fund
        may issue letters. Texts count in German and French, the languages of the letters."""
        gaps: list[str] = []
        address = {
            _("street and number"): self.street,
            _("postcode"): self.postcode,
            _("city"): self.city,
            _("country"): self.country,
        }
        missing = [str(label) for label, value in address.items() if not (value or "").strip()]
        if missing:
            gaps.append(gettext("postal address: %(parts)s") % {"parts": ", ".join(missing)})
        if not (self.signatory_name or "").strip():
            gaps.append(gettext("signatory"))
        if not (self.contact_email or "").strip():
            gaps.append(gettext("contact e-mail"))
        texts = [
            ("signatory_function", _("signatory's function")),
            ("legal_basis", _("legal basis")),
            ("data_protection_notice", _("data-protection notice")),
        ]
        if self.issues_notices:
            texts.append(("appeal_clause", _("notice of the right of appeal")))
        for field, label in texts:
            languages = [
                str(LETTER_LANGUAGE_NAMES[code])
                for code in LETTER_LANGUAGES
                if not str(getattr(self, f"{field}_{code}", "") or "").strip()
            ]
            if languages:
                gaps.append(
                    gettext("%(text)s in %(languages)s")
                    % {"text": label, "languages": ", ".join(languages)}
                )
        return gaps

    @property
    def ready_for_letters(self) -> bool:
        return not self.letter_gaps()

    def clean(self) -> None:
        super().clean()
        if self.issues_notices:
            errors = {
                f"appeal_clause_{code}": ValidationError(
                    _(
                        "Administrative notices need the notice of the right of appeal in %(language)s."
                    )
                    % {"language": LETTER_LANGUAGE_NAMES[code]},
                    code="appeal_clause_missing",
                )
                for code in LETTER_LANGUAGES
                if not str(getattr(self, f"appeal_clause_{code}", "") or "").strip()
            }
            if errors:
                raise ValidationError(errors)


def site_fund() -> Fund | None:
    """The fund this installation serves: the first (one site serves one fund)."""
    return Fund.objects.order_by("pk").first()


class ReferenceCounter(models.Model):
    """Last reference number handed out per fund and year; incremented under a row lock."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fund", "year"], name="unique_counter_per_fund_year")
        ]

    def __str__(self) -> str:
        return f"{self.fund_id}/{self.year}: {self.last_number}"


class Intake(models.TextChoices):
    ROLLING = "rolling", _("rolling, all year")
    CALL = "call", _("calls with deadlines")


class PaymentTrigger(models.TextChoices):
    ACCEPTANCE = "acceptance", _("when the offer is accepted")
    INTERIM_REPORT_ACCEPTED = "interim_report_accepted", _("when the interim report is accepted")
    REPORT_ACCEPTED = "report_accepted", _("when the final report is accepted")


class InterimPolicy(models.TextChoices):
    """When a programme's grantees send an interim report (Zwischenbericht / rapport
    intermédiaire) while the project runs."""

    NONE = "none", _("no interim report")
    DATE = "date", _("on a fixed date")
    SHARE = "share", _("after a share of the project period")


class Programme(models.Model):  # type: ignore[django-manager-missing]  # (see Fund.objects)
    """A funding category; every knob of the fund's policy is a field here, not code."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="programmes")
    code = CleanCharField(_("code"), max_length=32)
    name = CleanCharField(_("name"), max_length=200)
    category = models.PositiveSmallIntegerField(_("category"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    min_amount = money_field(verbose_name=_("minimum amount"), default=Decimal("0.01"))
    max_amount = money_field(verbose_name=_("maximum amount"), null=True, blank=True)
    max_share = models.DecimalField(
        _("maximum share of eligible costs"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        help_text=_("0.80 = the grant may cover at most 80 % of the eligible expenses"),
    )
    intake = models.CharField(_("intake"), max_length=16, choices=Intake, default=Intake.ROLLING)
    lead_time_days = models.PositiveIntegerField(_("lead time in days"), default=42)
    reviews_required = models.PositiveSmallIntegerField(_("reviews required"), default=1)
    rubric = models.JSONField(
        _("rubric"), default=list, blank=True, help_text=_('[{"code": "reach", "weight": 2}, ...]')
    )
    minimum_score = models.DecimalField(
        _("minimum score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    payment_plan = models.JSONField(
        _("payment plan"),
        default=list,
        help_text=_('ordered tranches: [{"percent": 75, "trigger": "acceptance"}, ...]'),
    )
    offer_acceptance_days = models.PositiveIntegerField(_("days to accept an offer"), default=30)
    interim_report = models.CharField(
        _("interim report"),
        max_length=8,
        choices=InterimPolicy,
        default=InterimPolicy.NONE,
        help_text=_(
            "Whether grantees report while the project runs: never, on a fixed date, or once a "
            "share of the project period has passed. A tranche of the payment plan may wait "
            "for the interim report to be accepted."
        ),
    )
    interim_report_on = models.DateField(
        _("interim report due on"),
        null=True,
        blank=True,
        help_text=_(
            "With a fixed date: the day the interim report is due. A project that does not "
            "run on that day has no interim report."
        ),
    )
    interim_report_share = models.PositiveSmallIntegerField(
        _("interim report after (% of the project period)"),
        null=True,
        blank=True,
        help_text=_("With a share of the period: 50 = halfway through the project."),
    )
    report_days_after_end = models.PositiveIntegerField(
        _("days to report after the end"), default=61
    )
    mileage_rate = models.DecimalField(
        _("mileage rate per km"), max_digits=5, decimal_places=2, default=Decimal("0.30")
    )
    languages = models.JSONField(_("languages"), default=list)
    requires_cross_border_partner = models.BooleanField(
        _("requires a partner from the other country"), default=False
    )
    allows_in_kind = models.BooleanField(_("in-kind contributions count as income"), default=False)
    auto_assign = models.BooleanField(
        _("assign review tasks automatically"),
        default=False,
        help_text=_(
            "Balance the workload and match the reviewers' languages, instead of claiming."
        ),
    )

    objects: models.Manager[Programme] = models.Manager()  # (see Fund.objects)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["fund", "category"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "code"], name="unique_programme_code"),
            models.CheckConstraint(
                condition=Q(max_share__gt=0) & Q(max_share__lte=1), name="max_share_in_0_1"
            ),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gte=models.F("min_amount")),
                name="programme_range_ordered",
            ),
            # The interim report's policy names exactly what it needs (Programme.clean says it
            # in words).
            models.CheckConstraint(
                condition=Q(
                    interim_report=InterimPolicy.NONE,
                    interim_report_on__isnull=True,
                    interim_report_share__isnull=True,
                )
                | Q(
                    interim_report=InterimPolicy.DATE,
                    interim_report_on__isnull=False,
                    interim_report_share__isnull=True,
                )
                | Q(
                    interim_report=InterimPolicy.SHARE,
                    interim_report_on__isnull=True,
                    interim_report_share__gte=1,
                    interim_report_share__lte=99,
                ),
                name="interim_report_policy_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_rolling(self) -> bool:
        return self.intake == Intake.ROLLING

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        plan = self.payment_plan or []
        triggers = set(PaymentTrigger.values)
        try:
            percents = [Decimal(str(t["percent"])) for t in plan]
            if any(t["trigger"] not in triggers for t in plan) or any(p <= 0 for p in percents):
                raise ValueError
            if plan and sum(percents) != 100:
                errors["payment_plan"] = _("The tranches must add up to 100 %.")
            elif self.interim_report == InterimPolicy.NONE and any(
                t["trigger"] == PaymentTrigger.INTERIM_REPORT_ACCEPTED for t in plan
            ):
                errors["payment_plan"] = _(
                    "A tranche waits for the interim report, but this programme has no interim "
                    "report. Choose when the interim report is due, or pay the tranche at "
                    "another time."
                )
        except (KeyError, TypeError, ValueError, ArithmeticError):
            errors["payment_plan"] = _(
                'Each tranche needs a positive "percent" and a "trigger" (acceptance, '
                "interim_report_accepted or report_accepted)."
            )
        errors.update(self._interim_policy_errors())
        try:
            if any(Decimal(str(c["weight"])) <= 0 or not c["code"] for c in self.rubric or []):
                raise ValueError
        except (KeyError, TypeError, ValueError, ArithmeticError):
            errors["rubric"] = _('Each criterion needs a "code" and a positive "weight".')
        if errors:
            raise ValidationError(errors)

    def _interim_policy_errors(self) -> dict[str, Any]:
        """What the interim report's policy lacks or has too much of, by field."""
        errors: dict[str, Any] = {}
        policy, on, share = self.interim_report, self.interim_report_on, self.interim_report_share
        if policy == InterimPolicy.DATE:
            if on is None:
                errors["interim_report_on"] = _("Please give the day the interim report is due.")
            if share is not None:
                errors["interim_report_share"] = _(
                    "Leave the share empty: the interim report is due on a fixed date."
                )
        elif policy == InterimPolicy.SHARE:
            if share is None:
                errors["interim_report_share"] = _(
                    "Please give the share of the project period after which the interim "
                    "report is due (e.g. 50 for halfway)."
                )
            elif not 1 <= share <= 99:
                errors["interim_report_share"] = _(
                    "The share must lie between 1 and 99 %: the interim report is due while "
                    "the project runs."
                )
            if on is not None:
                errors["interim_report_on"] = _(
                    "Leave the date empty: the interim report is due after a share of the "
                    "project period."
                )
        else:
            if on is not None:
                errors["interim_report_on"] = _(
                    "Leave the date empty, or choose that the interim report is due on a "
                    "fixed date."
                )
            if share is not None:
                errors["interim_report_share"] = _(
                    "Leave the share empty, or choose that the interim report is due after a "
                    "share of the project period."
                )
        return errors

    def tranches(self, trigger: str) -> list[Decimal]:
        return [Decimal(str(t["percent"])) for t in self.payment_plan if t["trigger"] == trigger]

    def interim_report_due(
        self, start: date, end: date, *, not_before: date | None = None
    ) -> date | None:
        """The day a project running from `start` to `end` owes its interim report, or None:
        the programme asks for none, or the day does not fall inside the project (after its
        first day, before its last: a project too short to report halfway reports once, at the
        end). `not_before` (the day of the acceptance or of an amendment) moves a day already
        past to it (nobody owes a report for a day before they knew of it), unless the project
        ends by then."""
        if self.interim_report == InterimPolicy.DATE:
            due = self.interim_report_on
        elif self.interim_report == InterimPolicy.SHARE and self.interim_report_share:
            days = (end - start).days * self.interim_report_share // 100
            due = start + timedelta(days=days)
        else:
            return None
        if due is None or not start < due < end:
            return None
        if not_before is not None and due < not_before:
            due = not_before
        return due if due < end else None


class Call(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="calls")
    title = CleanCharField(_("title"), max_length=200)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))

    objects: models.Manager[Call] = models.Manager()  # (see Fund.objects)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["closes_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="call_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, on: date) -> bool:
        return self.opens_on <= on <= self.closes_on


class BudgetAllocationQuerySet(models.QuerySet["BudgetAllocation"]):
    def visible_to(self, user: Any) -> BudgetAllocationQuerySet:
        return rules.allocations_visible_to(self, user)  # type: ignore[return-value]

    def with_balances(self) -> BudgetAllocationQuerySet:
        """Each budget with the balances of `BudgetAllocation.balances` as annotations
        (`committed`, `paid`, `repaid`, `remaining`): correlated sums, one query for a list."""

        def total(kind: str) -> Coalesce:
            entries = (
                LedgerEntry.objects.filter(allocation=OuterRef("pk"), kind=kind)
                .order_by()
                .values("allocation")
                .annotate(total=Sum("amount"))
                .values("total")
            )
            money = models.DecimalField(max_digits=14, decimal_places=2)
            return Coalesce(Subquery(entries, output_field=money), ZERO, output_field=money)

        committed = total(LedgerKind.COMMIT) - total(LedgerKind.RELEASE)
        return self.annotate(
            committed=committed,
            paid=total(LedgerKind.PAY),
            repaid=total(LedgerKind.REPAY),
            remaining=models.F("amount") - committed,
        )


class BudgetAllocation(models.Model):
    """A programme's budget for one year. Balances are sums over the ledger, never counters.
    Financed by the fund, or by co-funders with shares (`shares`, grants.funders)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="allocations")
    year = models.PositiveIntegerField(_("year"))
    amount = money_field(verbose_name=_("allocated amount"))
    released = models.BooleanField(
        _("released"), default=False, help_text=_("approvals wait until the budget is released")
    )

    objects = BudgetAllocationQuerySet.as_manager()

    class Meta:
        verbose_name = _("budget allocation")
        verbose_name_plural = _("budget allocations")
        constraints = [
            models.UniqueConstraint(fields=["programme", "year"], name="one_allocation_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.year}"

    def balances(self) -> dict[str, Decimal]:
        return LedgerEntry.balances(self.entries.all(), allocated=self.amount)


class LedgerKind(models.TextChoices):
    COMMIT = "commit", _("commitment")
    RELEASE = "release", _("release of a commitment")
    PAY = "pay", _("payment")
    REPAY = "repay", _("repayment received")


def grant_ledger_total(kind: str) -> Coalesce:
    """The sum of one kind of ledger entry of the grant in the outer query, for `.annotate()`
    (a correlated subquery: a join would multiply the grant's row by its entries)."""
    entries = (
        LedgerEntry.objects.filter(grant=OuterRef("pk"), kind=kind)
        .order_by()
        .values("grant")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = models.DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(entries, output_field=money), ZERO, output_field=money)


# What the services wrote into ledger notes before they wrote values ("release after lapsed").
_LEGACY_LEDGER_NOTE = re.compile(r"^(?:release after|repayment claim) (\w+)$")
# The note of a booking an approved amendment made: "amendment:<its number for the grant>".
AMENDMENT_NOTE = "amendment:"


def amendment_note(number: int) -> str:
    """The ledger note of a booking made by amendment `number` of the grant (a value, rendered in
    the reader's language by `LedgerEntry.description`)."""
    return f"{AMENDMENT_NOTE}{number}"


class LedgerEntry(models.Model):
    allocation = models.ForeignKey(
        BudgetAllocation, on_delete=models.PROTECT, related_name="entries"
    )
    grant = models.ForeignKey(
        "Grant", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=16, choices=LedgerKind)
    amount = money_field(verbose_name=_("amount"))
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = CleanCharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    def description(self) -> str:
        """The note for a reader, in the active language. The services write values, not
        sentences: the grant's status for a release, the claim's number for a repayment, the
        EndToEndId for a payment, the amendment's number for what an amendment committed or
        released; a person's note stays as typed. (Older entries hold English
        sentences, which are read as the same values: the ledger is never rewritten.)"""
        note = _LEGACY_LEDGER_NOTE.sub(r"\1", self.note)
        amendment = note.removeprefix(AMENDMENT_NOTE)
        if amendment != note and amendment.isdigit():
            if self.kind == LedgerKind.RELEASE:
                return gettext("released (amendment no. %(number)s)") % {"number": amendment}
            return gettext("amendment no. %(number)s") % {"number": amendment}
        if self.kind == LedgerKind.RELEASE and note in GrantStatus.values:
            return gettext("released (grant %(status)s)") % {"status": GrantStatus(note).label}
        if self.kind == LedgerKind.REPAY and note.isdigit():
            return gettext("repayment claim no. %(number)s") % {"number": note}
        return self.note

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise WorkflowError(_("Ledger entries cannot be changed; book a correction instead."))
        super().save(*args, **kwargs)

    @staticmethod
    def balances(
        entries: models.QuerySet[LedgerEntry], *, allocated: Decimal
    ) -> dict[str, Decimal]:
        sums = {
            kind: Coalesce(
                Sum("amount", filter=Q(kind=kind)), ZERO, output_field=models.DecimalField()
            )
            for kind in LedgerKind.values
        }
        totals = entries.aggregate(**sums)
        committed = totals["commit"] - totals["release"]
        return {
            "allocated": allocated,
            "committed": committed,
            "paid": totals["pay"],
            "repaid": totals["repay"],
            "remaining": allocated - committed,
        }


class GrantStatus(models.TextChoices):
    OFFERED = "offered", _("offered")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    LAPSED = "lapsed", _("lapsed")
    REPORT_DUE = "report_due", _("report due")
    REPORT_SUBMITTED = "report_submitted", _("report submitted")
    SETTLED = "settled", _("settled")
    REVOKED = "revoked", _("revoked")
    CANCELLED = "cancelled", _("cancelled")
    CLOSED = "closed", _("closed")


# The status of an amendment (amendments.Amendment) that waits for a manager's decision.
AMENDMENT_WAITING = "submitted"
# Statuses of the grant's interim report (interim.InterimReport, the app above, reached through
# its relation): not sent yet, sent back for changes, and accepted (its tranche released); a
# test holds them equal to the interim app's.
INTERIM_NOT_SENT = "draft"
INTERIM_CHANGES_REQUESTED = "changes_requested"
INTERIM_ACCEPTED = "accepted"


def interim_report_status(grant: Grant) -> str | None:
    """The status of the grant's interim report, or None while the grantee has not started one."""
    try:
        report = grant.interim_report  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None
    return str(report.status)


# Grants whose commitment still stands at the awarded amount.
LIVE_GRANT_STATES = (
    GrantStatus.OFFERED,
    GrantStatus.ACCEPTED,
    GrantStatus.REPORT_DUE,
    GrantStatus.REPORT_SUBMITTED,
)


@guard("no_valid_iban", _("Please enter a valid IBAN for your organisation before accepting."))
def _grantee_has_valid_iban(grant: Grant) -> bool:
    return grant.application.organisation.has_valid_bank_account()


@guard("offer_not_expired", _("The offer can still be accepted; it has not lapsed yet."))
def _offer_expired(grant: Grant) -> bool:
    return grant.offer_expires_on is not None and grant.offer_expires_on < clock.today()


@guard("project_not_ended", _("The project has not ended yet."))
def _project_ended(grant: Grant) -> bool:
    return grant.project_end is not None and grant.project_end < clock.today()


@guard(
    "amendment_waiting",
    _("A requested change of this grant waits for a decision; the project ends after it."),
)
def _no_amendment_waiting(grant: Grant) -> bool:
    # Amendments (the app above) are reached through their relation: while one waits for its
    # decision, the grant stays accepted, so that a new end date can still take effect.
    waiting = getattr(grant, "amendments", None)
    return waiting is None or not waiting.filter(status=AMENDMENT_WAITING).exists()


@guard("report_not_overdue", _("The report is not overdue yet."))
def _report_overdue(grant: Grant) -> bool:
    return grant.report_due_on is not None and grant.report_due_on < clock.today()


@guard("money_outstanding", _("Payments or repayments of this grant are still open."))
def _all_money_settled(grant: Grant) -> bool:
    open_payments = grant.payments.exclude(status__in=[PaymentStatus.PAID, PaymentStatus.CANCELLED])
    open_claims = grant.repayment_claims.filter(status=RepaymentStatus.OPEN)
    return not open_payments.exists() and not open_claims.exists()


# What the grantee types to accept, and what a request for changes to the report must say.
NAME_MISSING = _("Please type your full name to accept.")
REPORT_MESSAGE_MISSING = _("Please tell the grantee what to change.")


class GrantQuerySet(models.QuerySet["Grant"]):
    def visible_to(self, user: Any) -> models.QuerySet[Grant]:
        return rules.grants_visible_to(self, user)


class Grant(ConcurrentTransitionMixin, models.Model):
    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="grant"
    )
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="grants")
    allocation = models.ForeignKey(
        BudgetAllocation, on_delete=models.PROTECT, related_name="grants"
    )
    status = FSMField(
        _("status"), max_length=32, choices=GrantStatus, default=GrantStatus.OFFERED, protected=True
    )
    amount_awarded = money_field(verbose_name=_("amount awarded"))
    max_share = models.DecimalField(max_digits=3, decimal_places=2)
    conditions = CleanTextField(_("conditions"), blank=True)
    project_start = models.DateField(_("project start"))
    project_end = models.DateField(_("project end"))
    offered_at = models.DateTimeField(default=clock.now)
    offer_expires_on = models.DateField(_("offer expires on"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_name = CleanCharField(_("accepted by (name)"), max_length=200, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report_due_on = models.DateField(_("report due on"), null=True, blank=True)
    # Set when the offer is accepted, from the programme's policy and the project period (and
    # again when an amendment moves the period before the interim report was sent).
    interim_report_due_on = models.DateField(_("interim report due on"), null=True, blank=True)
    report_submitted_at = models.DateTimeField(null=True, blank=True)
    report_change_message = CleanTextField(blank=True)
    actual_expenses = money_field(null=True, blank=True)
    actual_eligible_expenses = money_field(null=True, blank=True)
    actual_other_income = money_field(null=True, blank=True)
    final_amount = money_field(verbose_name=_("final entitlement"), null=True, blank=True)
    report_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_reason = CleanTextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = GrantQuerySet.as_manager()
    # perform() reads these along with the locked row: the grantee rules look at the organisation.
    rules_select_related = ("application__organisation", "programme")

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status"]),
            # The scheduler's daily questions: offers about to lapse, projects ended, reports due.
            models.Index(fields=["status", "offer_expires_on"], name="grant_offer_deadline"),
            models.Index(fields=["status", "project_end"], name="grant_project_end"),
            models.Index(fields=["status", "report_due_on"], name="grant_report_due"),
            models.Index(fields=["status", "interim_report_due_on"], name="grant_interim_due"),
        ]

    def __str__(self) -> str:
        return _("Grant for %(app)s") % {"app": self.application}

    # --- figures -----------------------------------------------------------------------------
    def entitlement(self) -> Decimal:
        """Final entitlement: min(awarded, share x actual eligible, actual expenses - other income)."""
        eligible = self.actual_eligible_expenses or ZERO
        expenses = self.actual_expenses if self.actual_expenses is not None else eligible
        other = self.actual_other_income or ZERO
        share_cap = cents_down(eligible * self.max_share)
        return max(ZERO, min(self.amount_awarded, share_cap, expenses - other))

    def commitment_target(self, planned: Decimal) -> Decimal:
        """What the budget must keep committed for this grant, given the money planned or paid:
        what the grantee may keep (the amount awarded while the grant lives, the final amount
        once it ended), or more while money beyond that is out and not yet paid back (after an
        amendment lowered the amount below what was paid, or a settlement below it)."""
        if self.status in (GrantStatus.DECLINED, GrantStatus.LAPSED):
            return ZERO
        if self.status in LIVE_GRANT_STATES:
            kept = self.amount_awarded
        else:
            kept = self.final_amount if self.final_amount is not None else ZERO
        return max(kept, planned)

    # --- transitions: stamp own fields only; services do the bookings ------------------------
    @transition(
        field=status,
        source=GrantStatus.OFFERED,
        target=GrantStatus.ACCEPTED,
        permission=rules.can_act_for_grantee,
        conditions=[_grantee_has_valid_iban],
    )
    def accept(self, *, by: Any, full_name: str, consent: bool) -> None:
        name = clean_text(
            full_name,
            field="full_name",
            max_length=NAME_TEXT,
            required=NAME_MISSING,
            code="name_missing",
        )
        if consent is not True:
            raise WorkflowError(
                _("Please confirm that you accept the terms of the grant."),
                code="consent_missing",
            )
        self.accepted_name = name
        self.accepted_at = clock.now()
        self.accepted_by = by
        self.interim_report_due_on = self.programme.interim_report_due(
            self.project_start, self.project_end, not_before=clock.today()
        )

    @transition(
        field=status,
        source=GrantStatus.OFFERED,
        target=GrantStatus.DECLINED,
        permission=rules.can_act_for_grantee,
    )
    def decline(self, *, by: Any, reason: str = "") -> None:
        self.ended_reason = clean_text(reason, field="reason")

    @transition(
        field=status,
        source=GrantStatus.OFFERED,
        target=GrantStatus.LAPSED,
        permission=rules.is_system,
        conditions=[_offer_expired],
    )
    def lapse(self, *, by: Any) -> None:
        self.ended_reason = ""  # the status says it: the offer was not accepted in time

    @transition(
        field=status,
        source=GrantStatus.ACCEPTED,
        target=GrantStatus.REPORT_DUE,
        permission=rules.is_system,
        conditions=[_project_ended, _no_amendment_waiting],
    )
    def end_project(self, *, by: Any) -> None:
        self.report_due_on = self.project_end + timedelta(days=self.programme.report_days_after_end)

    @transition(
        field=status,
        source=GrantStatus.REPORT_DUE,
        target=GrantStatus.REPORT_SUBMITTED,
        permission=rules.can_act_for_grantee,
    )
    def submit_report(
        self,
        *,
        by: Any,
        actual_expenses: Decimal,
        actual_eligible_expenses: Decimal,
        actual_other_income: Decimal,
    ) -> None:
        expenses = parse_amount(actual_expenses, label=_("Actual expenses"))
        eligible = parse_amount(actual_eligible_expenses, label=_("Actual eligible expenses"))
        other = parse_amount(actual_other_income, label=_("Actual other income"))
        if eligible > expenses:
            raise WorkflowError(
                _("Eligible expenses cannot be higher than all expenses."), code="eligible_too_high"
            )
        self.actual_expenses, self.actual_eligible_expenses = expenses, eligible
        self.actual_other_income = other
        self.report_submitted_at = clock.now()

    @transition(
        field=status,
        source=GrantStatus.REPORT_SUBMITTED,
        target=GrantStatus.REPORT_DUE,
        permission=rules.can_check_report,
    )
    def request_report_changes(self, *, by: Any, message: str, reply_by: date) -> None:
        self.report_change_message = clean_text(
            message, field="message", required=REPORT_MESSAGE_MISSING, code="message_missing"
        )
        self.report_due_on = clean_reply_date(reply_by)

    @transition(
        field=status,
        source=GrantStatus.REPORT_SUBMITTED,
        target=GrantStatus.SETTLED,
        permission=rules.can_accept_report,
    )
    def accept_report(self, *, by: Any) -> None:
        self.final_amount = self.entitlement()
        self.report_accepted_by = by

    @transition(
        field=status,
        source=GrantStatus.REPORT_DUE,
        target=GrantStatus.REVOKED,
        permission=rules.can_revoke_grant,
        conditions=[_report_overdue],
    )
    def revoke(self, *, by: Any, reason: str) -> None:
        self.ended_reason = clean_text(
            reason, field="reason", required=REASON_MISSING, code="reason_missing"
        )
        self.final_amount = ZERO

    @transition(
        field=status,
        source=GrantStatus.ACCEPTED,
        target=GrantStatus.CANCELLED,
        permission=rules.can_cancel_grant,
    )
    def cancel(self, *, by: Any, reason: str) -> None:
        self.ended_reason = clean_text(
            reason, field="reason", required=REASON_MISSING, code="reason_missing"
        )
        self.final_amount = ZERO

    @transition(
        field=status,
        source=GrantStatus.SETTLED,
        target=GrantStatus.CLOSED,
        permission=rules.can_close_grant,
        conditions=[_all_money_settled],
    )
    def close(self, *, by: Any) -> None:
        self.closed_at = clock.now()


def interim_report_accepted_by(grant: Grant) -> int | None:
    """Who accepted the grant's interim report (the id), if it was accepted."""
    if interim_report_status(grant) != INTERIM_ACCEPTED:
        return None
    accepted_by: int | None = grant.interim_report.accepted_by_id  # type: ignore[attr-defined]
    return accepted_by


class PaymentKind(models.TextChoices):
    ADVANCE = "advance", _("advance")
    INSTALMENT = "instalment", _("instalment")
    BALANCE = "balance", _("balance")


class PaymentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    # Approved for payment by finance ("freigegeben"), not a grant decision ("bewilligt").
    APPROVED = "approved", pgettext_lazy("payment status", "approved")
    EXPORTED = "exported", _("exported")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class PaymentQuerySet(models.QuerySet["Payment"]):
    def visible_to(self, user: Any) -> models.QuerySet[Payment]:
        return rules.payments_visible_to(self, user)


FAILURE_REASON_MISSING = _("Please give the reason the bank gave.")

# The states a payment can be recorded as paid from (a bank may execute one before its batch
# is marked paid); what the bank has received or executed counts as sent at settlement.
PAYABLE_PAYMENT_STATES = (PaymentStatus.SCHEDULED, PaymentStatus.APPROVED, PaymentStatus.EXPORTED)
SENT_PAYMENT_STATES = (PaymentStatus.EXPORTED, PaymentStatus.PAID)
# Payments an amended plan replaces: not sent, or sent back by the bank.
REPLANNABLE_PAYMENT_STATES = (PaymentStatus.SCHEDULED, PaymentStatus.APPROVED, PaymentStatus.FAILED)
# Grants whose settlement cancels the payments not sent yet.
SETTLED_GRANT_STATES = (GrantStatus.SETTLED, GrantStatus.REVOKED, GrantStatus.CANCELLED)


@guard(
    "grant_not_settled", _("Only a settled, revoked or cancelled grant drops its unsent payments.")
)
def _grant_settled(payment: Payment) -> bool:
    return payment.grant.status in SETTLED_GRANT_STATES


class Payment(ConcurrentTransitionMixin, models.Model):
    """One tranche of a grant. Its status changes only through `perform()`, each step with its
    audit row: who approved it, which batch exported it, who recorded it paid or failed."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=16, choices=PaymentKind)
    trigger = models.CharField(max_length=32, choices=PaymentTrigger)
    sequence = models.PositiveSmallIntegerField()
    amount = money_field(verbose_name=_("amount"))
    due_on = models.DateField(_("due on"))
    status = FSMField(
        _("status"),
        max_length=16,
        choices=PaymentStatus,
        default=PaymentStatus.SCHEDULED,
        db_index=True,
        protected=True,
    )
    created_at = models.DateTimeField(default=clock.now)
    recorded_paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The batch it is (or was last) exported in; a failed payment goes into a new batch later.
    batch = models.ForeignKey(
        "PaymentBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    failure_reason = CleanTextField(_("reason of the failure"), blank=True)

    objects = PaymentQuerySet.as_manager()
    # perform() reads the grant with the locked row: the four-eyes rule and the settlement do.
    rules_select_related = ("grant",)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["grant", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "sequence"], name="unique_payment_sequence"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} {self.amount} EUR"

    @property
    def end_to_end_id(self) -> str:
        """Stable SEPA EndToEndId (<= 35 chars): the idempotency key of this payment."""
        return f"MG-G{self.grant_id}-P{self.sequence}"

    def triggered_by_report_of(self, user: Any) -> bool:
        """Whether `user` accepted the final or interim report that triggered this payment
        (four-eyes)."""
        if user is None:
            return False
        if self.trigger == PaymentTrigger.INTERIM_REPORT_ACCEPTED:
            return interim_report_accepted_by(self.grant) == user.pk
        return (
            self.trigger == PaymentTrigger.REPORT_ACCEPTED
            and self.grant.report_accepted_by_id == user.pk
        )

    @transition(
        field=status,
        source=PaymentStatus.SCHEDULED,
        target=PaymentStatus.APPROVED,
        permission=rules.may_approve_payment,
    )
    def approve(self, *, by: Any) -> None:
        self.approved_by = by
        self.approved_at = clock.now()

    # The batch's files are written by grants.finance.services.export_batch; the audit row names
    # the batch.
    @transition(
        field=status,
        source=PaymentStatus.APPROVED,
        target=PaymentStatus.EXPORTED,
        permission=rules.is_finance,
    )
    def export(self, *, by: Any, batch: str) -> None:
        pass

    @transition(
        field=status,
        source=PAYABLE_PAYMENT_STATES,
        target=PaymentStatus.PAID,
        permission=rules.is_finance,
    )
    def pay(self, *, by: Any) -> None:
        """The bank executed it (the ledger booking and the payment advice follow)."""
        self.recorded_paid_by = by
        self.paid_at = clock.now()

    @transition(
        field=status,
        source=PaymentStatus.EXPORTED,
        target=PaymentStatus.FAILED,
        permission=rules.is_finance,
    )
    def fail(self, *, by: Any, reason: str, batch: str) -> None:
        """The bank returned it; `reason` is what the bank gave."""
        self.failure_reason = clean_text(
            reason,
            field="reason",
            max_length=None,
            required=FAILURE_REASON_MISSING,
            code="no_reason",
        )

    @transition(
        field=status,
        source=PaymentStatus.FAILED,
        target=PaymentStatus.SCHEDULED,
        permission=rules.is_finance,
    )
    def requeue(self, *, by: Any) -> None:
        """Back in the queue: it must be approved again (the batch it failed in stays named)."""
        self.approved_by = None
        self.approved_at = None

    @transition(
        field=status,
        source=[PaymentStatus.SCHEDULED, PaymentStatus.APPROVED],
        target=PaymentStatus.CANCELLED,
        permission=rules.may_cancel_payment,
        conditions=[_grant_settled],
    )
    def cancel(self, *, by: Any) -> None:
        """Not sent before the grant was settled, revoked or cancelled: it will not be."""

    @transition(
        field=status,
        source=REPLANNABLE_PAYMENT_STATES,
        target=PaymentStatus.CANCELLED,
        permission=rules.may_replan_payments,
    )
    def supersede(self, *, by: Any, amendment: int) -> None:
        """Not sent when an amendment changed the grant's amount: the payment plan is computed
        again, and a payment of the new amount replaces this one (`amendment` is its number)."""


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("being put together")
    EXPORTED = "exported", _("exported")
    PAID = "paid", _("paid")


class PaymentBatchQuerySet(models.QuerySet["PaymentBatch"]):
    def visible_to(self, user: Any) -> models.QuerySet[PaymentBatch]:
        return rules.batches_visible_to(self, user)


class PaymentBatch(ConcurrentTransitionMixin, models.Model):
    """Approved payments sent to the bank together as one SEPA credit transfer file.

    Once exported it is immutable: its files are stored with their SHA-256 and every download
    returns the same bytes; a payment is exported at most once (a failed one returns to the queue
    and may go into a new batch, keeping its EndToEndId). Exported and paid through `perform()`,
    each with its audit row.
    """

    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    execution_date = models.DateField(_("requested execution date"))
    debtor_name = CleanCharField(_("debtor"), max_length=70)
    debtor_iban = CleanCharField(_("debtor IBAN"), max_length=34)
    debtor_bic = CleanCharField(_("debtor BIC"), max_length=11)
    status = FSMField(
        _("status"), max_length=16, choices=BatchStatus, default=BatchStatus.DRAFT, protected=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    exported_at = models.DateTimeField(null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    control_sum = money_field(verbose_name=_("control sum"), default=ZERO)
    count = models.PositiveIntegerField(default=0)
    sepa_file = models.FileField(upload_to="batches/", blank=True)
    sepa_sha256 = models.CharField(max_length=64, blank=True)
    csv_file = models.FileField(upload_to="batches/", blank=True)
    csv_sha256 = models.CharField(max_length=64, blank=True)
    xlsx_file = models.FileField(upload_to="batches/", blank=True)
    xlsx_sha256 = models.CharField(max_length=64, blank=True)

    objects = PaymentBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.get_status_display()})"

    # The files and dates are written by grants.finance.services.export_batch just before; the
    # data of these two steps is what their audit rows keep.
    @transition(
        field=status,
        source=BatchStatus.DRAFT,
        target=BatchStatus.EXPORTED,
        permission=rules.is_finance,
    )
    def export(
        self,
        *,
        by: Any,
        count: int,
        control_sum: Decimal,
        sha256: dict[str, str],
        left_out: list[str],
    ) -> None:
        self.exported_by = by
        self.count, self.control_sum = count, control_sum

    @transition(
        field=status,
        source=BatchStatus.EXPORTED,
        target=BatchStatus.PAID,
        permission=rules.is_finance,
    )
    def pay(self, *, by: Any, paid: list[str]) -> None:
        self.paid_at = clock.now()


class RepaymentStatus(models.TextChoices):
    OPEN = "open", _("open")
    RECEIVED = "received", _("received")
    WAIVED = "waived", _("waived")


class RepaymentCause(models.TextChoices):
    SETTLEMENT = "settlement", _("settlement of the grant")
    AMENDMENT = "amendment", _("amendment lowering the amount")


class RepaymentClaimQuerySet(models.QuerySet["RepaymentClaim"]):
    def visible_to(self, user: Any) -> models.QuerySet[RepaymentClaim]:
        return rules.repayment_claims_visible_to(self, user)


class RepaymentClaim(ConcurrentTransitionMixin, models.Model):
    """Money the grantee owes back (a settlement below what was paid, a revocation). Its status
    changes only through `perform()`, with an audit row: who recorded the repayment, and when."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="repayment_claims")
    amount = money_field(verbose_name=_("amount"))
    due_on = models.DateField(_("due on"))
    # A claim of the settlement keeps its figures (shown in each reader's language); `reason`
    # holds what a person typed.
    entitlement = money_field(verbose_name=_("final entitlement"), null=True, blank=True)
    paid = money_field(verbose_name=_("paid"), null=True, blank=True)
    # Why it arose: the settlement (`entitlement` is the final entitlement) or an amendment
    # that lowered the amount below what was paid (`entitlement` is the new amount).
    cause = models.CharField(
        _("cause"), max_length=16, choices=RepaymentCause, default=RepaymentCause.SETTLEMENT
    )
    reason = CleanTextField(_("reason"), blank=True)
    status = FSMField(
        _("status"),
        max_length=16,
        choices=RepaymentStatus,
        default=RepaymentStatus.OPEN,
        protected=True,
    )
    created_at = models.DateTimeField(default=clock.now)
    received_at = models.DateTimeField(null=True, blank=True)
    received_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = RepaymentClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("repayment claim")
        verbose_name_plural = _("repayment claims")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="claim_positive")]

    def __str__(self) -> str:
        return f"{self.amount} EUR ({self.get_status_display()})"

    @transition(
        field=status,
        source=RepaymentStatus.OPEN,
        target=RepaymentStatus.RECEIVED,
        permission=rules.is_finance,
    )
    def receive(self, *, by: Any) -> None:
        """Finance records that the money came back (the booking follows in the service)."""
        self.received_at = clock.now()
        self.received_recorded_by = by

    def description(self) -> str:
        """Why the grantee owes it, in the active language."""
        entitlement, paid = self.entitlement, self.paid
        if entitlement is None or paid is None:
            return self.reason
        if self.cause == RepaymentCause.AMENDMENT:
            return gettext("amount lowered by an amendment to %(amount)s, paid %(paid)s") % {
                "amount": format_eur(entitlement),
                "paid": format_eur(paid),
            }
        return gettext("final entitlement %(entitlement)s, paid %(paid)s") % {
            "entitlement": format_eur(entitlement),
            "paid": format_eur(paid),
        }


def planned_amount(grant: Grant) -> Decimal:
    """Money paid or on its way to the grantee, less what the grantee has paid back."""
    total = grant.payments.exclude(
        status__in=[PaymentStatus.CANCELLED, PaymentStatus.FAILED]
    ).aggregate(total=Coalesce(Sum("amount"), ZERO, output_field=models.DecimalField()))["total"]
    repaid = grant.repayment_claims.filter(status=RepaymentStatus.RECEIVED).aggregate(
        total=Coalesce(Sum("amount"), ZERO, output_field=models.DecimalField())
    )["total"]
    return cents(total - repaid)


def claimed_by_amendments(grant: Grant) -> Decimal:
    """What amendments that lowered the amount below the money sent have claimed back (open or
    received): the settlement counts it as returned, so it is never claimed twice."""
    total: Decimal = (
        grant.repayment_claims.filter(cause=RepaymentCause.AMENDMENT)
        .exclude(status=RepaymentStatus.WAIVED)
        .aggregate(total=Coalesce(Sum("amount"), ZERO, output_field=models.DecimalField()))["total"]
    )
    return cents(total)


def kept_of_sent(grant: Grant) -> Decimal:
    """Money sent to the grantee (exported or paid) less what amendments claimed back of it:
    what the settlement counts as paid. One query."""
    money = models.DecimalField(max_digits=14, decimal_places=2)
    sent = (
        Payment.objects.filter(grant=OuterRef("pk"), status__in=SENT_PAYMENT_STATES)
        .order_by()
        .values("grant")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    claimed = (
        RepaymentClaim.objects.filter(grant=OuterRef("pk"), cause=RepaymentCause.AMENDMENT)
        .exclude(status=RepaymentStatus.WAIVED)
        .order_by()
        .values("grant")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    kept = (
        Grant.objects.filter(pk=grant.pk)
        .annotate(
            sent=Coalesce(Subquery(sent, output_field=money), ZERO, output_field=money),
            claimed=Coalesce(Subquery(claimed, output_field=money), ZERO, output_field=money),
        )
        .values_list("sent", "claimed")
        .get()
    )
    return cents(kept[0] - kept[1])


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> models.QuerySet[ApiToken]:
        """Neither revoked nor expired (at the clock's now)."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=clock.now())


class ApiToken(models.Model):
    """A secret that lets a program read the funder API as `user`, within chosen programmes.

    Only the SHA-256 of the token is stored; the token itself is shown once when it is created
    (grants.api.tokens.issue_token). `prefix` is its non-secret start, for lookup and display.
    A token names its programmes, or is explicitly marked for all of them: without either it
    reads nothing.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = CleanCharField(_("name"), max_length=100, help_text=_("what or who uses the token"))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    programmes = models.ManyToManyField(
        Programme, blank=True, related_name="+", verbose_name=_("programmes")
    )
    all_programmes = models.BooleanField(
        _("all programmes"),
        default=False,
        help_text=_("Reads every programme, also those created later. Otherwise choose them."),
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > clock.now()


# Co-funding: the funders of a budget and their shares live in their own module (with the
# rule that splits a sum among them); imported here so that Django registers their models.
import grants.funders  # noqa: E402, F401
