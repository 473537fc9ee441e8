"""The conversation on the application's page (its messages in the history, the form below it)
and on the grant's page (messages and form), registered with `applications.sections`.

Opening either page counts as reading the conversation up to its newest message.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from applications import sections
from applications.models import Application
from applications.selectors import TimelineEntry
from conversations import services
from conversations.forms import MessageForm
from conversations.selectors import ConversationPage, MessageView, conversation_page

LABELS = {
    "note": _("Internal note"),
    "fund": _("Message from the fund"),
    "organisation": _("Message from the organisation"),
}


def conversation_section(
    request: HttpRequest, application: Application, page: str
) -> sections.Section | None:
    if application.status == "draft":
        if page != sections.DETAIL:
            return None
        return sections.Section("conversations/_before_submission.html", {})
    found = conversation_page(application, request.user)
    if not found.access.reads:
        return None
    # Reading is a GET (a page that answers a POST like a GET records nothing).
    unread = found.conversation_id is not None and found.newest_id > found.last_read_id
    if unread and request.method == "GET" and found.conversation_id is not None:
        services.mark_read(
            found.conversation_id, by=request.user, up_to=found.newest_id, known=found.has_marker
        )
    context = panel_context(request, found, form=None, in_history=page == sections.DETAIL)
    if page != sections.DETAIL:
        return sections.Section("conversations/_conversation.html", context)
    history = [
        TimelineEntry(
            at=message.created_at,
            label=str(LABELS[_kind(message)]),
            by_applicant=not message.from_fund,
            note="",
            html=message.html,
        )
        for message in found.messages
    ]
    return sections.Section("conversations/_conversation.html", context, history)


def _kind(message: MessageView) -> str:
    if message.internal:
        return "note"
    return "fund" if message.from_fund else "organisation"


def panel_context(
    request: HttpRequest,
    found: ConversationPage,
    *,
    form: MessageForm | None,
    in_history: bool,
    back: str = "",
) -> dict[str, object]:
    """What `_conversation.html` draws: the messages (unless the page's history shows them),
    the form (bound, with its errors and the typed text, after a refused post)."""
    application = found.application
    return {
        "application": application,
        "page": found,
        "messages": [] if in_history else found.messages,
        "in_history": in_history,
        "form": form or MessageForm(notes=found.access.staff),
        "notes": found.access.staff,
        "back": back or request.get_full_path(),
        "write_url": reverse("conversations:conversation", args=[application.pk]),
    }
