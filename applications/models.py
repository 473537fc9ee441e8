"""Applicant side: applications with budget plan, partners, files, final reports and documents
(their organisations and members: `organisations.models`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from applications import formal_check, rules
from grants.models import DecisionForm
from grants.money import ZERO, cents, format_eur, money_field, parse_amount
from organisations.models import Organisation
from workflows import clock
from workflows.errors import WorkflowError
from workflows.fields import CleanCharField, CleanTextField
from workflows.guards import guard
from workflows.text import clean_reply_date, clean_text


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    CHANGES_REQUESTED = "changes_requested", _("changes requested")
    IN_REVIEW = "in_review", _("in review")
    REVIEWED = "reviewed", _("reviewed")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    WAITLISTED = "waitlisted", _("waitlisted")
    WITHDRAWN = "withdrawn", _("withdrawn")
    EXPIRED = "expired", _("expired")


WITHDRAWABLE = (
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.CHANGES_REQUESTED,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.REVIEWED,
)


class Theme(models.TextChoices):
    CIVIC = "civic", _("civic engagement and intergenerational dialogue")
    ENVIRONMENT = "environment", _("environment and sustainable development")
    DEMOCRACY = "democracy", _("democracy and human rights")
    EUROPE = "europe", _("Europe")
    HISTORY = "history", _("history and remembrance")
    CULTURE = "culture", _("music, arts and culture")
    HEALTH = "health", _("health and sport")
    ANTI_DISCRIMINATION = "anti_discrimination", _("anti-discrimination")
    COHESION = "cohesion", _("social cohesion, diversity and inclusion")
    DIGITAL = "digital", _("digital")


# Theme.values builds a new list on every access: membership tests read this set.
THEME_CODES = frozenset(Theme.values)


def theme_codes_of(themes: Any) -> frozenset[str]:
    """The valid theme codes of a stored `themes` value (a list, or anything else: none)."""
    if not isinstance(themes, list):
        return frozenset()
    return frozenset(code for code in themes if isinstance(code, str) and code in THEME_CODES)


class Declaration(models.TextChoices):
    """What the applicant confirms before submitting; the codes are stored."""

    TRUTHFUL = "truthful", _("The information in this application is complete and true.")
    NO_EARLY_COSTS = (
        "no_early_costs",
        _(
            "We know that costs incurred before the decision or outside the project period cannot "
            "be funded."
        ),
    )
    REPORT_DUTY = (
        "report_duty",
        _(
            "If the project is funded, we will send a final report with the list of receipts within "
            "the deadline and keep the receipts for five years."
        ),
    )
    DATA_PROCESSING = (
        "data_processing",
        _("We agree that the fund processes the data of this application to handle it."),
    )
    PUBLICATION = (
        "publication",
        _(
            "We agree that the fund publishes the grant (organisation, project title, amount, place) "
            "as open data."
        ),
    )
    GROUP_NAME = (
        "group_name",
        _(
            "Informal groups: we agree that the group's name is shown with the grant. Without "
            "this, funders and the open data read “informal group in” and the region."
        ),
    )


# Every declaration but the consents to publication is needed to submit.
REQUIRED_DECLARATIONS = (
    Declaration.TRUTHFUL,
    Declaration.NO_EARLY_COSTS,
    Declaration.REPORT_DUTY,
    Declaration.DATA_PROCESSING,
)


@guard("reply_deadline_not_passed", _("The reply deadline or the project start has not passed."))
def _expiry_due(application: Application) -> bool:
    today = clock.today()
    if application.status == ApplicationStatus.CHANGES_REQUESTED:
        deadline = application.reply_deadline
        return deadline is not None and deadline < today
    return application.start_date is not None and application.start_date <= today


class ApplicationQuerySet(models.QuerySet["Application"]):
    def visible_to(self, user: Any) -> models.QuerySet[Application]:
        return rules.applications_visible_to(self, user)


class Application(ConcurrentTransitionMixin, models.Model):
    fund = models.ForeignKey("grants.Fund", on_delete=models.PROTECT, related_name="applications")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="applications"
    )
    programme = models.ForeignKey(
        "grants.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        help_text=_("derived from the requested amount"),
    )
    call = models.ForeignKey(
        "grants.Call", on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    status = FSMField(
        _("status"),
        max_length=32,
        choices=ApplicationStatus,
        default=ApplicationStatus.DRAFT,
        protected=True,
    )
    reference = models.CharField(_("reference"), max_length=32, null=True, blank=True, unique=True)
    language = models.CharField(
        _("language"), max_length=2, choices=settings.LANGUAGES, default="de"
    )
    title = CleanCharField(_("project title"), max_length=200)
    summary = CleanTextField(_("summary"), blank=True, max_length=1000)
    description = CleanTextField(_("description"), blank=True)
    themes = models.JSONField(_("themes"), default=list, blank=True)
    project_format = CleanCharField(_("format"), max_length=100, blank=True)
    start_date = models.DateField(_("project start"), null=True, blank=True)
    end_date = models.DateField(_("project end"), null=True, blank=True)
    places = CleanCharField(_("places"), max_length=300, blank=True)
    participants_expected = models.JSONField(
        _("participants expected by country"), default=dict, blank=True
    )
    requested_amount = money_field(verbose_name=_("requested grant"), default=ZERO)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_content = models.JSONField(default=dict, blank=True, editable=False)
    change_request_message = CleanTextField(blank=True)
    reply_deadline = models.DateField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    awarded_amount = money_field(null=True, blank=True)
    decision_note = CleanTextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declarations = models.JSONField(
        _("declarations"),
        default=list,
        blank=True,
        help_text=_("codes of the declarations the applicant confirmed"),
    )

    objects = ApplicationQuerySet.as_manager()
    # perform() reads these along with the locked row: the applicant rules look at the organisation.
    rules_select_related = ("organisation", "programme")
    # The themes whose rows are known to be stored (None: not known); see save().
    _stored_themes: frozenset[str] | None = None

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "start_date"]),
            models.Index(fields=["organisation", "status"]),
            # An organisation's applications, most recently changed first (the start page).
            models.Index(
                fields=["organisation", "updated_at", "id"], name="application_org_recent"
            ),
            # The latest change of all applications (the API list's Last-Modified). The list's
            # order (submitted_at DESC NULLS LAST, id DESC) has its indexes in migration 0008,
            # its other orderings in 0009: an Index here cannot say NULLS LAST on PostgreSQL
            # and plain DESC on SQLite.
            models.Index(fields=["updated_at"], name="application_updated"),
            # Whether an organisation submitted before a given time (the dashboard's first-time
            # applicants): one probe of this index per application, not a scan per application.
            models.Index(fields=["organisation", "submitted_at"], name="application_org_submitted"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="application_end_after_start",
                violation_error_message=_("The project cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference or _('draft')} {self.title}"

    # --- the rule set, for the records below this app that point here (grants ask through
    # these; they cannot import the applicant side) --------------------------------------------
    @classmethod
    def visibility(cls, user: Any, *, prefix: str = "", include_funders: bool = True) -> Q | None:
        """The applications `user` may see, as a condition on rows reached by `prefix`."""
        return rules.visibility(user, prefix=prefix, include_funders=include_funders)

    def reviewable_by(self, user: Any) -> bool:
        return rules.may_review(self, user)

    def manageable_by(self, user: Any) -> bool:
        return rules.may_manage(self, user)

    def decidable_by(self, user: Any) -> bool:
        return rules.can_decide(self, user)

    def claimed_by_other(self, user: Any, kind: str) -> bool:
        return rules.claimed_by_other(self, user, kind)

    @property
    def state_fields(self) -> Iterable[Any]:
        """django-fsm's ConcurrentTransitionMixin filters every field of the model for its FSM
        fields on each instance it builds (a list page builds 100): the status, looked up once."""
        return _STATE_FIELDS

    # --- the themes as rows (ApplicationTheme), kept equal to the `themes` list -------------------
    @classmethod
    def from_db(
        cls,
        db: str | None,
        field_names: Collection[str],
        values: Collection[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Application:
        instance = super().from_db(db, field_names, values, *args, **kwargs)
        if "themes" in field_names:
            instance._stored_themes = instance.theme_codes()
        return instance

    def theme_codes(self) -> frozenset[str]:
        return theme_codes_of(self.themes)

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        fields = kwargs.get("fields")
        if fields is None or "themes" in fields:
            self._stored_themes = self.theme_codes()

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; when the themes may have changed, bring their rows in line in the same transaction.

        Transitions save with `update_fields` that never name the themes, so they pay nothing.
        """
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "themes" not in update_fields:
            super().save(*args, **kwargs)
            return
        adding = self._state.adding
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            self._write_theme_rows(adding=adding)

    def _write_theme_rows(self, *, adding: bool) -> None:
        wanted = self.theme_codes()
        stored = frozenset() if adding else self._stored_themes
        if stored == wanted:
            return
        if stored is None or stored - wanted:
            ApplicationTheme.objects.filter(application=self).exclude(theme__in=wanted).delete()
        missing = wanted if stored is None else wanted - stored
        if missing:
            ApplicationTheme.objects.bulk_create(
                [ApplicationTheme(application=self, theme=code) for code in sorted(missing)],
                ignore_conflicts=True,
            )
        self._stored_themes = wanted

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _(
                "The project cannot end before it starts. Please check the dates."
            )
        for name, allowed in (("themes", Theme.values), ("declarations", Declaration.values)):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(
                isinstance(code, str) and code in allowed for code in value
            ):
                errors[name] = _("Please choose from the options offered.")
        participants = self.participants_expected
        if not isinstance(participants, dict) or not all(
            isinstance(code, str)
            and len(code) == 2
            and isinstance(count, int)
            and not isinstance(count, bool)
            and 0 <= count <= 100_000
            for code, count in participants.items()
        ):
            errors["participants_expected"] = _(
                "Please give a whole number of participants (0 or more) for each country."
            )
        if errors:
            raise ValidationError(errors)

    # --- figures over own lines ----------------------------------------------------------------
    def eligible_expenses(self) -> Decimal:
        return sum(
            (line.amount for line in self.budget_lines.all() if line.counts_as_eligible_expense),
            ZERO,
        )

    def other_income(self) -> Decimal:
        return sum((line.amount for line in self.budget_lines.all() if line.is_income), ZERO)

    # --- transitions ---------------------------------------------------------------------------
    @transition(
        field=status,
        source=ApplicationStatus.DRAFT,
        target=ApplicationStatus.SUBMITTED,
        permission=rules.is_applicant,
    )
    def submit(self, *, by: Any, reference: str) -> None:
        self.reference = reference
        self.submitted_at = clock.now()

    @transition(
        field=status,
        source=ApplicationStatus.SUBMITTED,
        target=ApplicationStatus.CHANGES_REQUESTED,
        permission=rules.can_check_formally,
    )
    def request_changes(self, *, by: Any, message: str, reply_by: date) -> None:
        missing = formal_check.CHANGES_MESSAGE_MISSING
        self.change_request_message = clean_text(
            message, field="message", required=missing, code="message_missing"
        )
        self.reply_deadline = clean_reply_date(reply_by)

    @transition(
        field=status,
        source=ApplicationStatus.CHANGES_REQUESTED,
        target=ApplicationStatus.SUBMITTED,
        permission=rules.is_applicant,
    )
    def resubmit(self, *, by: Any) -> None:
        self.submitted_at = clock.now()
        self.reply_deadline = None

    @transition(
        field=status,
        source=ApplicationStatus.SUBMITTED,
        target=ApplicationStatus.IN_REVIEW,
        permission=rules.can_check_formally,
    )
    def pass_formal_check(self, *, by: Any, checklist: formal_check.Checklist) -> None:
        # Every item ticked, or refused; perform() keeps the checklist in the audit row.
        formal_check.require_every_item(checklist)

    @transition(
        field=status,
        source=[
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.IN_REVIEW,
            ApplicationStatus.REVIEWED,
        ],
        target=ApplicationStatus.REJECTED,
        permission=rules.can_reject,
    )
    def reject(self, *, by: Any, reasons: str) -> None:
        missing = formal_check.REJECTION_REASONS_MISSING
        self.decision_note = clean_text(
            reasons, field="reasons", required=missing, code="no_reasons"
        )
        self.decided_at = clock.now()
        self.decided_by = by

    @transition(
        field=status,
        source=ApplicationStatus.IN_REVIEW,
        target=ApplicationStatus.REVIEWED,
        permission=rules.is_system,
    )
    def complete_review(self, *, by: Any, score: Decimal) -> None:
        try:
            score = Decimal(str(score))
        except ArithmeticError:
            score = Decimal("NaN")
        if not score.is_finite() or not (0 <= score <= 100):
            raise WorkflowError(_("The score must lie between 0 and 100."), code="bad_score")
        self.score = score.quantize(Decimal("0.01"))

    @transition(
        field=status,
        source=ApplicationStatus.REVIEWED,
        target=ApplicationStatus.APPROVED,
        permission=rules.can_decide,
    )
    def approve(self, *, by: Any, amount: Decimal, conditions: str = "") -> None:
        amount = parse_amount(amount, label=_("The amount"))
        if amount <= 0 or amount > self.requested_amount:
            raise WorkflowError(
                _("The amount must be more than 0 and at most the %(requested)s requested.")
                % {"requested": format_eur(self.requested_amount)},
                code="amount_out_of_range",
            )
        self.awarded_amount = amount
        self.decision_note = clean_text(conditions, field="conditions")
        self.decided_at = clock.now()
        self.decided_by = by

    @transition(
        field=status,
        source=ApplicationStatus.REVIEWED,
        target=ApplicationStatus.WAITLISTED,
        permission=rules.can_decide,
    )
    def waitlist(self, *, by: Any, reason: str = "") -> None:
        self.decision_note = clean_text(reason, field="reason")

    @transition(
        field=status,
        source=ApplicationStatus.WAITLISTED,
        target=ApplicationStatus.REVIEWED,
        permission=rules.can_reopen,
    )
    def reopen(self, *, by: Any) -> None:
        self.decision_note = ""

    @transition(
        field=status,
        source=list(WITHDRAWABLE),
        target=ApplicationStatus.WITHDRAWN,
        permission=rules.is_applicant,
    )
    def withdraw(self, *, by: Any, reason: str = "") -> None:
        self.decision_note = clean_text(reason, field="reason")

    @transition(
        field=status,
        source=[ApplicationStatus.CHANGES_REQUESTED, ApplicationStatus.WAITLISTED],
        target=ApplicationStatus.EXPIRED,
        permission=rules.is_system,
        conditions=[_expiry_due],
    )
    def expire(self, *, by: Any) -> None:
        pass


