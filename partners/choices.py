"""What a partner post looks for, beside the themes of the applications and the regions of the
organisations: the format of the meeting and the people it is for; the states of posts, messages
and reports of abuse."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PostFormat(models.TextChoices):
    EXCHANGE = "exchange", _("exchange visit")
    WORKSHOP = "workshop", _("workshop or seminar")
    FESTIVAL = "festival", _("festival or public event")
    SPORT = "sport", _("sports meeting")
    CONCERT = "concert", _("concert or performance")
    CONFERENCE = "conference", _("conference or debate")
    ONLINE = "online", _("online meeting")
    OTHER = "other", _("other format")


class TargetGroup(models.TextChoices):
    CHILDREN = "children", _("children")
    YOUTH = "youth", _("young people")
    ADULTS = "adults", _("adults")
    SENIORS = "seniors", _("older people")
    FAMILIES = "families", _("families")
    SCHOOLS = "schools", _("school classes")
    VOLUNTEERS = "volunteers", _("volunteers and associations")
    EVERYONE = "everyone", _("everyone (general public)")


class FacetKind(models.TextChoices):
    """The lists of a post a visitor filters by (one `PostFacet` row per code)."""

    REGION = "region", _("region")
    THEME = "theme", _("theme")
    FORMAT = "format", _("format")
    TARGET_GROUP = "target_group", _("target group")
    LANGUAGE = "language", _("language")


class ReportReason(models.TextChoices):
    SPAM = "spam", _("spam or advertising")
    OFFENSIVE = "offensive", _("offensive or hateful content")
    FAKE = "fake", _("fake organisation or fraud")
    PERSONAL_DATA = "personal_data", _("personal data of someone else")
    OTHER = "other", _("something else")


class PostStatus(models.TextChoices):
    """Whether a post is shown; its expiry is a date beside the status (`expires_on`)."""

    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")
    HIDDEN = "hidden", _("hidden by the fund")


class MessageStatus(models.TextChoices):
    VISIBLE = "visible", _("visible")
    HIDDEN = "hidden", _("hidden by the fund")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACTED = "acted", _("acted on")
    DISMISSED = "dismissed", _("dismissed")
