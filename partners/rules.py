"""Who may see and do what on the partner exchange; every page, the admin and the services ask
these.

- A live post (status open, not expired) is public: anyone reads it, signed in or not.
- The members of the posting organisation also see its closed, expired and hidden posts, and
  they alone edit, renew and close them. Administrators see every post, and they alone hide and
  show posts and messages and act on or dismiss reports of abuse.
- A message is seen by its sender and by the members of the organisation it was sent to (and
  by administrators, in the admin); only those members reply, once.
- Anyone signed in contacts the organisation of a live post, except its own members.

Predicates take (obj, user); the transitions of the three state machines name them as their
`permission=`, so `workflows.perform()` asks the same question as the pages and the admin. This
module imports no model of its own app; it works on the querysets and objects it is given (the
states are the strings of `partners.choices`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from organisations.rules import memberships_of
from partners.choices import MessageStatus, PostStatus
from workflows import clock
from workflows.roles import Role, has_role, is_active_user

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from partners.models import PartnerMessage, PartnerPost


def live_posts(today: Any = None) -> Q:
    """Open (neither closed nor hidden) and not expired."""
    return Q(status=PostStatus.OPEN, expires_on__gte=today or clock.today())


def _own_organisations(user: Any) -> Any:
    return memberships_of(user).values("organisation_id")


def posts_visible_to(queryset: QuerySet[PartnerPost], user: Any) -> QuerySet[PartnerPost]:
    if is_moderator(user):
        return queryset
    if not is_active_user(user):
        return queryset.filter(live_posts())
    return queryset.filter(live_posts() | Q(organisation__in=_own_organisations(user)))


def messages_visible_to(queryset: QuerySet[PartnerMessage], user: Any) -> QuerySet[PartnerMessage]:
    if is_moderator(user):
        return queryset
    if not is_active_user(user):
        return queryset.none()
    return queryset.filter(Q(sender=user) | Q(post__organisation__in=_own_organisations(user)))


def can_edit_post(post: Any, user: Any) -> bool:
    """Edit, renew and close (the `close` transition): the members of the posting organisation."""
    return post.organisation.has_member(user)


def can_contact(post: PartnerPost, user: Any) -> bool:
    """Anyone signed in, about a live post of an organisation they do not belong to."""
    return is_active_user(user) and post.is_live() and not post.organisation.has_member(user)


def can_reply(message: PartnerMessage, user: Any) -> bool:
    """The members of the organisation written to, once, to a message the fund did not hide."""
    return (
        message.post.organisation.has_member(user)
        and message.replied_at is None
        and message.status != MessageStatus.HIDDEN
    )


def is_moderator(user: Any) -> bool:
    """Hiding posts and messages and handling reports: the fund's administrators (they alone
    read private messages, when one is reported)."""
    return has_role(user, Role.ADMINISTRATOR)


def may_moderate(obj: Any, user: Any) -> bool:
    """The permission of `hide` and `show` (posts, messages) and of `act` and `dismiss`
    (reports): a moderator, whatever the object."""
    return is_moderator(user)
