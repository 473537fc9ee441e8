"""Random walks through both state machines, by random people on random days; invariants after
every step.

A hypothesis `RuleBasedStateMachine` seeds a few applications (some with grants) through
`demo.drive`, then fires transitions of both machines (and names of neither) at them through the
generic services, by the applicant of the organisation, the applicant of another organisation,
reviewers, two managers (one of them also a reviewer, for the four-eyes rule), finance, a funder,
the system and an anonymous visitor; the clock moves forward, budgets are squeezed or held back
and payments are recorded. Running grants are amended: the grantee asks for a higher or lower
amount (sometimes below what was paid), a budget shift or a later end, and anyone decides it
(or the grantee withdraws it), on a budget that may not bear a rise. Two more reviewers may never act on anything of the walk: one in
conflict with every application (with A's by e-mail domain, with B's by a declared conflict) and
one whose programmes are others; they try every step and every claim, and each is refused with a
WorkflowError that changes nothing. Whatever happens, the ledger, the audit log and the reference
numbers must stay consistent. Each example runs in a savepoint that is rolled back at its end.

The walk treats any exception other than a WorkflowError (or ValidationError) as a failure; the
last test pins that contract down for malformed data, which the walk itself does not send.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from amendments import services as amendment_services
from amendments.models import Amendment, AmendmentStatus
from amendments.transitions import run_amendment_transition
from applications.formal_check import CHECKLIST_CODES
from applications.models import Application, ApplicationStatus, BudgetLine
from applications.transitions import run_application_transition
from demo import builders as demo
from demo.amendments import request_change
from grants.models import (
    LIVE_GRANT_STATES,
    BudgetAllocation,
    Fund,
    Grant,
    GrantStatus,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentStatus,
    Programme,
    ReferenceCounter,
    RepaymentCause,
    RepaymentClaim,
    RepaymentStatus,
    planned_amount,
)
from grants.services import (
    grant_commitment,
    plan_amended_money,
    record_payment_paid,
    record_repayment_received,
)
from grants.transitions import run_grant_transition
from organisations.models import Organisation
from reviews.models import ReviewerProfile, ReviewTask, TaskKind, TaskStatus
from reviews.services import (
    claim,
    claim_next,
    declare_conflict,
    open_assessments,
    open_formal_check,
    open_report_check,
    reassign,
    release,
)
from tests.grants.cofunders import FINANCING, check_the_funders, cofinance
from tests.support import generated_examples
from workflows import clock
from workflows.audit import verify_chain
from workflows.engine import transition_table
from workflows.errors import WorkflowError
from workflows.models import TransitionLog
from workflows.roles import Role

APPLICATION_TABLE = {(s, n): t for s, n, t in transition_table(Application)}
GRANT_TABLE = {(s, n): t for s, n, t in transition_table(Grant)}
APPLICATION_NAMES = sorted({n for _s, n in APPLICATION_TABLE})
GRANT_NAMES = sorted({n for _s, n in GRANT_TABLE})
BOGUS_NAMES = ["save", "delete", "__init__", "approve_all", "", "submit; DROP TABLE x", "Approve"]
ALL_NAMES = APPLICATION_NAMES + GRANT_NAMES + BOGUS_NAMES

ACTORS = (
    "own_applicant",
    "other_applicant",
    "reviewer",
    "reviewer2",
    "manager",
    "manager2",
    "finance",
    "finance2",
    "funder",
    "admin",
    "system",
    "anonymous",
    "conflicted",
    "outsider",
)
# Reviewers who may review nothing of the walk (README: conflicts of interest, reviewer scope).
OUTSIDERS = ("conflicted", "outsider")
# Statuses in which a reviewer or a manager acts next.
REVIEW_STATES = ("submitted", "in_review", "reviewed", "waitlisted", "report_submitted")
# The non-public domain organisation A shares with the conflicted reviewer.
CONFLICT_DOMAIN = "koeln-lyon-partnerschaft.de"
# Who may run each transition, per the table in design.md (before the four-eyes rules).
APPLICANT = frozenset({"own_applicant"})
REVIEWERS = frozenset({"reviewer", "reviewer2", "manager2", "finance2"})
MANAGERS = frozenset({"manager", "manager2"})
FINANCE = frozenset({"finance", "finance2"})
SYSTEM = frozenset({"system"})
ALLOWED: dict[str, frozenset[str]] = {
    "submit": APPLICANT,
    "resubmit": APPLICANT,
    "withdraw": APPLICANT,
    "request_changes": REVIEWERS,
    "pass_formal_check": REVIEWERS,
    "complete_review": SYSTEM,
    "approve": MANAGERS,
    "waitlist": MANAGERS,
    "reopen": MANAGERS | SYSTEM,
    "expire": SYSTEM,
    "accept": APPLICANT,
    "decline": APPLICANT,
    "lapse": SYSTEM,
    "end_project": SYSTEM,
    "submit_report": APPLICANT,
    "request_report_changes": REVIEWERS,
    "accept_report": REVIEWERS,
    "revoke": MANAGERS,
    "cancel": APPLICANT | MANAGERS,
    # README: "close a settled grant: finance officers (administrators too)".
    "close": SYSTEM | FINANCE | {"admin"},
}
# Who would plausibly try each transition (the walk mostly follows these to get deep).
LIKELY: dict[str, list[str]] = {
    "submit": ["own_applicant"],
    "resubmit": ["own_applicant"],
    "withdraw": ["own_applicant"],
    "request_changes": ["reviewer", "manager2"],
    "pass_formal_check": ["reviewer", "manager2"],
    "reject": ["reviewer", "manager", "manager2"],
    "complete_review": ["system"],
    "approve": ["manager", "manager2"],
    "waitlist": ["manager", "manager2"],
    "reopen": ["manager", "system"],
    "expire": ["system"],
    "accept": ["own_applicant"],
    "decline": ["own_applicant"],
    "lapse": ["system"],
    "end_project": ["system"],
    "submit_report": ["own_applicant"],
    "request_report_changes": ["reviewer", "reviewer2"],
    "accept_report": ["reviewer", "reviewer2", "finance2"],
    "revoke": ["manager"],
    "cancel": ["own_applicant", "manager"],
    "close": ["finance", "system"],
}
# The step forward from each state (the walk takes it two times out of three).
FORWARD = {
    "draft": "submit",
    "submitted": "pass_formal_check",
    "changes_requested": "resubmit",
    "in_review": "complete_review",
    "reviewed": "approve",
    "waitlisted": "reopen",
    "offered": "accept",
    "accepted": "end_project",
    "report_due": "submit_report",
    "report_submitted": "accept_report",
    "settled": "close",
}
REVIEWING = ("pass_formal_check", "request_changes", "complete_review")
# What a grantee asks to change, and who might try to decide it.
CHANGES = ["raise", "lower", "below_paid", "shift", "later_end"]
DECIDERS = ["manager", "manager2", "own_applicant", "reviewer", "finance", "admin", "system"]
DECIDING = ("approve", "waitlist")

# Where the seeded applications start (application state, grant state).
SEEDS = [
    ("draft", None),
    ("submitted", None),
    ("changes_requested", None),
    ("in_review", None),
    ("reviewed", None),
    ("waitlisted", None),
    ("approved", "offered"),
    ("approved", "accepted"),
    ("approved", "report_due"),
    ("approved", "report_submitted"),
    ("approved", "settled"),
]
# 1000 and 4000 fall into category 1, 7500 into category 2: two allocations share the walk.
AMOUNTS = [Decimal("1000.00"), Decimal("4000.00"), Decimal("7500.00")]
PROGRAMME_CODES = ["small-boost", "cat-2"]
# The clock only moves forward, and never past next year's budget.
MAX_DAYS = 240
MAX_APPLICATIONS = 5


@dataclass
class People:
    cast: demo.Cast
    fund: Fund
    organisations: dict[str, Organisation]
    applicants: dict[str, Any]
    users: dict[str, Any]


@dataclass
class Tracked:
    """What the walk believes about one application or grant."""

    kind: str  # "application" or "grant"
    pk: int
    org: str  # "A" or "B"
    status: str
    log_rows: int

    @property
    def model(self) -> type[Application] | type[Grant]:
        return Application if self.kind == "application" else Grant

    @property
    def table(self) -> dict[tuple[str, str], str]:
        return APPLICATION_TABLE if self.kind == "application" else GRANT_TABLE


def transition_data(obj: Any, name: str, *, valid: bool, today: date) -> dict[str, Any]:
    """Data for the named transition: valid, or wrong in a way the transition must refuse."""
    if isinstance(obj, Application):
        requested = obj.requested_amount
        good: dict[str, dict[str, Any]] = {
            "request_changes": {"message": "Bitte Budget erläutern.", "reply_by": today + timedelta(days=14)},
            "reject": {"reasons": "Nicht förderfähig / non éligible."},
            "pass_formal_check": {"checklist": list(CHECKLIST_CODES)},
            "complete_review": {"score": Decimal("72.50")},
            "approve": {"amount": requested},
            "waitlist": {"reason": "Budget erschöpft"},
            "withdraw": {"reason": "Projekt verschoben"},
        }  # fmt: skip
        bad: dict[str, dict[str, Any]] = {
            "request_changes": {"message": "   ", "reply_by": today},
            "reject": {"reasons": " "},
            "pass_formal_check": {"checklist": list(CHECKLIST_CODES[1:])},
            "complete_review": {"score": Decimal("100.01")},
            "approve": {"amount": requested + Decimal("0.01")},
        }
        names = APPLICATION_NAMES
    else:
        good = {
            "accept": {"full_name": "Erika Mustermann", "consent": True},
            "decline": {"reason": "Projekt verschoben"},
            "submit_report": {
                "actual_expenses": Decimal("5000.00"),
                "actual_eligible_expenses": Decimal("5000.00"),
                "actual_other_income": Decimal("1000.00"),
            },
            "request_report_changes": {
                "message": "Bitte Belege nachreichen.",
                "reply_by": today + timedelta(days=14),
            },
            "revoke": {"reason": "Verwendungsnachweis fehlt"},
            "cancel": {"reason": "Projekt abgesagt"},
        }
        bad = {
            "accept": {"full_name": "Erika Mustermann", "consent": False},
            "submit_report": {
                "actual_expenses": Decimal("1000.00"),
                "actual_eligible_expenses": Decimal("5000.00"),
                "actual_other_income": Decimal("0.00"),
            },
            "request_report_changes": {"message": "", "reply_by": today + timedelta(days=14)},
            "revoke": {"reason": ""},
            "cancel": {"reason": "  "},
        }
        names = GRANT_NAMES
    if name not in names:
        return {}  # refused as unknown before the data matters
    return (good if valid else {**good, **bad}).get(name, {})


def deadline_of(obj: Any, name: str) -> date | None:
    """The date a time-guarded transition waits for (it is allowed the day after)."""
    if isinstance(obj, Application):
        if name != "expire":
            return None
        if obj.status == ApplicationStatus.CHANGES_REQUESTED:
            return obj.reply_deadline
        return obj.start_date - timedelta(days=1) if obj.start_date else None
    return {
        "lapse": obj.offer_expires_on,
        "end_project": obj.project_end,
        "revoke": obj.report_due_on,
    }.get(name)


class Walk(RuleBasedStateMachine):
    """One example: a few seeded documents, then up to 25 random steps; invariants after each."""

    def __init__(self, people: People) -> None:
        super().__init__()
        self.people = people
        self.days = 0
        self.objects: list[Tracked] = []
        # Every example starts from the same clean database and leaves nothing behind.
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------------------------
    def today(self) -> date:
        return timezone.localdate() + timedelta(days=self.days)

    def actor(self, key: str, tracked: Tracked) -> Any:
        if key == "own_applicant":
            return self.people.applicants[tracked.org]
        if key == "other_applicant":
            return self.people.applicants["B" if tracked.org == "A" else "A"]
        if key == "system":
            return None
        if key == "anonymous":
            return AnonymousUser()
        return self.people.users[key]

    def pick(self, index: int) -> Tracked:
        return self.objects[index % len(self.objects)]

    def track_application(self, application: Application, org: str) -> None:
        application.refresh_from_db()
        self.objects.append(
            Tracked(
                "application",
                application.pk,
                org,
                application.status,
                TransitionLog.objects.for_object(application).count(),
            )
        )
        if org == "B":  # A is in conflict with the reviewer by its e-mail domain already
            declare_conflict(application, by=self.people.users["conflicted"], note="Vorstand")
        grant = Grant.objects.filter(application=application).first()
        if grant is not None:
            self.objects.append(
                Tracked(
                    "grant",
                    grant.pk,
                    org,
                    grant.status,
                    TransitionLog.objects.for_object(grant).count(),
                )
            )

    def world(self) -> dict[str, Any]:
        """Every row a refused transition must leave as it was."""
        return {
            "applications": list(Application.objects.order_by("pk").values()),
            "grants": list(Grant.objects.order_by("pk").values()),
            "log": list(TransitionLog.objects.order_by("pk").values_list("pk", flat=True)),
            "ledger": list(LedgerEntry.objects.order_by("pk").values_list("pk", "kind", "amount")),
            "payments": list(Payment.objects.order_by("pk").values_list("pk", "status", "amount")),
            "claims": list(
                RepaymentClaim.objects.order_by("pk").values_list("pk", "amount", "status")
            ),
            "references": list(
                ReferenceCounter.objects.order_by("pk").values_list("year", "last_number")
            ),
            "amendments": list(Amendment.objects.order_by("pk").values()),
            "lines": list(
                BudgetLine.objects.order_by("pk").values_list("pk", "category", "unit_cost")
            ),
        }

    def keys_of(self, user_pks: set[int | None]) -> set[str]:
        return {key for key, user in self.people.users.items() if user.pk in user_pks}

    def by_role(self, tracked: Tracked, name: str) -> set[str]:
        """Who may run `name` on the object by the role table of design.md."""
        if name == "reject":
            return set(REVIEWERS if tracked.status == "submitted" else MANAGERS)
        return set(ALLOWED.get(name, frozenset()))

    def allowed(self, tracked: Tracked, name: str) -> set[str]:
        """Who may run `name` on the object now: the role table, less the four-eyes exclusions."""
        people = self.by_role(tracked, name)
        deciding = name in DECIDING or (
            name == "reject" and tracked.status in ("in_review", "reviewed")
        )
        if tracked.kind == "application" and deciding:
            people -= self.reviewers_of(tracked)
        if tracked.kind == "grant" and name == "accept_report":
            payers = Payment.objects.filter(grant_id=tracked.pk).values_list(
                "recorded_paid_by", flat=True
            )
            people -= self.keys_of(set(payers))
        return people

    def reviewers_of(self, tracked: Tracked) -> set[str]:
        if tracked.kind != "application":
            return set()
        rows = TransitionLog.objects.for_object(Application(pk=tracked.pk)).filter(
            Q(transition__in=REVIEWING) | Q(transition="reject", source="submitted")
        )
        return self.keys_of(set(rows.values_list("actor_id", flat=True)))

    def attempt(self, tracked: Tracked, name: str, actor_key: str, valid: bool) -> bool:
        """Fire one transition; check that it did exactly its step or nothing. True if refused."""
        obj = tracked.model.objects.get(pk=tracked.pk)
        actor = self.actor(actor_key, tracked)
        data = transition_data(obj, name, valid=valid, today=self.today())
        allowed = self.allowed(tracked, name)
        before = self.world()
        with clock.travel_to(self.today()):
            try:
                if isinstance(obj, Application):
                    run_application_transition(obj, name, by=actor, **data)
                elif isinstance(obj, Grant):
                    run_grant_transition(obj, name, by=actor, **data)
            except (WorkflowError, ValidationError) as refusal:
                refused: Exception | None = refusal
            else:
                refused = None

        if refused is not None:
            assert str(refused).strip(), f"{name} by {actor_key}: refusal without a message"
            after = self.world()
            assert after == before, f"refused {name} by {actor_key} changed something"
            return True

        source = tracked.status
        assert actor_key in allowed, f"{actor_key} performed {name} on a {tracked.kind}"
        assert (source, name) in tracked.table, f"{name} succeeded from {source}"
        target = tracked.table[(source, name)]
        obj.refresh_from_db()
        assert obj.status == target
        rows = list(TransitionLog.objects.for_object(obj).order_by("pk"))
        assert len(rows) == tracked.log_rows + 1, f"{name}: {len(rows) - tracked.log_rows} rows"
        last = rows[-1]
        assert (last.transition, last.source, last.target) == (name, source, target)
        assert last.actor_id == getattr(actor, "pk", None)
        # One row for the step; a settlement also cancels the grant's unsent payments, one
        # row each, by the same person.
        added = TransitionLog.objects.exclude(pk__in=before["log"]).exclude(pk=last.pk)
        consequences = set(added.values_list("content_type__model", "transition", "actor"))
        assert consequences <= {("payment", "cancel", last.actor_id)}, consequences
        if consequences:
            assert isinstance(obj, Grant) and name in {"accept_report", "revoke", "cancel"}
            cancelled = obj.payments.filter(status="cancelled").values_list("pk", flat=True)
            assert set(added.values_list("object_id", flat=True)) <= {str(pk) for pk in cancelled}
        tracked.status, tracked.log_rows = target, len(rows)
        if name == "approve":
            grant = Grant.objects.get(application_id=obj.pk)
            self.objects.append(Tracked("grant", grant.pk, tracked.org, grant.status, 0))
        return False

    # --- rules -------------------------------------------------------------------------------
    @initialize(
        seeds=st.lists(
            st.tuples(
                st.sampled_from(SEEDS),
                st.sampled_from(AMOUNTS),
                st.sampled_from("AB"),
                st.booleans(),
            ),
            min_size=2,
            max_size=4,
        ),
        financing=st.sampled_from(FINANCING),
    )
    def seed(
        self,
        seeds: list[tuple[tuple[str, str | None], Decimal, str, bool]],
        financing: tuple[str, ...],
    ) -> None:
        # The walk's budgets: the fund's alone, or co-funded with random shares.
        cofinance(
            BudgetAllocation.objects.filter(programme__code__in=PROGRAMME_CODES),
            financing,
            by=self.people.cast.admin,
        )
        for (application_state, grant_state), requested, org, two_hats in seeds:
            cast = self.people.cast
            if two_hats:  # the history was reviewed by manager2 and paid by finance2
                users = self.people.users
                cast = replace(cast, reviewer=users["manager2"], finance=users["finance2"])
            application = demo.drive(
                cast,
                application_state,
                grant_state,
                requested=requested,
                organisation=self.people.organisations[org],
                applicant=self.people.applicants[org],
            )
            self.track_application(application, org)

    @rule(
        later=st.sampled_from([0, 0, 0, 1, 7, 30, 60]),
        index=st.integers(0, 11),
        name=st.sampled_from(ALL_NAMES),
        actor=st.sampled_from(ACTORS),
        valid=st.booleans(),
    )
    def fire_anything(self, later: int, index: int, name: str, actor: str, valid: bool) -> None:
        """Any name, anyone, any object; sometimes some days later than the step before."""
        self.days = min(self.days + later, MAX_DAYS)
        self.attempt(self.pick(index), name, actor, valid)

    def live(self) -> list[Tracked]:
        return [t for t in self.objects if any(s == t.status for s, _n in t.table)]

    @precondition(lambda self: self.live())
    @rule(index=st.integers(0, 11), steps=st.integers(1, 6), data=st.data())
    def follow_the_path(self, index: int, steps: int, data: st.DataObject) -> None:
        """A few steps that start from the current state, mostly forward by the right person."""
        live = self.live()
        tracked = live[index % len(live)]
        for _step in range(steps):
            names = sorted(n for s, n in tracked.table if s == tracked.status)
            if not names:
                return
            forward = FORWARD.get(tracked.status)
            if forward is None or data.draw(st.integers(0, 2), label="sideways") == 0:
                name = data.draw(st.sampled_from(names), label="name")
            else:
                name = forward
            anyone = data.draw(st.integers(0, 3), label="anyone") == 0
            actor = data.draw(st.sampled_from(ACTORS if anyone else LIKELY[name]), label="actor")
            valid = data.draw(st.integers(0, 5), label="valid") > 0
            deadline = deadline_of(tracked.model.objects.get(pk=tracked.pk), name)
            if deadline is not None and data.draw(st.integers(0, 3), label="wait") > 0:
                wait = (deadline - timezone.localdate()).days + 1
                self.days = max(self.days, min(wait, MAX_DAYS))
            if name == "approve":
                self.maybe_tighten_the_budget(tracked, data)
            self.attempt(tracked, name, actor, valid)

    def maybe_tighten_the_budget(self, tracked: Tracked, data: st.DataObject) -> None:
        """Before an approval, sometimes leave just under, exactly or just over what it needs."""
        slack = data.draw(st.sampled_from([None, "-0.01", "0", "0.01", "-4000"]), label="slack")
        if slack is None:
            return
        application = Application.objects.get(pk=tracked.pk)
        allocations = BudgetAllocation.objects.filter(
            programme_id=application.programme_id, year=self.today().year
        )
        committed = allocations.get().balances()["committed"]
        leave = max(application.requested_amount + Decimal(slack), Decimal(0))
        allocations.update(amount=committed + leave)

    @precondition(lambda self: self.live())
    @rule(index=st.integers(0, 11), data=st.data())
    def a_wrong_person_tries(self, index: int, data: st.DataObject) -> None:
        """A step that starts from the current state, by someone the rules must turn away."""
        live = self.live()
        tracked = live[index % len(live)]
        names = sorted(n for s, n in tracked.table if s == tracked.status)
        name = data.draw(st.sampled_from(names), label="name")
        allowed = self.allowed(tracked, name)
        wrong = sorted(set(ACTORS) - allowed)
        people = data.draw(st.lists(st.sampled_from(wrong), min_size=1, max_size=3, unique=True))
        # Those with the right role whom a four-eyes rule shuts out always get their try, and so
        # do the reviewers who may review nothing here (a conflict, other programmes).
        near_misses = sorted(self.by_role(tracked, name) - allowed)
        if self.by_role(tracked, name) & REVIEWERS:
            near_misses += list(OUTSIDERS)
        for actor in near_misses + [p for p in people if p not in near_misses]:
            assert self.attempt(tracked, name, actor, valid=True), f"{actor} may {name}"

    @rule(
        code=st.sampled_from(PROGRAMME_CODES),
        change=st.sampled_from(["leave 0", "leave 999.99", "leave 4000", "hold", "release"]),
    )
    def the_budget_changes(self, code: str, change: str) -> None:
        """Squeeze this year's budget to what is committed plus a little, or hold it back."""
        allocations = BudgetAllocation.objects.filter(
            programme__fund=self.people.fund, programme__code=code, year=self.today().year
        )
        if change in ("hold", "release"):
            allocations.update(released=change == "release")
            return
        committed = allocations.get().balances()["committed"]
        allocations.update(amount=committed + Decimal(change.removeprefix("leave ")))

    @precondition(lambda self: Payment.objects.filter(status=PaymentStatus.SCHEDULED).exists())
    @rule(data=st.data())
    def record_a_payment(self, data: st.DataObject) -> None:
        scheduled = list(
            Payment.objects.filter(status=PaymentStatus.SCHEDULED).values_list("pk", flat=True)
        )
        if not scheduled:
            return
        payment = Payment.objects.get(pk=data.draw(st.sampled_from(scheduled), label="payment"))
        payer = data.draw(st.sampled_from(["finance", "finance2", "reviewer2"]), label="payer")
        before = self.world()
        with clock.travel_to(self.today()):
            try:
                record_payment_paid(payment, by=self.people.users[payer])
            except WorkflowError:
                assert self.world() == before
                return
        assert payer in FINANCE, f"{payer} recorded a payment"

    @precondition(lambda self: RepaymentClaim.objects.filter(status=RepaymentStatus.OPEN).exists())
    @rule(data=st.data())
    def record_a_repayment(self, data: st.DataObject) -> None:
        open_claims = list(
            RepaymentClaim.objects.filter(status=RepaymentStatus.OPEN).values_list("pk", flat=True)
        )
        claim = RepaymentClaim.objects.get(
            pk=data.draw(st.sampled_from(open_claims), label="claim")
        )
        clerk = data.draw(st.sampled_from(["finance", "finance2", "reviewer2"]), label="clerk")
        before = self.world()
        with clock.travel_to(self.today()):
            try:
                record_repayment_received(claim, by=self.people.users[clerk])
            except WorkflowError:
                assert self.world() == before
                return
        assert clerk in FINANCE, f"{clerk} recorded a repayment"

    def review_tasks(self, application: Application, obj: Any) -> list[ReviewTask]:
        """The application's review tasks, opened for the work its status waits for (the side
        effects that open them do not run in the walk)."""
        if application.status == ApplicationStatus.SUBMITTED:
            open_formal_check(application)
        elif application.status == ApplicationStatus.IN_REVIEW:
            open_assessments(application)
        if isinstance(obj, Grant) and obj.status == GrantStatus.REPORT_SUBMITTED:
            open_report_check(obj)
        return list(ReviewTask.objects.filter(application=application).order_by("pk"))

    def claims(self) -> list[tuple[Any, ...]]:
        return list(
            ReviewTask.objects.order_by("pk").values_list(
                "pk", "status", "assignee_id", "claimed_at"
            )
        )

    def under_review(self) -> list[Tracked]:
        """Objects waiting for a reviewer's or a manager's step (the outsiders' best chances)."""
        return [t for t in self.objects if t.status in REVIEW_STATES] or self.objects

    @precondition(lambda self: self.objects)
    @rule(index=st.integers(0, 11), who=st.sampled_from(OUTSIDERS), data=st.data())
    def an_outsider_reviewer_tries_everything(
        self, index: int, who: str, data: st.DataObject
    ) -> None:
        """The reviewer in conflict, or the one of other programmes, tries every step of the
        object's machine (from any status) and every claim on its review tasks: each one is
        refused with a WorkflowError, and statuses, claims and the audit log stay as they were."""
        candidates = self.under_review()
        tracked = candidates[index % len(candidates)]
        obj: Application | Grant = tracked.model.objects.get(pk=tracked.pk)
        application = cast(Application, obj.application if isinstance(obj, Grant) else obj)
        users = self.people.users
        with clock.travel_to(self.today()):
            tasks = self.review_tasks(application, obj)
            active = [t for t in tasks if t.status == TaskStatus.OPEN]
            hold: bool = data.draw(st.booleans(), label="the reviewer holds one")
            if active and hold:
                # Someone who may review it holds a task: releasing it is not theirs either.
                with suppress(WorkflowError):
                    claim(data.draw(st.sampled_from(active), label="held"), by=users["reviewer"])
            actor = users[who]
            before, claims, log_rows = self.world(), self.claims(), TransitionLog.objects.count()
            names = APPLICATION_NAMES if tracked.kind == "application" else GRANT_NAMES
            for name in names:
                fresh = tracked.model.objects.get(pk=tracked.pk)
                payload = transition_data(fresh, name, valid=True, today=self.today())
                try:
                    if isinstance(fresh, Application):
                        run_application_transition(fresh, name, by=actor, **payload)
                    elif isinstance(fresh, Grant):
                        run_grant_transition(fresh, name, by=actor, **payload)
                except WorkflowError as refusal:
                    assert str(refusal).strip(), f"{name} by {who}: refusal without a message"
                else:
                    raise AssertionError(f"{who} performed {name} on a {tracked.kind}")
            for task in ReviewTask.objects.filter(application=application).order_by("pk"):
                for attempt, call in (
                    ("claim", lambda t=task: claim(t, by=actor)),
                    ("release", lambda t=task: release(t, by=actor)),
                    ("reassign", lambda t=task: reassign(t, to=actor, by=users["manager"])),
                ):
                    with pytest.raises(WorkflowError):
                        call()
                        raise AssertionError(f"{who}: {attempt} of task {task.pk} went through")
            for kind in TaskKind.values:
                with pytest.raises(WorkflowError):
                    claimed = claim_next(actor, kind)
                    raise AssertionError(f"{who} took task {claimed.pk} from the {kind} queue")
        assert self.world() == before, f"{who} changed something"
        assert self.claims() == claims, f"{who} changed a claim"
        assert TransitionLog.objects.count() == log_rows
        assert tracked.model.objects.get(pk=tracked.pk).status == tracked.status

    @precondition(
        lambda self: sum(t.kind == "application" for t in self.objects) < MAX_APPLICATIONS
    )
    @rule(requested=st.sampled_from(AMOUNTS), org=st.sampled_from("AB"))
    def start_a_draft(self, requested: Decimal, org: str) -> None:
        with clock.travel_to(self.today()):
            draft = demo.make_ready_draft(
                self.people.organisations[org],
                fund=self.people.fund,
                by=self.people.applicants[org],
                requested=requested,
            )
        self.track_application(draft, org)

    # --- amendments ---------------------------------------------------------------------------
    def running_grants(self) -> list[Tracked]:
        return [t for t in self.objects if t.kind == "grant" and t.status == GrantStatus.ACCEPTED]

    @precondition(lambda self: self.running_grants())
    @rule(index=st.integers(0, 11), rounds=st.integers(1, 3), data=st.data())
    def change_a_grant(self, index: int, rounds: int, data: st.DataObject) -> None:
        """The grantee asks for a change of a running grant (or finds one waiting), then someone
        decides it: only a manager who did not review the application succeeds, and only as
        far as the budget bears a rise; every refusal changes nothing. A few rounds in a row."""
        running = self.running_grants()
        tracked = running[index % len(running)]
        applicant = self.people.applicants[tracked.org]
        for _round in range(rounds):
            change = data.draw(st.sampled_from(CHANGES), label="change")
            outcome = data.draw(st.sampled_from(["approve", "approve", "reject", "withdraw", "wait"]), label="outcome")  # fmt: skip
            anyone = data.draw(st.integers(0, 2), label="anyone") == 0
            decider = data.draw(st.sampled_from(DECIDERS if anyone else ["manager", "manager2"]), label="decider")  # fmt: skip
            slack = data.draw(st.sampled_from([None, None, "-0.01", "0", "0.01"]), label="slack")
            grant = Grant.objects.select_related("application", "programme").get(pk=tracked.pk)
            with clock.travel_to(self.today()):
                amendment = grant.amendments.filter(status=AmendmentStatus.SUBMITTED).first()
                if amendment is None:
                    amendment = self.ask_for_a_change(grant, applicant, change)
                if amendment is None or outcome == "wait":
                    continue
                if outcome == "withdraw":
                    amendment_services.withdraw_amendment(amendment, by=applicant)
                    continue
                self.decide_the_change(tracked, grant, amendment, outcome, decider, slack)

    def ask_for_a_change(self, grant: Grant, applicant: Any, change: str) -> Amendment | None:
        """A request as a grantee writes it; one the rules refuse leaves nothing behind."""
        amount = grant.amount_awarded
        kwargs: dict[str, Any] = {
            "raise": {
                "amount": min(amount + Decimal("500.00"), grant.programme.max_amount or amount)
            },
            "lower": {"amount": (amount * Decimal("0.8")).quantize(Decimal("0.01"))},
            "below_paid": {"amount": (amount * Decimal("0.5")).quantize(Decimal("0.01"))},
            "shift": {"shift": Decimal("100.00")},
            "later_end": {"end": grant.project_end + timedelta(days=10)},
        }[change]
        if change == "below_paid":  # the advance has gone out: the cut goes below it
            for payment in grant.payments.filter(status=PaymentStatus.SCHEDULED):
                record_payment_paid(payment, by=self.people.users["finance"])
        before = self.world()
        try:
            with transaction.atomic():
                return request_change(grant, by=applicant, **kwargs)
        except WorkflowError as refusal:
            assert str(refusal).strip(), "a request refused without a message"
            assert self.world() == before, "a refused request left something behind"
            return None

    def decide_the_change(
        self,
        tracked: Tracked,
        grant: Grant,
        amendment: Amendment,
        outcome: str,
        decider: str,
        slack: str | None,
    ) -> None:
        actor = self.actor(decider, tracked)
        money = plan_amended_money(grant, amendment.amount)
        if outcome == "approve" and slack is not None and money.commitment > 0:
            leave = max(money.commitment + Decimal(slack), Decimal(0))
            committed = grant.allocation.balances()["committed"]
            BudgetAllocation.objects.filter(pk=grant.allocation_id).update(amount=committed + leave)
        before = self.world()
        log_rows = TransitionLog.objects.count()
        data = {"reasons": "Nicht begründet"} if outcome == "reject" else {}
        try:
            run_amendment_transition(amendment, outcome, by=actor, **data)
        except WorkflowError as refusal:
            assert str(refusal).strip(), f"{outcome} by {decider}: refusal without a message"
            assert self.world() == before, f"refused {outcome} by {decider} changed something"
            assert TransitionLog.objects.count() == log_rows
            return
        allowed = MANAGERS - self.reviewers_of(Tracked("application", grant.application_id, tracked.org, "approved", 0))  # fmt: skip
        assert decider in allowed, f"{decider} decided a change of grant {grant.pk}"
        amendment.refresh_from_db()
        assert amendment.status == ("approved" if outcome == "approve" else "rejected")
        last = TransitionLog.objects.for_object(amendment).order_by("pk").last()
        assert last is not None and (last.transition, last.actor_id) == (outcome, actor.pk)
        grant.refresh_from_db()
        if outcome == "reject":
            assert Grant.objects.filter(pk=grant.pk).values().get() == next(
                g for g in before["grants"] if g["id"] == grant.pk
            )
            return
        assert (grant.amount_awarded, grant.project_end) == (amendment.amount, amendment.end_date)
        assert money.commitment <= 0 or slack is None or Decimal(slack) >= 0
        claims = RepaymentClaim.objects.filter(grant=grant, cause=RepaymentCause.AMENDMENT)
        assert (amendment.repayment_claim_id is not None) == (money.repayment > 0)
        assert sum(c.amount for c in claims) >= money.repayment

    # --- invariants --------------------------------------------------------------------------
    # One invariant reads the whole (small) database once; they run after every step.
    @invariant()
    def ledger_log_and_references_are_consistent(self) -> None:
        self.check_the_ledger()
        self.check_the_log()
        self.check_the_references()
        self.check_grants_and_decisions()

    def check_the_ledger(self) -> None:
        """Allocation committed == sum of its grants' commitments == their commitment targets;
        per funder too (`check_the_funders`)."""
        entries = list(
            LedgerEntry.objects.values_list("allocation_id", "grant_id", "kind", "amount")
        )
        assert all(grant_id is not None for _a, grant_id, _k, _m in entries)
        by_grant: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for _allocation, grant_id, kind, amount in entries:
            by_grant[grant_id][kind] += amount
        grant_totals: dict[int, Decimal] = defaultdict(Decimal)
        for grant in Grant.objects.all():
            committed = grant_commitment(grant)
            own = by_grant[grant.pk]
            assert committed == own[LedgerKind.COMMIT] - own[LedgerKind.RELEASE]
            target = grant.commitment_target(planned_amount(grant))
            assert committed == target, (
                f"grant {grant.pk} ({grant.status}): committed {committed}, target {target}"
            )
            if grant.status in LIVE_GRANT_STATES and not grant.repayment_claims.filter(
                cause=RepaymentCause.AMENDMENT, status=RepaymentStatus.OPEN
            ):
                # A live grant's commitment is its (amended) amount, unless an amendment lowered
                # it below what was paid and that money is not back yet.
                assert committed == grant.amount_awarded, (
                    f"grant {grant.pk}: committed {committed}, awarded {grant.amount_awarded}"
                )
            net_paid = own[LedgerKind.PAY] - own[LedgerKind.REPAY]
            assert net_paid <= committed, f"grant {grant.pk} paid {net_paid} beyond {committed}"
            grant_totals[grant.allocation_id] += committed
        booked = {allocation_id for allocation_id, *_rest in entries}
        for allocation in BudgetAllocation.objects.filter(pk__in=booked):
            balances = allocation.balances()
            assert balances["committed"] == grant_totals[allocation.pk], allocation
            assert balances["remaining"] >= 0, f"{allocation} overspent: {balances}"
        check_the_funders(BudgetAllocation.objects.filter(pk__in=booked))

    def check_the_log(self) -> None:
        """Each object's log rows chain its states from the first to the current one."""
        content_types = {
            ContentType.objects.get_for_model(Application).pk: "application",
            ContentType.objects.get_for_model(Grant).pk: "grant",
        }
        rows: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
        # The walk follows applications and grants; the other machines' rows (repayment claims)
        # are held against their records by verify_chain below.
        walked = TransitionLog.objects.filter(content_type__in=content_types).order_by("pk")
        for content_type, object_id, source, name, target in walked.values_list(
            "content_type", "object_id", "source", "transition", "target"
        ):
            rows[(content_types[content_type], object_id)].append((source, name, target))
        statuses = {
            ("application", str(pk)): status
            for pk, status in Application.objects.values_list("pk", "status")
        } | {("grant", str(pk)): status for pk, status in Grant.objects.values_list("pk", "status")}
        assert set(rows) <= set(statuses)
        initial: dict[str, str] = {"application": "draft", "grant": "offered"}
        tracked = {(t.kind, str(t.pk)): t for t in self.objects}
        assert set(tracked) == set(statuses), "an object appeared or vanished unnoticed"
        for key, status in statuses.items():
            own, state = rows[key], initial[key[0]]
            assert tracked[key].status == status, f"{key}: {tracked[key].status} -> {status}"
            assert tracked[key].log_rows == len(own), f"{key}: {len(own)} log rows"
            table = tracked[key].table
            for source, name, target in own:
                assert source == state, f"{key}: the log skips from {state} to {source}"
                assert table.get((source, name)) == target, f"{key}: {source} {name} {target}"
                state = target
            assert state == status, f"{key}: the log ends at {state}, the status is {status}"
        report = verify_chain()
        assert report.ok, report.broken

    def check_the_references(self) -> None:
        numbers: dict[int, list[int]] = defaultdict(list)
        for reference in Application.objects.exclude(reference=None).values_list(
            "reference", flat=True
        ):
            _prefix, year, number = reference.split("-")
            numbers[int(year)].append(int(number))
        for year, found in numbers.items():
            assert sorted(found) == list(range(1, len(found) + 1)), f"{year}: {sorted(found)}"
        counters = dict(ReferenceCounter.objects.values_list("year", "last_number"))
        assert counters == {year: len(found) for year, found in numbers.items()}

    def check_grants_and_decisions(self) -> None:
        """A grant for each approved application only; nobody decides what they reviewed."""
        grants = {
            application_id: (amount, programme_id)
            for application_id, amount, programme_id in Grant.objects.values_list(
                "application_id", "amount_awarded", "programme_id"
            )
        }
        for pk, status, awarded, programme_id in Application.objects.values_list(
            "pk", "status", "awarded_amount", "programme_id"
        ):
            if status == ApplicationStatus.APPROVED:
                assert grants.get(pk) == (awarded, programme_id), f"application {pk}"
            else:
                assert pk not in grants, f"a {status} application has a grant"
        content_type = ContentType.objects.get_for_model(Application)
        reviewed_by: dict[str, set[int | None]] = defaultdict(set)
        for object_id, name, source, actor in (
            TransitionLog.objects.filter(content_type=content_type)
            .order_by("pk")
            .values_list("object_id", "transition", "source", "actor_id")
        ):
            if name in DECIDING or (name == "reject" and source in ("in_review", "reviewed")):
                assert actor not in reviewed_by[object_id], f"four-eyes broken on {object_id}"
            if name in REVIEWING or (name == "reject" and source == "submitted"):
                reviewed_by[object_id].add(actor)


