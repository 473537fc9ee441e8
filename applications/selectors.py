"""Reads on the applicant side that depend on permissions or cross relations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from applications import rules
from applications.models import Application, ApplicationStatus, Document, DocumentKind
from grants.models import (
    INTERIM_ACCEPTED,
    INTERIM_CHANGES_REQUESTED,
    INTERIM_NOT_SENT,
    Grant,
    GrantStatus,
    Payment,
    interim_report_status,
)
from organisations.models import Membership, Organisation
from workflows.models import TransitionLog


def applications_visible_to(user: Any) -> QuerySet[Application]:
    """The applications `user` may see, with what a list shows, newest first."""
    return (
        Application.objects.visible_to(user)
        .select_related("organisation", "programme", "grant")
        .order_by("-updated_at", "-id")
    )


def application_for(user: Any, pk: int) -> Application | None:
    """One application if `user` may see it, else None (the caller answers 404, never 403),
    with its organisation and fund (every page names them; the letters' titles read the fund)."""
    return (
        applications_visible_to(user).select_related("organisation", "fund").filter(pk=pk).first()
    )


def application_opened_to(user: Any, pk: int) -> Application | None:
    """One application if `user` may open its files, letters and final report, else None."""
    return (
        rules.applications_opened_to(Application.objects.all(), user)
        .select_related("organisation", "programme", "grant")
        .filter(pk=pk)
        .first()
    )


# --- the applicant's organisations --------------------------------------------------------------

CURRENT_ORGANISATION_KEY = "microgrants_organisation"


def organisations_of(user: Any) -> QuerySet[Organisation]:
    """The organisations `user` is an active member of, by name."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__user=user, memberships__is_active=True
    ).order_by("name", "pk")


def current_organisation(request: HttpRequest) -> Organisation | None:
    """The organisation the user works for right now: the one chosen in the session, else the
    first of theirs. Cached on the request."""
    if hasattr(request, "_microgrants_organisation"):
        cached: Organisation | None = request._microgrants_organisation
        return cached
    mine = list(organisations_of(request.user))
    chosen = request.session.get(CURRENT_ORGANISATION_KEY) if hasattr(request, "session") else None
    organisation = next((o for o in mine if o.pk == chosen), mine[0] if mine else None)
    request._microgrants_organisation = organisation  # type: ignore[attr-defined]
    request._microgrants_organisations = mine  # type: ignore[attr-defined]
    return organisation


def my_organisations(request: HttpRequest) -> list[Organisation]:
    current_organisation(request)
    return request._microgrants_organisations  # type: ignore[attr-defined, no-any-return]


# --- what the applicant sees of an application's life ---------------------------------------------

# How each transition reads in the applicant's timeline.
TIMELINE_LABELS = {
    "submit": _("Application submitted"),
    "resubmit": _("Changed application submitted again"),
    "request_changes": _("The fund asked for changes"),
    "pass_formal_check": _("Formal check passed; assessment started"),
    "complete_review": _("Assessment completed"),
    "approve": _("Approved"),
    "reject": _("Rejected"),
    "waitlist": _("Put on the waiting list"),
    "reopen": _("Back in the decision round"),
    "withdraw": _("Withdrawn"),
    "expire": _("Expired"),
    "accept": _("Grant accepted"),
    "decline": _("Grant declined"),
    "lapse": _("The offer lapsed"),
    "end_project": _("Project ended; final report due"),
    "submit_report": _("Final report submitted"),
    "request_report_changes": _("The fund asked for changes to the report"),
    "accept_report": _("Final report accepted"),
    "revoke": _("Grant revoked"),
    "cancel": _("Grant cancelled"),
    "close": _("Grant closed"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str
    by_applicant: bool
    note: str
    # An entry another app adds (applications.sections) may come drawn whole, as its own <li>.
    html: str = ""


def merged_timeline(*parts: list[TimelineEntry]) -> list[TimelineEntry]:
    """Entries of several sources in one history, oldest first (stable for equal times)."""
    return sorted((entry for part in parts for entry in part), key=lambda entry: entry.at)


# Histories a higher app adds to a grant's timeline (the amendments): given the grant, its
# audit rows with the words of each, as (row, label) pairs.
TimelineSource = Callable[[Grant], list[tuple[TransitionLog, Any]]]
_TIMELINE_SOURCES: list[TimelineSource] = []


def add_timeline_source(source: TimelineSource) -> None:
    if source not in _TIMELINE_SOURCES:
        _TIMELINE_SOURCES.append(source)


def timeline_for_applicant(application: Application) -> list[TimelineEntry]:
    """The application's and its grant's history, oldest first, in words; staff stay anonymous."""
    grant = getattr(application, "grant", None) if application.status == "approved" else None
    # Whether a member of the organisation took the step, read with the rows (no query of its own).
    member = Exists(
        Membership.objects.filter(
            organisation_id=application.organisation_id, user_id=OuterRef("actor_id")
        )
    )
    rows: list[tuple[TransitionLog, Any]] = [
        (row, TIMELINE_LABELS.get(row.transition, row.transition))
        for row in TransitionLog.objects.for_object(application)
        .annotate(by_member=member)
        .order_by("id")
    ]
    if grant is not None:
        rows += [
            (row, TIMELINE_LABELS.get(row.transition, row.transition))
            for row in TransitionLog.objects.for_object(grant)
            .annotate(by_member=member)
            .order_by("id")
        ]
        for source in _TIMELINE_SOURCES:
            rows += source(grant)
    # The rows of other sources (amendments) do not say it: one query, only when there are some.
    members: set[int] | None = None
    if any(not hasattr(row, "by_member") for row, _label in rows):
        members = set(application.organisation.memberships.values_list("user_id", flat=True))
    rows.sort(key=lambda pair: (pair[0].created_at, pair[0].pk))
    return [
        TimelineEntry(
            at=row.created_at,
            label=str(label),
            by_applicant=(
                bool(row.by_member)  # type: ignore[attr-defined]
                if hasattr(row, "by_member")
                else members is not None and row.actor_id in members
            ),
            note=_visible_note(row),
        )
        for row, label in rows
    ]


def _visible_note(row: TransitionLog) -> str:
    """What the applicant should read of a step: the fund's message or reasons, never internals."""
    payload = row.payload or {}
    for key in ("message", "reasons", "reason"):
        if isinstance(payload.get(key), str):
            return str(payload[key])
    return ""


@dataclass(frozen=True)
class NextStep:
    text: StrOrPromise
    deadline: date | None = None
    action: str = ""  # the URL name of the page where it is done, if the applicant acts


def next_step(application: Application) -> NextStep:
    """What happens next, who does it and by when, from the application's and grant's state."""
    status = application.status
    if status == ApplicationStatus.DRAFT:
        latest = None
        if application.start_date and application.programme and application.programme.is_rolling:
            latest = application.start_date - timedelta(days=application.programme.lead_time_days)
        return NextStep(_("Complete the form and submit it."), latest, "applications:draft_edit")
    if status == ApplicationStatus.CHANGES_REQUESTED:
        return NextStep(
            _("Make the changes the fund asked for and submit again."),
            application.reply_deadline,
            "applications:draft_edit",
        )
    if status == ApplicationStatus.SUBMITTED:
        return NextStep(_("The fund checks that the application is complete and eligible."))
    if status in (ApplicationStatus.IN_REVIEW, ApplicationStatus.REVIEWED):
        return NextStep(_("The application is being assessed; the decision follows."))
    if status == ApplicationStatus.WAITLISTED:
        return NextStep(
            _("On the waiting list: the decision follows as soon as budget is available."),
            application.start_date,
        )
    if status != ApplicationStatus.APPROVED:
        return NextStep(_("Nothing more to do."))
    grant = getattr(application, "grant", None)
    if grant is None:
        return NextStep(_("The grant offer is being prepared."))
    return _grant_step(grant)


def _grant_step(grant: Grant) -> NextStep:
    status = grant.status
    if status == GrantStatus.OFFERED:
        return NextStep(_("Accept or decline the grant."), grant.offer_expires_on, "applications:grant")  # fmt: skip
    if status == GrantStatus.ACCEPTED:
        interim = interim_report_status(grant) if grant.interim_report_due_on else INTERIM_ACCEPTED
        if interim in (None, INTERIM_NOT_SENT):
            return NextStep(_("Carry out the project and send the interim report."), grant.interim_report_due_on, "interim:report")  # fmt: skip
        if interim == INTERIM_CHANGES_REQUESTED:
            return NextStep(_("Make the changes the fund asked for in the interim report and send it again."), grant.interim_report.reply_by, "interim:report")  # type: ignore[attr-defined]  # fmt: skip
        return NextStep(_("Carry out the project. The final report is due after it ends."), grant.project_end)  # fmt: skip
    if status == GrantStatus.REPORT_DUE:
        return NextStep(_("Send the final report with the list of receipts."), grant.report_due_on, "applications:report")  # fmt: skip
    if status == GrantStatus.REPORT_SUBMITTED:
        return NextStep(_("The fund checks your final report."))
    if status == GrantStatus.SETTLED:
        return NextStep(_("The final payment or repayment is being settled."))
    return NextStep(_("Nothing more to do."))


def payments_of(grant: Grant, user: Any) -> list[Payment]:
    """The grant's payments `user` may see (grants.rules.payments_visible_to), in order."""
    return list(Payment.objects.visible_to(user).filter(grant=grant).order_by("sequence"))


def issued_documents(application: Application) -> list[Document]:
    """The fund's documents of an application, oldest first. Each submission has its summary,
    so a kind (per payment, per amendment) may come more than once: the latest is the current
    one, and the earlier ones are marked `superseded` (with `versions` on every one of the
    kind). Each is named after the fund's choice of decisions (`Document.title`)."""
    documents = list(application.documents.order_by("created_at", "id"))
    for document in documents:
        document.application = application  # (its title reads the fund: no query per row)
    # Each payment has its advice and each amendment its letter (keyed on the decision's row).
    keys = [
        (
            document.kind,
            document.payment_id,
            document.log_id if document.kind == DocumentKind.AMENDMENT else None,
        )
        for document in documents
    ]
    versions = Counter(keys)
    latest = dict(zip(keys, documents, strict=True))  # oldest first: the last one stays
    for key, document in zip(keys, documents, strict=True):
        document.superseded = latest[key] is not document  # type: ignore[attr-defined]
        document.versions = versions[key]  # type: ignore[attr-defined]
    return documents
