"""Texts of the fund that staff write in the admin, in each language: guidelines, FAQ, contact,
imprint, privacy and accessibility statements. Their per-language fields (title_de, body_fr ...)
come from django-modeltranslation (public/translation.py); a text missing in the reader's
language falls back to German, then French, then English.

And the showcase of funded projects: a grantee's consent makes a `ProjectShowcase`, staff
moderate it and its photos, and the programme's `ShowcasePolicy` says whether the amount shows."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from grants.models import GrantStatus
from public import rules
from workflows import clock
from workflows.fields import CleanCharField, CleanTextField
from workflows.guards import guard
from workflows.text import REASON_MISSING, clean_text


class PageKind(models.TextChoices):
    GUIDELINES = "guidelines", _("Guidelines")
    FAQ = "faq", _("Frequently asked questions")
    CONTACT = "contact", _("Contact")
    IMPRINT = "imprint", _("Imprint")
    PRIVACY = "privacy", _("Privacy")
    ACCESSIBILITY = "accessibility", _("Accessibility")


class Page(models.Model):
    """One of the fund's public texts; its address is its kind (/pages/imprint/)."""

    kind = models.CharField(_("page"), max_length=16, choices=PageKind, unique=True)
    title = CleanCharField(_("title"), max_length=200)
    # Plain text: paragraphs are separated by an empty line; no markup to get wrong or abuse.
    body = CleanTextField(_("text"), help_text=_("Separate paragraphs with an empty line."))
    is_published = models.BooleanField(_("published"), default=False)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    # django-modeltranslation swaps in its multilingual manager when the app registry is ready.
    objects = models.Manager()  # type: ignore[django-manager-missing]  # (the patched class)

    class Meta:
        verbose_name = _("public page")
        verbose_name_plural = _("public pages")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()

    def get_absolute_url(self) -> str:
        return reverse("public:page", kwargs={"kind": self.kind})

    def save(self, *args: object, **kwargs: object) -> None:
        self.updated_at = clock.now()
        super().save(*args, **kwargs)  # type: ignore[arg-type]


# --- the showcase of funded projects -----------------------------------------------------------


# A grant counts as funded from its acceptance on, while it is not revoked or cancelled: the
# states the open data publishes too (grants.open_data.PUBLISHED_STATES; a test holds them equal).
FUNDED_STATES = (
    GrantStatus.ACCEPTED,
    GrantStatus.REPORT_DUE,
    GrantStatus.REPORT_SUBMITTED,
    GrantStatus.SETTLED,
    GrantStatus.CLOSED,
)
# The outcome text is written once the final report is accepted.
OUTCOME_STATES = (GrantStatus.SETTLED, GrantStatus.CLOSED)


class ProjectFormat(models.TextChoices):
    """The kind of project as the showcase filters it (the application's format is free text)."""

    ENCOUNTER = "encounter", _("encounter or exchange visit")
    WORKSHOP = "workshop", _("workshop or training")
    FESTIVAL = "festival", _("festival, concert or celebration")
    CONFERENCE = "conference", _("conference or citizens' dialogue")
    EXHIBITION = "exhibition", _("exhibition or publication")
    SPORT = "sport", _("sports event")
    ONLINE = "online", _("online project")
    OTHER = "other", _("other")


def showcase_slug(title: str, grant_id: int) -> str:
    """A project page's address: its title made readable in a URL, unique by the grant."""
    base = slugify(title)[:70].strip("-") or "project"
    return f"{base}-{grant_id}"


class ShowcaseStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("waiting for moderation")
    PUBLISHED = "published", _("published")
    HIDDEN = "hidden", _("hidden by the fund")
    WITHDRAWN = "withdrawn", _("consent withdrawn")


