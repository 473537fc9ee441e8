"""`/api/v1/messages/`: the messages of the conversations the caller reads as staff, oldest
first, filtered by application; internal notes are marked. Funders (and applicants) have none."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from conversations.api.serializers import MessageSerializer
from conversations.models import Message
from grants.api.auth import HasApiAccess
from grants.api.views import ApiReadViewSet
from workflows.api.filters import (
    BooleanFilter,
    IdFilter,
    OrderingFilter,
    QueryFilterSet,
    date_range,
)
from workflows.roles import STAFF_ROLES, has_role


class MayReadConversations(BasePermission):
    message = _("Only the fund's staff read the conversations.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, *STAFF_ROLES)


class MessageFilter(QueryFilterSet):
    application = IdFilter(field_name="conversation__application", label=_("Application"))
    internal = BooleanFilter(field_name="internal", label=_("Internal note"))
    written_from, written_to = date_range("created_at__date", _("Written"))
    ordering = OrderingFilter(fields=("created_at", "id"))

    class Meta:
        model = Message
        fields: list[str] = []


def messages_for(user: Any) -> QuerySet[Message]:
    """What the caller reads (conversations.rules: no conflict, their programmes, the token's)."""
    return (
        Message.objects.visible_to(user)
        .select_related("author", "conversation__application")
        .prefetch_related("files")
        .order_by("created_at", "id")
    )


@extend_schema_view(
    list=extend_schema(
        summary="Messages of the conversations (staff)",
        description="The messages between applicants and the fund and the fund's internal "
        "notes, of the applications the caller sees behind (no conflict, within the token's "
        "programmes); oldest first. Funders read no conversation.",
        tags=["conversations"],
    ),
    retrieve=extend_schema(summary="One message (staff)", tags=["conversations"]),
)
class MessageViewSet(ApiReadViewSet[Message]):
    serializer_class = MessageSerializer
    filterset_class = MessageFilter
    permission_classes = [HasApiAccess, MayReadConversations]

    def get_queryset(self) -> QuerySet[Message]:
        return messages_for(self.request.user)
