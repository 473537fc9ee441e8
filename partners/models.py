"""Partner posts, the messages relayed between organisations about them, and reports of abuse.

Each of the three has a state machine (a protected `status`, one decorated method per
transition with its permission from `partners.rules`), driven through `workflows.perform()` by
the services, so every close, hide, show and decision on a report has its audit row:

- a post is `open`, `closed` by its organisation or `hidden` by the fund; shown again, it goes
  back to the state it was hidden from;
- a message is `visible` or `hidden` by the fund;
- a report is `open`, then `acted` on (what it reports was hidden) or `dismissed`.

A post is live while it is open and its expiry date has not passed: expiry is a date, not a
stored state, so a post leaves the public list on the day it expires whether or not the
scheduler ran (the scheduler only reminds).
The lists a post holds (regions, themes, formats, target groups, languages) are stored on the
post for showing and, for filtering, as `PostFacet` rows that `services` writes with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition

from applications.models import Theme
from organisations.choices import Region
from organisations.models import Organisation, informal_group_label
from partners import rules
from partners.choices import (
    FacetKind,
    MessageStatus,
    PostFormat,
    PostStatus,
    ReportReason,
    ReportStatus,
    TargetGroup,
)
from workflows import clock
from workflows.errors import InvalidInput
from workflows.fields import CleanCharField, CleanTextField, as_validation_error
from workflows.text import REASON_MISSING, clean_text

TITLE_MAX = 120
TEXT_MAX = 3_000
MESSAGE_MAX = 2_000
REPORT_DETAILS_MAX = 1_000
# Region names come from organisations.choices; the others from their TextChoices here.
FACET_CHOICES: dict[str, Any] = {
    FacetKind.REGION: Region,
    FacetKind.THEME: Theme,
    FacetKind.FORMAT: PostFormat,
    FacetKind.TARGET_GROUP: TargetGroup,
}


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class PublicFace:
    """What anyone may read of an organisation on the partner exchange: no address, e-mail,
    phone or member names; an informal group is not even named."""

    name: str
    city: str
    region: str
    country: str

    @classmethod
    def of(cls, organisation: Organisation) -> PublicFace:
        city = organisation.city
        name = informal_group_label(city) if organisation.is_informal_group else organisation.name
        region = organisation.get_region_display() if organisation.region else ""
        return cls(name=name, city=city, region=str(region), country=organisation.country)


def _clean(value: str, *, field: str, max_length: int) -> str:
    try:
        return clean_text(value, field=field, max_length=max_length)
    except InvalidInput as error:
        raise ValidationError({field: as_validation_error(error)}) from error


class PostQuerySet(models.QuerySet["PartnerPost"]):
    def live(self, today: date | None = None) -> PostQuerySet:
        """Posts anyone may read: open (neither closed nor hidden) and not expired."""
        return self.filter(rules.live_posts(today))

    def visible_to(self, user: Any) -> models.QuerySet[PartnerPost]:
        return rules.posts_visible_to(self, user)


def _state_before_hiding(post: PartnerPost, **data: Any) -> str:
    """Shown again, a post its organisation had closed stays closed; any other is open."""
    return PostStatus.CLOSED if post.closed_at is not None else PostStatus.OPEN


class PartnerPost(ConcurrentTransitionMixin, models.Model):
    fund = models.ForeignKey("grants.Fund", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="partner_posts"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = CleanCharField(_("title"), max_length=TITLE_MAX)
    country = models.CharField(
        _("partner country sought"), max_length=2, help_text=_("ISO code, e.g. FR or DE")
    )
    regions = models.JSONField(_("regions sought"), default=list, blank=True)
    themes = models.JSONField(_("themes"), default=list, blank=True)
    formats = models.JSONField(_("formats"), default=list, blank=True)
    target_groups = models.JSONField(_("target groups"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    period_from = models.DateField(_("from"), null=True, blank=True)
    period_to = models.DateField(_("until"), null=True, blank=True)
    text = CleanTextField(_("what we are looking for"), max_length=TEXT_MAX)
    # The language the poster writes in: the messages relayed to the organisation use it.
    language = models.CharField(
        _("language of the post"), max_length=2, choices=settings.LANGUAGES, default="de"
    )
    created_at = models.DateTimeField(_("posted"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)
    expires_on = models.DateField(_("expires on"))
    status = FSMField(
        _("status"),
        max_length=16,
        choices=PostStatus,
        default=PostStatus.OPEN,
        protected=True,
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Who hid the post, when and why is in its audit rows; these say it on the post's pages.
    hidden_at = models.DateTimeField(_("hidden by the fund"), null=True, blank=True)
    hidden_reason = CleanTextField(_("reason"), blank=True)

    objects = PostQuerySet.as_manager()
    rules_select_related = ("organisation",)

    class Meta:
        verbose_name = _("partner post")
        verbose_name_plural = _("partner posts")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The public list: live posts, newest first, often filtered by country.
            models.Index(fields=["status", "expires_on", "country"], name="partnerpost_live"),
            models.Index(fields=["organisation", "created_at"], name="partnerpost_org"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_to__isnull=True)
                | Q(period_from__isnull=True)
                | Q(period_to__gte=models.F("period_from")),
                name="partnerpost_period_ordered",
                violation_error_message=_("The period cannot end before it begins."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("partners:detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        for field, limit in (("title", TITLE_MAX), ("text", TEXT_MAX)):
            try:
                setattr(self, field, _clean(getattr(self, field), field=field, max_length=limit))
            except ValidationError as error:
                errors.update(error.error_dict)
        self.country = (self.country or "").upper()
        countries = [str(c).upper() for c in (self.fund.countries if self.fund_id else [])]
        if countries and self.country not in countries:
            errors["country"] = _(
                "The fund connects partners in %(countries)s only: please choose one of these."
            ) % {"countries": ", ".join(countries)}
        bad_regions = [r for r in self.regions if not str(r).startswith(f"{self.country}-")]
        if bad_regions and "country" not in errors:
            errors["regions"] = _("These regions are not in the country sought: %(regions)s") % {
                "regions": ", ".join(str(r) for r in bad_regions)
            }
        for field, kind in (
            ("regions", FacetKind.REGION),
            ("themes", FacetKind.THEME),
            ("formats", FacetKind.FORMAT),
            ("target_groups", FacetKind.TARGET_GROUP),
        ):
            value = getattr(self, field)
            if not isinstance(value, list) or set(map(str, value)) - set(
                FACET_CHOICES[kind].values
            ):
                errors.setdefault(field, _("Please choose from the list."))
        if not isinstance(self.languages, list) or set(self.languages) - set(language_codes()):
            errors["languages"] = _("Please choose from the list.")
        if self.period_from and self.period_to and self.period_to < self.period_from:
            errors["period_to"] = _("The period cannot end before it begins.")
        if errors:
            raise ValidationError(errors)

    def is_live(self, today: date | None = None) -> bool:
        today = today or clock.today()
        return self.status == PostStatus.OPEN and self.expires_on >= today

    @property
    def is_open(self) -> bool:
        return self.status == PostStatus.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == PostStatus.CLOSED

    @property
    def is_hidden(self) -> bool:
        return self.status == PostStatus.HIDDEN

    @transition(
        field=status,
        source=PostStatus.OPEN,
        target=PostStatus.CLOSED,
        permission=rules.can_edit_post,
    )
    def close(self, *, by: Any) -> None:
        """The organisation found its partner (or gave up): off the list for good."""
        self.closed_at = clock.now()

    @transition(
        field=status,
        source=[PostStatus.OPEN, PostStatus.CLOSED],
        target=PostStatus.HIDDEN,
        permission=rules.may_moderate,
    )
    def hide(self, *, by: Any, reason: str) -> None:
        self.hidden_reason = clean_text(
            reason, field="reason", required=REASON_MISSING, code="reason_missing"
        )
        self.hidden_at = clock.now()

    @transition(
        field=status,
        source=PostStatus.HIDDEN,
        target=GET_STATE(_state_before_hiding, states=[PostStatus.OPEN, PostStatus.CLOSED]),
        permission=rules.may_moderate,
    )
    def show(self, *, by: Any) -> None:
        """A mistake, or the organisation put it right: back to open (or closed, if it was)."""
        self.hidden_at, self.hidden_reason = None, ""

    @property
    def is_expired(self) -> bool:
        return self.expires_on < clock.today()

    @property
    def poster(self) -> PublicFace:
        return PublicFace.of(self.organisation)

    def facet_codes(self) -> dict[str, list[str]]:
        return {
            FacetKind.REGION: list(self.regions),
            FacetKind.THEME: list(self.themes),
            FacetKind.FORMAT: list(self.formats),
            FacetKind.TARGET_GROUP: list(self.target_groups),
            FacetKind.LANGUAGE: list(self.languages),
        }

    def labels(self, field: str) -> list[str]:
        """The names of the codes of one list of the post, in the reader's language."""
        names: dict[str, Any]
        if field == "languages":
            names = dict(settings.LANGUAGES)
        else:
            kind = {
                "regions": FacetKind.REGION,
                "themes": FacetKind.THEME,
                "formats": FacetKind.FORMAT,
                "target_groups": FacetKind.TARGET_GROUP,
            }[field]
            names = dict(FACET_CHOICES[kind].choices)
        return [str(names.get(code, code)) for code in getattr(self, field)]