# Application's FSM fields (see Application.state_fields).
_STATE_FIELDS = tuple(field for field in Application._meta.fields if isinstance(field, FSMField))


class ApplicationTheme(models.Model):
    """`Application.themes` as rows, so that filters and statistics reach a theme by a join
    (one query, grouped by theme). Written by `Application.save()`, never by hand."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="theme_rows"
    )
    theme = models.CharField(_("theme"), max_length=32, choices=Theme)

    class Meta:
        verbose_name = _("theme of an application")
        verbose_name_plural = _("themes of applications")
        constraints = [
            models.UniqueConstraint(fields=["application", "theme"], name="one_row_per_theme")
        ]
        indexes = [models.Index(fields=["theme", "application"], name="application_theme")]

    def __str__(self) -> str:
        return self.get_theme_display()


class ExpenseCategory(models.TextChoices):
    TRAVEL = "travel", _("travel")
    STAY = "stay", _("stay (lodging, meals, local transport)")
    ORGANISATION = "organisation", _("organisation (room hire)")
    MATERIAL = "material", _("material (flyers, equipment hire)")
    TRAINING = "training", _("training (e.g. language preparation)")
    FEES = "fees", _("fees (speakers, interpreters)")


class IncomeCategory(models.TextChoices):
    OWN_FUNDS = "own_funds", _("own funds")
    PARTICIPANT_FEES = "participant_fees", _("participant fees")
    OTHER_FUNDERS = "other_funders", _("other funders")
    IN_KIND = "in_kind", _("in-kind contributions")


class BudgetLine(models.Model):
    class Side(models.TextChoices):
        EXPENSE = "expense", _("expense")
        INCOME = "income", _("income")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_lines"
    )
    side = models.CharField(max_length=8, choices=Side)
    category = models.CharField(
        _("category"), max_length=32, choices=ExpenseCategory.choices + IncomeCategory.choices
    )
    purpose = CleanCharField(_("purpose"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit_cost = money_field(verbose_name=_("unit cost"))
    eligible = models.BooleanField(_("eligible"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["application", "side", "position", "id"]

    def __str__(self) -> str:
        return f"{self.purpose}: {self.amount}"

    def clean(self) -> None:
        allowed = (
            ExpenseCategory.values if self.side == self.Side.EXPENSE else IncomeCategory.values
        )
        if self.category not in allowed:
            raise ValidationError({"category": _("This category does not fit this side.")})

    @property
    def amount(self) -> Decimal:
        if self.quantity is None or self.unit_cost is None:
            return ZERO  # a row still being typed
        return cents(self.quantity * self.unit_cost)

    @property
    def is_income(self) -> bool:
        return self.side == self.Side.INCOME

    @property
    def counts_as_eligible_expense(self) -> bool:
        return self.side == self.Side.EXPENSE and self.eligible


class Partner(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="partners")
    name = CleanCharField(_("name"), max_length=200)
    country = CleanCharField(_("country"), max_length=2)
    city = CleanCharField(_("city"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    def clean(self) -> None:
        self.country = (self.country or "").upper()


def attachment_path(instance: Attachment, filename: str) -> str:
    """A generated name: nothing of what the user called the file reaches the file system."""
    import uuid

    return f"attachments/{instance.application_id}/{uuid.uuid4().hex}"


class AttachmentPurpose(models.TextChoices):
    APPLICATION = "application", _("document for the application")
    RECEIPT = "receipt", _("receipt for the final report")
    # Who may add and remove these is said by the interim app (applications.attachments).
    INTERIM_REPORT = "interim_report", _("document for the interim report")


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def visible_to(self, user: Any) -> models.QuerySet[Attachment]:
        return rules.attachments_visible_to(self, user)


class Attachment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    purpose = models.CharField(
        max_length=16, choices=AttachmentPurpose, default=AttachmentPurpose.APPLICATION
    )
    file = models.FileField(upload_to=attachment_path)
    original_name = CleanCharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=clock.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ReportQuerySet(models.QuerySet["Report"]):
    def visible_to(self, user: Any) -> models.QuerySet[Report]:
        return rules.reports_visible_to(self, user)


class Report(models.Model):
    """The grantee's final report (Verwendungsnachweis): narrative, figures, receipts.

    Edited as a draft while the grant is due for a report; its totals go to the grant when it
    is submitted (`Grant.submit_report`), and it is read-only while the report is checked.
    """

    grant = models.OneToOneField("grants.Grant", on_delete=models.CASCADE, related_name="report")
    narrative = CleanTextField(_("what happened"), blank=True)
    results = CleanTextField(_("results and what you learned"), blank=True)
    participants = models.JSONField(
        _("participants by country"),
        default=dict,
        blank=True,
        help_text=_("country code -> number of participants"),
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("final report")
        verbose_name_plural = _("final reports")

    def __str__(self) -> str:
        return _("Final report for %(grant)s") % {"grant": self.grant}


class ReportLine(models.Model):
    """Actual figure of one budget category (expense or income), beside the planned one."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="lines")
    side = models.CharField(max_length=8, choices=BudgetLine.Side)
    category = models.CharField(
        _("category"), max_length=32, choices=ExpenseCategory.choices + IncomeCategory.choices
    )
    actual = money_field(verbose_name=_("actual amount"), default=ZERO)
    eligible = models.BooleanField(_("eligible"), default=True)
    comment = CleanCharField(_("comment on the difference"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("actual budget line")
        verbose_name_plural = _("actual budget lines")
        ordering = ["report", "side", "category", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "side", "category"], name="one_actual_line_per_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.actual}"


class Receipt(models.Model):
    """One receipt in the list of receipts (Belegliste): date, payee, purpose, amount."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="receipts")
    category = models.CharField(_("category"), max_length=32, choices=ExpenseCategory)
    paid_on = models.DateField(_("date"))
    payee = CleanCharField(_("payee"), max_length=200)
    purpose = CleanCharField(_("purpose"), max_length=300)
    amount = money_field(verbose_name=_("amount"))
    attachment = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="receipts"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["report", "position", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_positive")]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.payee}: {self.amount}"


class DocumentKind(models.TextChoices):
    SUMMARY = "summary", _("application summary")
    APPROVAL = "approval", _("approval letter and grant agreement")
    REJECTION = "rejection", _("rejection letter")
    PAYMENT_ADVICE = "payment_advice", _("payment advice")
    SETTLEMENT = "settlement", _("final settlement")
    AMENDMENT = "amendment", _("amendment of the grant")


# What a fund that decides by administrative notice (grants.DecisionForm.NOTICE) calls its
# documents; a fund that makes agreements uses the kinds' own names. Letter titles, file names,
# e-mails and pages all name a document by `document_title`.
NOTICE_TITLES = {
    DocumentKind.APPROVAL: _("grant decision"),
    DocumentKind.REJECTION: _("notice of rejection"),
    DocumentKind.SETTLEMENT: _("final settlement decision"),
    DocumentKind.AMENDMENT: _("amending decision"),
}


def document_title(kind: str, decision_form: str) -> Any:
    """The (lazy) name of a document of `kind` from a fund whose decisions take `decision_form`."""
    if decision_form == DecisionForm.NOTICE and kind in NOTICE_TITLES:
        return NOTICE_TITLES[DocumentKind(kind)]
    return DocumentKind(kind).label


def document_path(instance: Document, filename: str) -> str:
    import uuid

    return f"documents/{instance.application_id}/{instance.kind}-{uuid.uuid4().hex}.pdf"


class DocumentQuerySet(models.QuerySet["Document"]):
    def visible_to(self, user: Any) -> models.QuerySet[Document]:
        return rules.documents_visible_to(self, user)


class Document(models.Model):
    """A PDF the fund issued (letter, agreement, summary), rendered by a task after the change
    that caused it; stored with its SHA-256 and the audit row it belongs to."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind)
    grant = models.ForeignKey(
        "grants.Grant", null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    payment = models.ForeignKey(
        "grants.Payment", null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    log = models.ForeignKey(
        "workflows.TransitionLog",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    language = models.CharField(_("language"), max_length=2)
    file = models.FileField(upload_to=document_path)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["created_at", "id"]
        constraints = [
            # One document per kind and cause: a task that runs twice makes it once.
            models.UniqueConstraint(
                fields=["application", "kind", "log"],
                condition=Q(payment__isnull=True),
                name="one_document_per_cause",
            ),
            models.UniqueConstraint(
                fields=["kind", "payment"],
                condition=Q(payment__isnull=False),
                name="one_document_per_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.application_id}"

    @property
    def title(self) -> Any:
        """The document's name as the fund's choice of decisions has it (`document_title`)."""
        return document_title(self.kind, self.application.fund.decision_form)
