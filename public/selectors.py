"""What the public pages show, chosen here: programmes on offer with the rules of their policy,
and the calls open now or soon. Only policy data; nothing of applicants or applications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet

from grants.models import Call, Fund, Intake, Programme
from public.models import Page
from workflows import clock

# Calls that open within this many days are announced beside the open ones.
ANNOUNCE_CALLS_DAYS = 90


@dataclass(frozen=True)
class ProgrammeOffer:
    """A programme as a visitor reads it: the rules from its policy and its calls."""

    programme: Programme
    open_calls: list[Call] = field(default_factory=list)
    coming_calls: list[Call] = field(default_factory=list)

    @property
    def rolling(self) -> bool:
        return self.programme.intake == Intake.ROLLING

    @property
    def earliest_start(self) -> date:
        """The first day a project applied for today may start (the lead time)."""
        return clock.today() + timedelta(days=self.programme.lead_time_days)


def programmes_on_offer(fund: Fund, *, today: date | None = None) -> list[ProgrammeOffer]:
    """The fund's active programmes by category, each with its open and coming calls. Two
    queries, whatever the number of programmes and calls."""
    today = today or clock.today()
    programmes = list(fund.programmes.filter(is_active=True).order_by("category", "code", "pk"))
    calls = Call.objects.filter(
        programme__in=programmes,
        closes_on__gte=today,
        opens_on__lte=today + timedelta(days=ANNOUNCE_CALLS_DAYS),
    ).order_by("closes_on", "pk")
    open_calls: dict[int, list[Call]] = {programme.pk: [] for programme in programmes}
    coming_calls: dict[int, list[Call]] = {programme.pk: [] for programme in programmes}
    by_pk = {programme.pk: programme for programme in programmes}
    for call in calls:
        call.programme = by_pk[call.programme_id]  # the page names it; no query per call
        (open_calls if call.is_open(today) else coming_calls)[call.programme_id].append(call)
    return [
        ProgrammeOffer(programme, open_calls[programme.pk], coming_calls[programme.pk])
        for programme in programmes
    ]


def published_pages() -> QuerySet[Page]:
    """The fund's texts staff have published (drafts stay in the admin)."""
    return Page.objects.filter(is_published=True)