class PostFacet(models.Model):
    """One code of one list of a post, for the public list's filters (portable: no JSON query)."""

    post = models.ForeignKey(PartnerPost, on_delete=models.CASCADE, related_name="facets")
    kind = models.CharField(max_length=16, choices=FacetKind)
    code = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "kind", "code"], name="one_facet_per_code")
        ]
        indexes = [models.Index(fields=["kind", "code", "post"], name="partnerfacet_lookup")]

    def __str__(self) -> str:
        return f"{self.kind}={self.code}"


class MessageQuerySet(models.QuerySet["PartnerMessage"]):
    def visible_to(self, user: Any) -> models.QuerySet[PartnerMessage]:
        return rules.messages_visible_to(self, user)


class PartnerMessage(ConcurrentTransitionMixin, models.Model):
    """A message to the organisation of a post, relayed by e-mail; its one reply discloses the
    two sides' addresses to each other."""

    post = models.ForeignKey(PartnerPost, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The organisation the sender writes for, if they belong to one (its public face is shown).
    sender_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = CleanTextField(_("message"), max_length=MESSAGE_MAX)
    # The sender's language: the reply is relayed in it.
    language = models.CharField(
        _("language"), max_length=2, choices=settings.LANGUAGES, default="de"
    )
    created_at = models.DateTimeField(_("sent"), default=clock.now)
    reply = CleanTextField(_("reply"), blank=True, max_length=MESSAGE_MAX)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = FSMField(
        _("status"),
        max_length=16,
        choices=MessageStatus,
        default=MessageStatus.VISIBLE,
        protected=True,
    )
    hidden_at = models.DateTimeField(_("hidden by the fund"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner message")
        verbose_name_plural = _("partner messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["sender", "created_at"], name="partnermessage_sender")]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.post}"

    def clean(self) -> None:
        self.body = _clean(self.body, field="body", max_length=MESSAGE_MAX)
        self.reply = _clean(self.reply, field="reply", max_length=MESSAGE_MAX)

    @property
    def is_replied(self) -> bool:
        return self.replied_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.status == MessageStatus.HIDDEN

    @transition(
        field=status,
        source=MessageStatus.VISIBLE,
        target=MessageStatus.HIDDEN,
        permission=rules.may_moderate,
    )
    def hide(self, *, by: Any) -> None:
        self.hidden_at = clock.now()

    @transition(
        field=status,
        source=MessageStatus.HIDDEN,
        target=MessageStatus.VISIBLE,
        permission=rules.may_moderate,
    )
    def show(self, *, by: Any) -> None:
        self.hidden_at = None

    @property
    def sender_face(self) -> PublicFace | None:
        if self.sender_organisation is None:
            return None
        return PublicFace.of(self.sender_organisation)


class AbuseReport(ConcurrentTransitionMixin, models.Model):
    """Someone (perhaps not signed in) tells the fund that a post or a message is abuse."""

    post = models.ForeignKey(
        PartnerPost, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    message = models.ForeignKey(
        PartnerMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=ReportReason)
    details = CleanTextField(_("details"), blank=True, max_length=REPORT_DETAILS_MAX)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("reported"), default=clock.now)
    status = FSMField(
        _("status"),
        max_length=16,
        choices=ReportStatus,
        default=ReportStatus.OPEN,
        protected=True,
    )
    # Who handled the report is in its audit row.
    resolved_at = models.DateTimeField(_("handled"), null=True, blank=True)

    class Meta:
        verbose_name = _("abuse report")
        verbose_name_plural = _("abuse reports")
        ordering = ["resolved_at", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(post__isnull=False, message__isnull=True)
                | Q(post__isnull=True, message__isnull=False),
                name="abusereport_one_subject",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="abusereport_open")]

    def __str__(self) -> str:
        subject = self.post if self.post_id else self.message
        return f"{self.get_reason_display()}: {subject}"

    def clean(self) -> None:
        self.details = _clean(self.details, field="details", max_length=REPORT_DETAILS_MAX)

    @property
    def is_open(self) -> bool:
        return self.status == ReportStatus.OPEN

    @transition(
        field=status,
        source=ReportStatus.OPEN,
        target=ReportStatus.ACTED,
        permission=rules.may_moderate,
    )
    def act(self, *, by: Any) -> None:
        """What was reported is hidden (the post's or message's own `hide`, in the service)."""
        self.resolved_at = clock.now()

    @transition(
        field=status,
        source=ReportStatus.OPEN,
        target=ReportStatus.DISMISSED,
        permission=rules.may_moderate,
    )
    def dismiss(self, *, by: Any) -> None:
        """Nothing wrong found: the post or the message stays."""
        self.resolved_at = clock.now()
