"""Reads of the partner exchange: the public list, one post, an organisation's own posts and
the inbox. Each returns what its page shows with the relations it needs."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from grants.models import Fund
from organisations.rules import memberships_of
from partners.choices import MessageStatus
from partners.models import PartnerMessage, PartnerPost
from workflows.roles import is_active_user

COUNTRY_NAMES = {"DE": _("Germany"), "FR": _("France")}


def country_choices(fund: Fund | None) -> list[tuple[str, str]]:
    """The countries the fund connects, each with its name where one is known."""
    codes = [str(c).upper() for c in (fund.countries if fund is not None else [])]
    return [(code, str(COUNTRY_NAMES.get(code, code))) for code in codes]


def public_posts() -> QuerySet[PartnerPost]:
    """Live posts, newest first, with the organisation their public face is read from."""
    return PartnerPost.objects.live().select_related("organisation").order_by("-created_at", "-pk")


def post_for(user: Any, pk: int) -> PartnerPost | None:
    """One post as `user` may see it (live ones for everybody), or None."""
    return (
        PartnerPost.objects.visible_to(user)
        .select_related("organisation", "fund")
        .filter(pk=pk)
        .first()
    )


def posts_of_my_organisations(user: Any) -> QuerySet[PartnerPost]:
    if not is_active_user(user):
        return PartnerPost.objects.none()
    return (
        PartnerPost.objects.filter(organisation__in=memberships_of(user).values("organisation_id"))
        .select_related("organisation")
        .order_by("-created_at", "-pk")
    )


def inbox_of(user: Any) -> tuple[list[PartnerMessage], list[PartnerMessage]]:
    """(messages to the user's organisations, messages the user sent), newest first."""
    if not is_active_user(user):
        return [], []
    visible = (
        PartnerMessage.objects.visible_to(user)
        .select_related("post__organisation", "sender_organisation")
        .order_by("-created_at", "-pk")
    )
    mine = memberships_of(user).values("organisation_id")
    received = list(
        visible.filter(post__organisation__in=mine).exclude(status=MessageStatus.HIDDEN)
    )
    sent = list(visible.filter(Q(sender=user)))
    return received, sent


def message_for(user: Any, pk: int) -> PartnerMessage | None:
    return (
        PartnerMessage.objects.visible_to(user)
        .select_related("post__organisation", "sender", "sender_organisation", "replied_by")
        .filter(pk=pk)
        .first()
    )
