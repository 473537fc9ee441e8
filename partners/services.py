"""Every write of the partner exchange: posts, messages and their replies, reports and their
moderation, and the draft started with a partner. Who may do what is asked of `rules`; every
change of a status (closing, hiding, showing, acting on or dismissing a report) goes through
`workflows.perform()`, which asks the transition's permission and writes the audit row."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications import services as application_services
from applications.models import Application
from grants.models import Fund
from organisations.models import Organisation
from partners import emails, rules
from partners.choices import MessageStatus, PostStatus, ReportStatus
from partners.models import AbuseReport, PartnerMessage, PartnerPost, PostFacet
from workflows import clock, perform
from workflows.errors import TransitionForbidden, WorkflowError

POST_FIELDS = (
    "title",
    "country",
    "regions",
    "themes",
    "formats",
    "target_groups",
    "languages",
    "period_from",
    "period_to",
    "text",
    "language",
)


def post_lifetime() -> timedelta:
    return timedelta(days=settings.MICROGRANTS_PARTNER_POST_DAYS)


def new_expiry(today: date | None = None) -> date:
    return (today or clock.today()) + post_lifetime()


# --- posts -----------------------------------------------------------------------------------


def _apply(post: PartnerPost, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(POST_FIELDS)
    if unknown:
        raise ValueError(f"Unknown fields of a partner post: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(post, name, value)
    post.full_clean(exclude=["fund", "organisation", "created_by", "status"])


def _write_facets(post: PartnerPost) -> None:
    post.facets.all().delete()
    PostFacet.objects.bulk_create(
        PostFacet(post=post, kind=kind, code=code)
        for kind, codes in post.facet_codes().items()
        for code in dict.fromkeys(codes)
    )


@transaction.atomic
def create_post(organisation: Organisation, *, fund: Fund, by: Any, **fields: Any) -> PartnerPost:
    """Post for an organisation the user belongs to; live for MICROGRANTS_PARTNER_POST_DAYS."""
    if not organisation.has_member(by):
        raise TransitionForbidden()
    now = clock.now()
    post = PartnerPost(
        fund=fund,
        organisation=organisation,
        created_by=by,
        created_at=now,
        updated_at=now,
        expires_on=new_expiry(),
    )
    _apply(post, fields)
    post.save()
    _write_facets(post)
    return post


@transaction.atomic
def update_post(post: PartnerPost, *, by: Any, **fields: Any) -> PartnerPost:
    """Change what the post says (its organisation's members); its expiry stays."""
    locked = PartnerPost.objects.select_for_update().select_related("fund", "organisation")
    post = locked.get(pk=post.pk)
    if not rules.can_edit_post(post, by):
        raise TransitionForbidden()
    _refuse_if_hidden_or_closed(post)
    _apply(post, fields)
    post.updated_at = clock.now()
    post.save()
    _write_facets(post)
    return post


def _refuse_if_hidden_or_closed(post: PartnerPost) -> None:
    if post.status == PostStatus.HIDDEN:
        raise WorkflowError(
            _(
                "The fund has hidden this post. Please write to the fund if you think this is "
                "a mistake."
            ),
            code="post_hidden",
        )
    if post.status == PostStatus.CLOSED:
        raise WorkflowError(_("This post is closed. Please write a new one."), code="post_closed")


@transaction.atomic
def renew_post(post: PartnerPost, *, by: Any) -> PartnerPost:
    """Another full lifetime from today, for an open post (expired ones too)."""
    post = PartnerPost.objects.select_for_update().select_related("organisation").get(pk=post.pk)
    if not rules.can_edit_post(post, by):
        raise TransitionForbidden()
    _refuse_if_hidden_or_closed(post)
    post.expires_on = new_expiry()
    post.updated_at = clock.now()
    post.save(update_fields=["expires_on", "updated_at"])
    return post


@transaction.atomic
def close_post(post: PartnerPost, *, by: Any) -> PartnerPost:
    """The organisation found its partner (or gave up): the post leaves the list for good.
    Closing a closed post again changes nothing (a second click); a hidden one stays hidden."""
    post = PartnerPost.objects.select_for_update().select_related("organisation").get(pk=post.pk)
    if not rules.can_edit_post(post, by):
        raise TransitionForbidden()
    if post.status == PostStatus.CLOSED:
        return post
    _refuse_if_hidden_or_closed(post)
    return perform(post, "close", by=by)


def remind_before_expiry(post: PartnerPost, *, days_left: int) -> bool:
    """The reminder with the renew link, once per expiry date; did it queue a new mail?"""
    if not post.is_live():
        return False
    return emails.expiry_reminder(post, days_left=days_left) is not None


# --- messages ----------------------------------------------------------------------------------


@transaction.atomic
def send_message(
    post: PartnerPost,
    *,
    by: Any,
    body: str,
    language: str,
    organisation: Organisation | None = None,
) -> PartnerMessage:
    """Store the message, then relay it by e-mail to the posting organisation's members (in the
    post's language, queued with the message); the sender's address is not in it."""
    if not rules.can_contact(post, by):
        if post.organisation.has_member(by):
            raise WorkflowError(_("This is your own organisation's post."), code="own_post")
        raise TransitionForbidden()
    if organisation is not None and not organisation.has_member(by):
        organisation = None
    message = PartnerMessage(
        post=post,
        sender=by,
        sender_organisation=organisation,
        body=body,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
    )
    message.full_clean(exclude=["post", "sender", "sender_organisation", "replied_by", "status"])
    message.save()
    emails.message_relayed(message)
    return message


@transaction.atomic
def reply_to_message(message: PartnerMessage, *, by: Any, body: str) -> PartnerMessage:
    """The organisation's answer: relayed to the sender with the replier's address; from now on
    each side sees the other's address."""
    message = (
        PartnerMessage.objects.select_for_update()
        .select_related("post__organisation", "sender")
        .get(pk=message.pk)
    )
    if not message.post.organisation.has_member(by):
        raise TransitionForbidden()
    if not rules.can_reply(message, by):
        raise WorkflowError(_("This message has already been answered."), code="replied")
    message.reply = body
    message.full_clean(exclude=["post", "sender", "sender_organisation", "replied_by", "status"])
    if not message.reply:
        raise WorkflowError(_("Please write your reply."), code="reply_missing")
    message.replied_at = clock.now()
    message.replied_by = by
    message.save(update_fields=["reply", "replied_at", "replied_by"])
    emails.reply_relayed(message)
    return message


def disclosed_address(message: PartnerMessage, *, to: Any) -> str:
    """The other side's address, as `to` may read it: only once the organisation replied."""
    if not message.is_replied:
        return ""
    if message.sender_id == getattr(to, "pk", None):
        return message.replied_by.email if message.replied_by is not None else ""
    if message.post.organisation.has_member(to):
        return str(message.sender.email)
    return ""


# --- abuse -------------------------------------------------------------------------------------


def report_abuse(
    *,
    post: PartnerPost | None = None,
    message: PartnerMessage | None = None,
    by: Any,
    reason: str,
    details: str = "",
) -> AbuseReport:
    """Anyone's report (the reporter is kept only when signed in); staff handle it in the admin."""
    report = AbuseReport(
        post=post,
        message=message,
        reason=reason,
        details=details,
        reporter=by if getattr(by, "is_authenticated", False) else None,
    )
    report.full_clean(exclude=["post", "message", "reporter", "status"])
    report.save()
    return report


def _act_on_open_reports(reports: Any, *, by: Any, note: str) -> None:
    """Each open report about what was just hidden is settled, with its own audit row."""
    for report in reports.filter(status=ReportStatus.OPEN).order_by("pk"):
        perform(report, "act", by=by, note=note)


@transaction.atomic
def hide_post(post: PartnerPost, *, by: Any, reason: str, note: str = "") -> PartnerPost:
    """The fund takes a post off the exchange with a reason its organisation reads; its open
    reports are acted on with it. Hiding a hidden post only settles the reports."""
    post = PartnerPost.objects.select_for_update().get(pk=post.pk)
    if post.status != PostStatus.HIDDEN:
        post = perform(post, "hide", by=by, note=note, reason=reason)
    elif not rules.is_moderator(by):
        raise TransitionForbidden()
    _act_on_open_reports(post.reports.all(), by=by, note=note)
    return post


def show_post(post: PartnerPost, *, by: Any, note: str = "") -> PartnerPost:
    """Undo a hiding (a mistake, or the organisation put it right): the post is open again, or
    closed if its organisation had closed it. The hiding stays in the audit log."""
    return perform(post, "show", by=by, note=note)


@transaction.atomic
def hide_message(message: PartnerMessage, *, by: Any, note: str = "") -> PartnerMessage:
    """The fund hides a message from its recipients; its open reports are acted on with it."""
    message = PartnerMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.HIDDEN:
        message = perform(message, "hide", by=by, note=note)
    elif not rules.is_moderator(by):
        raise TransitionForbidden()
    _act_on_open_reports(message.reports.all(), by=by, note=note)
    return message


def show_message(message: PartnerMessage, *, by: Any, note: str = "") -> PartnerMessage:
    """Undo the hiding of a message."""
    return perform(message, "show", by=by, note=note)


@transaction.atomic
def hide_reported(report: AbuseReport, *, by: Any, reason: str = "", note: str = "") -> AbuseReport:
    """Act on a report: hide what it is about (a post with `reason`; without one, the report's
    reason in the post's language), which settles this report and the others open about it."""
    if not rules.is_moderator(by):
        raise TransitionForbidden()
    report = AbuseReport.objects.select_related("post", "message").get(pk=report.pk)
    if report.status != ReportStatus.OPEN:
        return perform(report, "act", by=by, note=note)  # refused with the status in words
    if report.post is not None:
        if not reason:  # the report's reason, in the language the organisation writes in
            with translation.override(report.post.language):
                reason = str(report.get_reason_display())
        hide_post(report.post, by=by, reason=reason, note=note)
    elif report.message is not None:
        hide_message(report.message, by=by, note=note)
    report.refresh_from_db()
    return report


def dismiss_report(report: AbuseReport, *, by: Any, note: str = "") -> AbuseReport:
    """Nothing wrong found: the report is closed, the post or message stays."""
    return perform(report, "dismiss", by=by, note=note)


# --- an application with the partner ----------------------------------------------------------


def start_application_with(
    post: PartnerPost, *, organisation: Organisation, by: Any, language: str
) -> Application:
    """A new draft of `organisation` with the posting organisation as its partner (name,
    country and city as the exchange shows them), through the applicant side's own service."""
    if post.organisation_id == organisation.pk:
        raise WorkflowError(
            _("You cannot start an application with your own organisation as partner."),
            code="own_post",
        )
    if not post.is_live():
        raise WorkflowError(_("This post is no longer open."), code="post_not_live")
    face = post.poster
    return application_services.create_draft(
        organisation,
        fund=post.fund,
        by=by,
        title=gettext("Project with %(partner)s") % {"partner": face.name},
        language=language,
        themes=list(post.themes),
        partners=[{"name": face.name[:200], "country": face.country, "city": face.city}],
    )
