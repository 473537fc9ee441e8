"""Requests for change as a grantee writes them, through the real services: for the demo data
(`seed_demo` shows an amended grant and one waiting for a decision), the tests and the
benchmarks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from amendments import plan, services
from amendments.models import Amendment
from demo import builders as demo
from grants.models import Grant

REASON = (
    "Der Partnerverein in Lyon kann erst eine Woche später empfangen; die Busfahrt wird teurer "
    "und wir brauchen eine Unterkunft mehr. / Le comité de Lyon ne peut nous recevoir qu'une "
    "semaine plus tard."
)


def shifted(
    lines: list[dict[str, Any]], amount: Decimal, *, category: str = "stay"
) -> list[dict[str, Any]]:
    """The plan with `amount` EUR moved from its first eligible expense to a new line of
    `category` (the totals stay the same)."""
    moved = []
    done = False
    for line in lines:
        record = plan.line_record(line)
        if not done and record["side"] == "expense" and record["eligible"]:
            total = plan.line_amount(record)
            record = {**record, "quantity": "1.00", "unit_cost": str(total - amount)}
            done = True
        moved.append(record)
    moved.append(
        plan.line_record(
            {
                "side": "expense",
                "category": category,
                "purpose": "Herberge Lyon, 30 Personen",
                "quantity": "1",
                "unit_cost": amount,
            }
        )
    )
    return moved


def request_change(
    grant: Grant,
    *,
    by: Any,
    amount: Decimal | None = None,
    start: date | None = None,
    end: date | None = None,
    shift: Decimal | None = None,
    partners: list[dict[str, Any]] | None = None,
    reason: str = REASON,
    send: bool = True,
) -> Amendment:
    """Ask for a change of `grant` as its member `by`: a new amount with a plan that balances at
    the programme's share (demo.budget_for), `shift` EUR moved from travel to a stay, new dates,
    other partners; then send it (unless `send` is false)."""
    amendment = services.start_amendment(grant, by=by)
    lines = list(amendment.budget_lines)
    if amount is not None and amount != grant.amount_awarded:
        lines = [plan.line_record(line) for line in demo.budget_for(amount, grant.max_share)]
    if shift:
        lines = shifted(lines, shift)
    amendment = services.save_amendment(
        amendment,
        by=by,
        start_date=start or amendment.start_date,
        end_date=end or amendment.end_date,
        amount=amount if amount is not None else amendment.amount,
        budget_lines=lines,
        partners=partners if partners is not None else list(amendment.partners),
        reason=reason,
    )
    return services.submit_amendment(amendment, by=by) if send else amendment


def seed_amendments(cast: Any, members: dict[int, Any]) -> list[Amendment]:
    """For `make run`: one running grant of the demo applicant's organisation (else of another)
    amended (a week later, 300 EUR moved to a stay, 200 EUR more, approved by the manager) and
    one request waiting in the managers' queue. Without side effects, like the rest of the
    demo (`generate_documents --kind amendment` issues the letters). Returns the requests made;
    none are added twice."""
    from django.db import transaction

    from grants.models import GrantStatus
    from workflows.errors import WorkflowError

    if Amendment.objects.exists():
        return []
    running = list(
        Grant.objects.filter(
            status=GrantStatus.ACCEPTED, application__organisation_id__in=list(members)
        )
        .select_related("application", "programme")
        .order_by("-pk")
    )
    running.sort(key=lambda g: g.application.organisation_id != cast.organisation.pk)
    made: list[Amendment] = []
    for grant in running:
        member = members[grant.application.organisation_id]
        approve = not made
        higher = grant.amount_awarded + Decimal("200.00")
        amount = higher if grant.programme.max_amount is None or higher <= grant.programme.max_amount else None  # fmt: skip
        try:
            with transaction.atomic():
                amendment = request_change(
                    grant,
                    by=member,
                    amount=amount if approve else None,
                    end=grant.project_end + timedelta(days=7),
                    shift=Decimal("300.00") if approve else None,
                )
                if approve:
                    amendment = services.approve_amendment(
                        amendment,
                        by=cast.manager,
                        conditions="Bitte die Rechnung der Herberge aufbewahren.",
                    )
        except WorkflowError:
            continue  # this project's plan does not allow it (e.g. its end has passed)
        made.append(amendment)
        if len(made) == 2:
            break
    return made
