"""Interim reports (Zwischenbericht / rapport intermédiaire): what a grantee reports while the
project runs, when its programme asks for it (`grants.Programme.interim_report`: none, on a
fixed date, or after a share of the project period; the grant's `interim_report_due_on`).

The report says how the project is going and what has been spent so far per budget category,
and may carry documents (attachments of the application, with their upload rules). A reviewer checks it in the review
workspace and accepts it or asks for changes; an accepted report releases the payment plan's
tranche that waits for it. Its status is a state machine behind `workflows.perform()`, each
step with its audit row; the money is booked by `grants.services.release_interim_tranche`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from applications.models import ExpenseCategory
from grants.models import GrantStatus
from grants.money import ZERO, money_field
from interim import rules
from workflows import clock
from workflows.fields import CleanCharField, CleanTextField
from workflows.guards import guard
from workflows.text import LONG_TEXT, clean_reply_date, clean_text

# The longest account of the project's progress (a few pages).
PROGRESS_TEXT = 10_000
# The longest comment on one category's spending.
COMMENT_TEXT = 300
PROGRESS_MISSING = _("Please describe how the project is going so far.")
MESSAGE_MISSING = _("Please tell the grantee what to change or add.")


class InterimStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("waiting for its check")
    CHANGES_REQUESTED = "changes_requested", _("changes requested")
    ACCEPTED = "accepted", _("accepted")
    CLOSED = "closed", _("closed without a check")


# The grantee writes the report in these states.
EDITABLE_STATES = (InterimStatus.DRAFT, InterimStatus.CHANGES_REQUESTED)
# Not decided yet: the grant's settlement closes these.
OPEN_STATES = (InterimStatus.DRAFT, InterimStatus.SUBMITTED, InterimStatus.CHANGES_REQUESTED)
# The grant states in which the project still runs: the report is written and sent only then.
RUNNING = (GrantStatus.ACCEPTED,)
# The grant states before its settlement: an interim report sent may still be accepted and
# release its tranche (the settlement then counts what was paid).
BEFORE_SETTLEMENT = (GrantStatus.ACCEPTED, GrantStatus.REPORT_DUE, GrantStatus.REPORT_SUBMITTED)


@guard(
    "project_not_running",
    _("The interim report is sent while the project runs; this project has ended."),
)
def project_running(report: InterimReport) -> bool:
    return report.grant.status in RUNNING


@guard(
    "grant_settled",
    _("The grant has been settled: its final report replaces the interim report."),
)
def grant_not_settled(report: InterimReport) -> bool:
    return report.grant.status in BEFORE_SETTLEMENT


class InterimReportQuerySet(models.QuerySet["InterimReport"]):
    def visible_to(self, user: Any) -> models.QuerySet[InterimReport]:
        return rules.interim_reports_visible_to(self, user)


class InterimReport(ConcurrentTransitionMixin, models.Model):
    grant = models.OneToOneField(
        "grants.Grant",
        on_delete=models.CASCADE,
        related_name="interim_report",
        verbose_name=_("grant"),
    )
    status = FSMField(
        _("status"),
        max_length=20,
        choices=InterimStatus,
        default=InterimStatus.DRAFT,
        protected=True,
    )
    # Its documents (a programme, photos of a first meeting, a press article) are the
    # application's attachments for the interim report (`AttachmentPurpose.INTERIM_REPORT`),
    # checked and stored by `applications.attachments` with the upload rules of every file.
    progress = CleanTextField(_("how the project is going"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("sent on"), null=True, blank=True)
    # The reviewer's request for changes and the date the grantee should answer by.
    change_message = CleanTextField(_("changes asked for"), blank=True)
    reply_by = models.DateField(_("reply by"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted on"), null=True, blank=True)

    objects = InterimReportQuerySet.as_manager()
    # perform() reads these with the locked row: the rules look at the grant's organisation and
    # the application's programme and conflicts, the guards at the grant's status.
    rules_select_related = ("grant__application__organisation", "grant__programme")

    class Meta:
        verbose_name = _("interim report")
        verbose_name_plural = _("interim reports")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "reply_by"], name="interim_reply_due")]

    def __str__(self) -> str:
        return _("Interim report for %(reference)s") % {
            "reference": self.grant.application.reference or ""
        }

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATES

    @property
    def deadline(self) -> date | None:
        """When the grantee owes it: the reply date after a request for changes, else the
        grant's due date."""
        if self.status == InterimStatus.CHANGES_REQUESTED:
            return self.reply_by
        return self.grant.interim_report_due_on

    # --- transitions: stamp own fields only; the services check the content and book ---------
    def _send(self, by: Any) -> None:
        self.progress = clean_text(
            self.progress,
            field="progress",
            max_length=PROGRESS_TEXT,
            required=PROGRESS_MISSING,
            code="progress_missing",
        )
        self.submitted_by = by
        self.submitted_at = clock.now()

    @transition(
        field=status,
        source=InterimStatus.DRAFT,
        target=InterimStatus.SUBMITTED,
        permission=rules.is_grantee,
        conditions=[project_running],
    )
    def submit(self, *, by: Any, spent: str) -> None:
        """Sent to the fund; `spent` (the total spent so far, for the audit row) is computed by
        the service from the report's lines."""
        self._send(by)

    @transition(
        field=status,
        source=InterimStatus.CHANGES_REQUESTED,
        target=InterimStatus.SUBMITTED,
        permission=rules.is_grantee,
        conditions=[project_running],
    )
    def resubmit(self, *, by: Any, spent: str) -> None:
        """Sent again after the changes the reviewer asked for."""
        self._send(by)

    @transition(
        field=status,
        source=InterimStatus.SUBMITTED,
        target=InterimStatus.CHANGES_REQUESTED,
        permission=rules.can_check,
        conditions=[grant_not_settled],
    )
    def request_changes(self, *, by: Any, message: str, reply_by: date) -> None:
        self.change_message = clean_text(
            message, field="message", max_length=LONG_TEXT, required=MESSAGE_MISSING,
            code="message_missing",
        )  # fmt: skip
        self.reply_by = clean_reply_date(reply_by)

    @transition(
        field=status,
        source=InterimStatus.SUBMITTED,
        target=InterimStatus.ACCEPTED,
        permission=rules.can_accept,
        conditions=[grant_not_settled],
    )
    def accept(self, *, by: Any, tranche: str) -> None:
        """Accepted; `tranche` (the payment it releases, "0.00" for none) is computed by the
        service before, and booked by it after, for the audit row."""
        self.accepted_by = by
        self.accepted_at = clock.now()

    @transition(
        field=status,
        source=list(OPEN_STATES),
        target=InterimStatus.CLOSED,
        permission=rules.is_system,
    )
    def close(self, *, by: Any) -> None:
        """The grant was settled, revoked or cancelled before the report was accepted: there is
        nothing left for it to release (the settlement counts what was paid)."""


class InterimSpending(models.Model):
    """What was spent so far in one expense category of the plan."""

    report = models.ForeignKey(InterimReport, on_delete=models.CASCADE, related_name="spending")
    category = models.CharField(_("category"), max_length=32, choices=ExpenseCategory)
    amount = money_field(verbose_name=_("spent so far"), default=ZERO)
    comment = CleanCharField(_("comment"), max_length=COMMENT_TEXT, blank=True)

    class Meta:
        verbose_name = _("spending so far")
        verbose_name_plural = _("spending so far")
        ordering = ["report", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "category"], name="one_interim_line_per_category"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="interim_spending_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.amount}"