@pytest.fixture
def people(cast: demo.Cast, other_applicant: Any, other_organisation: Organisation) -> People:
    # Two people with two hats, for the four-eyes rules: a manager who also reviews may not
    # decide what they reviewed; a finance officer who also reviews may not accept the report of
    # a grant they paid.
    manager2 = demo.make_user("manager2", Role.MANAGER, Role.REVIEWER)
    finance2 = demo.make_user("finance2", Role.FINANCE, Role.REVIEWER)
    # A reviewer in conflict with every application of the walk: with A's by a shared
    # non-public e-mail domain, with B's by a conflict declared as each is tracked.
    conflicted = demo.make_user("conflicted", Role.REVIEWER)
    conflicted.email = f"rita@{CONFLICT_DOMAIN}"
    conflicted.save(update_fields=["email"])
    Organisation.objects.filter(pk=cast.organisation.pk).update(email=f"kontakt@{CONFLICT_DOMAIN}")
    # A reviewer of another programme: the walk's applications are in categories 1 and 2.
    outsider = demo.make_user("outsider", Role.REVIEWER)
    profile = ReviewerProfile.objects.create(user=outsider, languages=["de", "fr"])
    profile.programmes.set(Programme.objects.filter(fund=cast.fund, code="lighthouse"))
    return People(
        cast=cast,
        fund=cast.fund,
        organisations={"A": cast.organisation, "B": other_organisation},
        applicants={"A": cast.applicant, "B": other_applicant},
        users={
            "reviewer": cast.reviewer,
            "reviewer2": cast.reviewer2,
            "manager": cast.manager,
            "manager2": manager2,
            "finance": cast.finance,
            "finance2": finance2,
            "funder": cast.funder,
            "admin": cast.admin,
            "conflicted": conflicted,
            "outsider": outsider,
        },
    )


