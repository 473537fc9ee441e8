"""Changes after the award (Änderungsantrag / demande d'avenant): the grantee asks to move the
project's dates, shift money between budget categories, change partners, or raise or lower the
amount within the programme's limits, and says why; a programme manager decides.

An amendment holds the whole plan the grantee proposes (dates, amount, budget lines, partners),
started from the grant's current plan; what changes is the difference to the plan frozen when
it was sent (`previous`). Its status is a state machine behind `workflows.perform()`, each step
with its audit row; the decision's consequences (the grant's amount and period, the payment
plan, the budget, the application's plan) are written by `amendments.services`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from amendments import rules
from grants.models import GrantStatus
from grants.money import money_field
from workflows import clock
from workflows.fields import CleanTextField
from workflows.guards import guard
from workflows.text import REASON_MISSING, clean_text

# What the fund needs to read before a manager decides: why the project must change.
WHY_MISSING = _("Please say why the project needs this change.")
# The longest explanation of a request (a page of text).
WHY_TEXT = 3_000


class AmendmentStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("waiting for a decision")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


# A grant has at most one request in these states: the next one starts from its outcome.
OPEN_STATES = (AmendmentStatus.DRAFT, AmendmentStatus.SUBMITTED)


class ChangeKind(models.TextChoices):
    """What a request changes (derived from its plan against the plan before it)."""

    DATES = "dates", _("project period")
    BUDGET = "budget", _("budget plan")
    PARTNERS = "partners", _("partners")
    RAISE = "raise", _("higher amount")
    REDUCTION = "reduction", _("lower amount")


@guard(
    "grant_not_running",
    _("Changes can only be asked for and approved while the project runs (grant accepted)."),
)
def grant_is_running(amendment: Amendment) -> bool:
    return amendment.grant.status == GrantStatus.ACCEPTED


class AmendmentQuerySet(models.QuerySet["Amendment"]):
    def visible_to(self, user: Any) -> models.QuerySet[Amendment]:
        return rules.amendments_visible_to(self, user)


class Amendment(ConcurrentTransitionMixin, models.Model):
    grant = models.ForeignKey(
        "grants.Grant", on_delete=models.PROTECT, related_name="amendments", verbose_name=_("grant")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    status = FSMField(
        _("status"),
        max_length=16,
        choices=AmendmentStatus,
        default=AmendmentStatus.DRAFT,
        protected=True,
    )
    reason = CleanTextField(_("why the project needs the change"), blank=True, max_length=WHY_TEXT)
    # The plan the grantee proposes, whole (started from the grant's plan).
    start_date = models.DateField(_("project start"))
    end_date = models.DateField(_("project end"))
    amount = money_field(verbose_name=_("amount of the grant"))
    budget_lines = models.JSONField(_("budget plan"), default=list, blank=True)
    partners = models.JSONField(_("partners"), default=list, blank=True)
    # The grant's plan when the request was sent (and again when it was approved).
    previous = models.JSONField(default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = CleanTextField(_("the fund's note"), blank=True)
    # The money an approval moved (in the audit row too): committed (+) or released (-), and
    # the claim when the new amount is below what was paid.
    commitment_change = money_field(null=True, blank=True)
    repayment_claim = models.ForeignKey(
        "grants.RepaymentClaim",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("repayment claim"),
    )

    objects = AmendmentQuerySet.as_manager()
    # perform() reads these with the locked row: the rules look at the grant's organisation, the
    # guards at the grant's status.
    rules_select_related = ("grant__application__organisation", "grant__programme")

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="one_number_per_amendment"),
            models.UniqueConstraint(
                fields=["grant"],
                condition=Q(status__in=["draft", "submitted"]),
                name="one_open_amendment_per_grant",
                violation_error_message=_("This grant already has a change request open."),
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="amendment_amount_positive"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="amendment_end_after_start",
                violation_error_message=_("The project cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="amendment_queue")]

    def __str__(self) -> str:
        return _("Amendment no. %(number)s to %(reference)s") % {
            "number": self.number,
            "reference": self.grant.application.reference or "",
        }

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    # --- transitions: stamp own fields only; the services check the plan and book ------------
    @transition(
        field=status,
        source=AmendmentStatus.DRAFT,
        target=AmendmentStatus.SUBMITTED,
        permission=rules.is_grantee,
        conditions=[grant_is_running],
    )
    def submit(self, *, by: Any, changes: dict[str, Any]) -> None:
        """Sent to the fund; `changes` (what differs from the plan, in the audit row) is
        computed by the service, which also froze the plan before it in `previous`."""
        self.reason = clean_text(
            self.reason,
            field="reason",
            max_length=WHY_TEXT,
            required=WHY_MISSING,
            code="why_missing",
        )
        self.submitted_by = by
        self.submitted_at = clock.now()

    @transition(
        field=status,
        source=[AmendmentStatus.DRAFT, AmendmentStatus.SUBMITTED],
        target=AmendmentStatus.WITHDRAWN,
        permission=rules.is_grantee,
    )
    def withdraw(self, *, by: Any, reason: str = "") -> None:
        self.decision_note = clean_text(reason, field="reason")

    @transition(
        field=status,
        source=AmendmentStatus.SUBMITTED,
        target=AmendmentStatus.APPROVED,
        permission=rules.can_decide,
        conditions=[grant_is_running],
    )
    def approve(
        self,
        *,
        by: Any,
        changes: dict[str, Any],
        money: dict[str, Any],
        previous: dict[str, Any],
        conditions: str = "",
    ) -> None:
        """`changes` and `money` (the commitment and the payments the decision moves) are
        computed by the service and kept in the audit row with `previous`, the plan the
        approval replaces; `conditions` are the fund's words to the grantee (in the letter)."""
        self.previous = previous
        self.commitment_change = Decimal(str(money.get("commitment", "0")))
        self.decision_note = clean_text(conditions, field="conditions")
        self.decided_by = by
        self.decided_at = clock.now()

    @transition(
        field=status,
        source=AmendmentStatus.SUBMITTED,
        target=AmendmentStatus.REJECTED,
        permission=rules.can_decide,
    )
    def reject(self, *, by: Any, reasons: str) -> None:
        self.decision_note = clean_text(
            reasons, field="reasons", required=REASON_MISSING, code="reason_missing"
        )
        self.decided_by = by
        self.decided_at = clock.now()