def folded(text: str) -> str:
    """Text as the showcase search compares it: lower case, without accents, single spaces
    ("Köln" and "KOLN" both give "koln"; "ß" gives "ss")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def theme_list(codes: Any) -> str:
    """Theme codes as the showcase stores them for its filter: " a b " (a code is found with
    `contains=" a "`, never as a part of another)."""
    return f" {' '.join(sorted(codes))} " if codes else ""


class ShowcaseQuerySet(models.QuerySet["ProjectShowcase"]):
    def visible_to(self, user: Any) -> models.QuerySet[ProjectShowcase]:
        return rules.showcases_visible_to(self, user)


@guard("showcase_incomplete", _("Please give the public page a title and a summary first."))
def _has_title_and_summary(showcase: ProjectShowcase) -> bool:
    return bool(showcase.title.strip()) and bool(showcase.summary.strip())


MODERATION_MESSAGE_MISSING = _("Please tell the grantee what to change.")


class ProjectShowcase(ConcurrentTransitionMixin, models.Model):
    """The public page of one funded project, with the consent of its organisation.

    Created when a member of the grantee organisation consents; public only while it is
    published by the fund's staff and the grant is funded (`selectors.public_showcases`). The
    status carries consent and moderation at once: withdrawing consent is a step of the machine
    (to `withdrawn`), so the page leaves every public list in the same transaction.
    """

    grant = models.OneToOneField(
        "grants.Grant", on_delete=models.CASCADE, related_name="showcase", verbose_name=_("grant")
    )
    slug = models.SlugField(_("address"), max_length=90, unique=True)
    status = FSMField(
        _("status"),
        max_length=16,
        choices=ShowcaseStatus,
        default=ShowcaseStatus.DRAFT,
        protected=True,
        db_index=True,
    )
    title = CleanCharField(_("public title"), max_length=200)
    summary = CleanTextField(_("public summary"), max_length=1000)
    places = CleanCharField(_("places"), max_length=300, blank=True)
    project_format = models.CharField(_("format"), max_length=16, choices=ProjectFormat, blank=True)
    outcome = CleanTextField(_("outcome for the public"), max_length=4000, blank=True)
    consented_at = models.DateTimeField(_("consent given"), default=clock.now)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("consent withdrawn"), null=True, blank=True)
    first_published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    moderation_message = CleanTextField(_("message of the fund"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Copies of what the public list filters and shows from the grant, its application and
    # organisation (whitelisted columns only), so that the list reads one table: written by
    # the services at consent, edit and publication (services.copy_public_fields) and again
    # when the organisation is saved (public/apps.py). Who may see a page is still decided by
    # selectors.public_showcases() alone.
    organisation_name = models.CharField(
        _("organisation"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("Empty for an informal group: its name often names private persons."),
    )
    city = models.CharField(_("city"), max_length=100, blank=True, editable=False)
    country = models.CharField(_("country"), max_length=2, blank=True, editable=False)
    region = models.CharField(_("region"), max_length=8, blank=True, editable=False)
    programme = models.ForeignKey(
        "grants.Programme",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        editable=False,
        verbose_name=_("programme"),
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, editable=False)
    themes = models.CharField(_("themes"), max_length=300, blank=True, editable=False)
    # Title, summary, places, outcome, town and organisation, folded (models.folded).
    search_text = models.TextField(blank=True, editable=False)

    objects = ShowcaseQuerySet.as_manager()
    rules_select_related = ("grant__application__organisation",)

    class Meta:
        verbose_name = _("project showcase")
        verbose_name_plural = _("project showcases")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "published_at"], name="showcase_published"),
            # The list's count and the counts by programme read the published showcases' grants
            # from this index alone, not from the rows with their texts.
            models.Index(fields=["status", "grant"], name="showcase_public_grants"),
            # The list's filters: the published pages of one region (and so on) newest first,
            # their grants beside for the count (an index range, no row read to count).
            models.Index(
                fields=["status", "region", "published_at", "grant"], name="showcase_by_region"
            ),
            models.Index(
                fields=["status", "country", "published_at", "grant"], name="showcase_by_country"
            ),
            models.Index(
                fields=["status", "year", "published_at", "grant"], name="showcase_by_year"
            ),
            models.Index(
                fields=["status", "programme", "published_at", "grant"],
                name="showcase_by_programme",
            ),
            models.Index(
                fields=["status", "project_format", "published_at", "grant"],
                name="showcase_by_format",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("public:project", kwargs={"slug": self.slug})

    def fold_search_text(self) -> str:
        """The search column from the page's own text and its copied town and organisation."""
        parts = (self.title, self.summary, self.places, self.outcome, self.city, self.organisation_name)  # fmt: skip
        return folded(" ".join(part for part in parts if part))

    @property
    def is_editable(self) -> bool:
        return self.status == ShowcaseStatus.DRAFT

    @transition(
        field=status,
        source=ShowcaseStatus.DRAFT,
        target=ShowcaseStatus.SUBMITTED,
        permission=rules.may_manage_showcase,
        conditions=[_has_title_and_summary],
    )
    def submit(self, *, by: Any) -> None:
        """The grantee asks the fund to publish the page."""

    @transition(
        field=status,
        source=ShowcaseStatus.SUBMITTED,
        target=ShowcaseStatus.PUBLISHED,
        permission=rules.may_moderate,
    )
    def publish(self, *, by: Any) -> None:
        now = clock.now()
        self.published_at = now
        if self.first_published_at is None:
            # The address follows the moderated public title, not the application's internal
            # one (which may name a person); once public, it stays, so links keep working.
            self.slug = showcase_slug(self.title, self.grant_id)
            self.first_published_at = now
        self.moderation_message = ""

    @transition(
        field=status,
        source=ShowcaseStatus.SUBMITTED,
        target=ShowcaseStatus.DRAFT,
        permission=rules.may_moderate,
    )
    def request_changes(self, *, by: Any, message: str) -> None:
        self.moderation_message = clean_text(
            message, field="message", required=MODERATION_MESSAGE_MISSING, code="message_missing"
        )

    @transition(
        field=status,
        source=[ShowcaseStatus.SUBMITTED, ShowcaseStatus.PUBLISHED],
        target=ShowcaseStatus.HIDDEN,
        permission=rules.may_moderate,
    )
    def hide(self, *, by: Any, reason: str) -> None:
        self.moderation_message = clean_text(
            reason, field="reason", required=REASON_MISSING, code="reason_missing"
        )

    @transition(
        field=status,
        source=[ShowcaseStatus.SUBMITTED, ShowcaseStatus.PUBLISHED, ShowcaseStatus.HIDDEN],
        target=ShowcaseStatus.DRAFT,
        permission=rules.may_manage_showcase,
    )
    def revise(self, *, by: Any) -> None:
        """Back to a draft to change the text: off the public pages until published again."""

    @transition(
        field=status,
        source=[
            ShowcaseStatus.DRAFT,
            ShowcaseStatus.SUBMITTED,
            ShowcaseStatus.PUBLISHED,
            ShowcaseStatus.HIDDEN,
        ],
        target=ShowcaseStatus.WITHDRAWN,
        permission=rules.may_manage_showcase,
    )
    def withdraw_consent(self, *, by: Any) -> None:
        self.withdrawn_at = clock.now()

    @transition(
        field=status,
        source=ShowcaseStatus.WITHDRAWN,
        target=ShowcaseStatus.DRAFT,
        permission=rules.may_manage_showcase,
    )
    def consent_again(self, *, by: Any) -> None:
        self.consented_at, self.consented_by = clock.now(), by
        self.withdrawn_at = None