WALK_SETTINGS = settings(
    max_examples=generated_examples(25),
    stateful_step_count=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    # Each step touches the database; shrinking a failure can take minutes. The printed
    # (unshrunk) walk of at most 25 steps is short enough to read.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


def test_random_walks_keep_ledger_log_and_references_consistent(db: Any, people: People) -> None:
    # A factory instead of a class: each example gets a fresh machine bound to the same people.
    run_state_machine_as_test(lambda: Walk(people), settings=WALK_SETTINGS)  # type: ignore[arg-type]


# --- the walk's contract: every refusal is a WorkflowError --------------------------------------

MALFORMED = [
    pytest.param("application", "submitted", "reject", "reviewer", {"reasons": 42}, id="reasons-int"),
    pytest.param("application", "submitted", "reject", "reviewer", {"reasons": "ok \ud800"}, id="reasons-lone-surrogate"),
    pytest.param("application", "submitted", "request_changes", "reviewer", {"message": ["Budget"], "reply_by": date(2099, 1, 1)}, id="message-list"),
    pytest.param("application", "submitted", "request_changes", "reviewer", {"message": "Budget", "reply_by": "2099-01-01"}, id="reply-by-string"),
    pytest.param("application", "in_review", "complete_review", "system", {"score": [72]}, id="score-list"),
    pytest.param("application", "in_review", "complete_review", "system", {"score": "NaN"}, id="score-nan"),
    pytest.param("application", "reviewed", "approve", "manager", {"amount": {"eur": 1}}, id="amount-dict"),
    pytest.param("application", "reviewed", "approve", "manager", {"amount": "-1"}, id="amount-negative"),
    pytest.param("grant", "offered", "accept", "applicant", {"full_name": 42, "consent": True}, id="full-name-int"),
    pytest.param("grant", "offered", "accept", "applicant", {"full_name": "Erika", "consent": "yes"}, id="consent-string"),
    pytest.param("grant", "accepted", "cancel", "applicant", {"reason": 42}, id="cancel-reason-int"),
    pytest.param("grant", "report_due", "submit_report", "applicant", {"actual_expenses": None, "actual_eligible_expenses": "1", "actual_other_income": "0"}, id="expenses-none"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "state", "name", "role", "data"), MALFORMED)
def test_every_refusal_is_a_workflow_error_even_for_malformed_data(
    cast: demo.Cast, kind: str, state: str, name: str, role: str, data: dict[str, Any]
) -> None:
    """The walk (and every API view) relies on it: a refusal is a WorkflowError that changes
    nothing, never a 500 from deep inside a transition."""
    application = demo.drive(
        cast, "approved" if kind == "grant" else state, state if kind == "grant" else None
    )
    actor = {
        "applicant": cast.applicant,
        "reviewer": cast.reviewer,
        "manager": cast.manager,
        "system": None,
    }[role]
    rows = TransitionLog.objects.count()

    with pytest.raises(WorkflowError):
        if kind == "grant":
            run_grant_transition(Grant.objects.get(application=application), name, by=actor, **data)
        else:
            run_application_transition(application, name, by=actor, **data)

    assert TransitionLog.objects.count() == rows
    application.refresh_from_db()
    assert application.status == ("approved" if kind == "grant" else state)