class PhotoStatus(models.TextChoices):
    PENDING = "pending", _("waiting for moderation")
    APPROVED = "approved", _("approved")
    HIDDEN = "hidden", _("hidden by the fund")


def photo_path(instance: ShowcasePhoto, filename: str) -> str:
    """A generated name: nothing of what the grantee called the file reaches the file system."""
    return f"showcase/{instance.showcase_id}/{uuid.uuid4().hex}.jpg"


class PhotoQuerySet(models.QuerySet["ShowcasePhoto"]):
    def visible_to(self, user: Any) -> models.QuerySet[ShowcasePhoto]:
        return rules.photos_visible_to(self, user)


class ShowcasePhoto(ConcurrentTransitionMixin, models.Model):
    """A photo of a showcased project: re-encoded as JPEG without its metadata (EXIF, GPS),
    shown only once staff approved it, served through a view that checks publication."""

    showcase = models.ForeignKey(ProjectShowcase, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = CleanCharField(_("caption"), max_length=300, blank=True)
    alt_text = CleanCharField(_("text alternative"), max_length=300)
    rights_confirmed_at = models.DateTimeField(_("image rights confirmed"))
    status = FSMField(
        _("status"),
        max_length=16,
        choices=PhotoStatus,
        default=PhotoStatus.PENDING,
        protected=True,
    )
    hidden_reason = CleanTextField(_("reason"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=clock.now)

    objects = PhotoQuerySet.as_manager()
    rules_select_related = ("showcase__grant__application__organisation",)

    class Meta:
        verbose_name = _("project photo")
        verbose_name_plural = _("project photos")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.alt_text

    def get_absolute_url(self) -> str:
        return reverse(
            "public:project_photo", kwargs={"slug": self.showcase.slug, "photo": self.pk}
        )

    @transition(
        field=status,
        source=[PhotoStatus.PENDING, PhotoStatus.HIDDEN],
        target=PhotoStatus.APPROVED,
        permission=rules.may_moderate,
    )
    def approve(self, *, by: Any) -> None:
        self.hidden_reason = ""

    @transition(
        field=status,
        source=[PhotoStatus.PENDING, PhotoStatus.APPROVED],
        target=PhotoStatus.HIDDEN,
        permission=rules.may_moderate,
    )
    def hide(self, *, by: Any, reason: str) -> None:
        self.hidden_reason = clean_text(
            reason, field="reason", required=REASON_MISSING, code="reason_missing"
        )


class ShowcasePolicy(models.Model):
    """Whether the showcase shows the amount awarded, per programme (the fund's policy; without
    a row the amount is not shown). Kept on the public side: grants' policy fields are the
    workflow's, this one only concerns the public pages."""

    programme = models.OneToOneField(
        "grants.Programme",
        on_delete=models.CASCADE,
        related_name="showcase_policy",
        verbose_name=_("programme"),
    )
    publishes_amount = models.BooleanField(
        _("show the amount awarded on the public project pages"), default=False
    )

    class Meta:
        verbose_name = _("showcase policy")
        verbose_name_plural = _("showcase policies")

    def __str__(self) -> str:
        return str(self.programme)
