"""The application's page with a long conversation reads a fixed number of queries, whoever
reads it (issue 16: a 200-message conversation in at most 15 queries); so do the grant's page,
the conversation's page and the header's count."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from conversations import selectors
from conversations.models import Conversation, Message, MessageFile, ReadMarker
from workflows import clock

PAGE_QUERIES = 15


def long_conversation(application: Application, cast: Any, count: int) -> None:
    """`count` messages of both sides (notes and files among them), written in bulk: the
    services' own rows are not what this measures."""
    conversation = Conversation.objects.create(application=application)
    now = clock.now()
    messages = Message.objects.bulk_create(
        Message(
            conversation=conversation,
            author=cast.applicant if number % 2 else cast.reviewer,
            from_fund=not number % 2,
            internal=number % 10 == 0,
            body=f"Nachricht {number}: " + "Wir planen die Begegnung. " * 8,
            created_at=now,
        )
        for number in range(count)
    )
    MessageFile.objects.bulk_create(
        MessageFile(
            message=message,
            application=application,
            file=f"conversations/{application.pk}/file{message.pk}",
            original_name=f"Anhang {message.pk}.pdf",
            content_type="application/pdf",
            size=1000,
            sha256="0" * 64,
        )
        for message in messages[::7]
    )


def queries_of(user: Any, url: str) -> tuple[int, bytes]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.get(url)  # the first visit marks the conversation read: measure a later one too
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(url)
    assert answer.status_code == 200
    return len(captured), answer.content


@pytest.mark.parametrize("role", ["applicant", "reviewer", "manager", "admin"])
def test_the_application_page_with_200_messages_stays_within_15_queries(cast: Any, drive: Any, role: str) -> None:  # fmt: skip
    application = drive("submitted")
    long_conversation(application, cast, 200)
    user = getattr(cast, role)
    count, body = queries_of(user, reverse("applications:detail", args=[application.pk]))
    assert count <= PAGE_QUERIES
    shown = body.count(b'class="message ')
    assert shown == (180 if role == "applicant" else 200)


@pytest.mark.parametrize("role", ["applicant", "reviewer"])
def test_a_first_visit_with_everything_unread_stays_within_15_queries_too(cast: Any, drive: Any, django_assert_max_num_queries: Any, role: str) -> None:  # fmt: skip
    application = drive("submitted")
    long_conversation(application, cast, 200)
    user = getattr(cast, role)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    with django_assert_max_num_queries(PAGE_QUERIES):
        client.get(reverse("applications:detail", args=[application.pk]))
    assert ReadMarker.objects.get(user=user).last_read_id == Message.objects.latest("pk").pk
    # A second visit: the marker exists and moves with one update when something is new.
    Message.objects.create(conversation=Conversation.objects.get(), author=cast.finance, from_fund=True, body="Neu")  # fmt: skip
    with django_assert_max_num_queries(PAGE_QUERIES):
        client.get(reverse("applications:detail", args=[application.pk]))
    assert ReadMarker.objects.get(user=user).last_read_id == Message.objects.latest("pk").pk


def test_the_grant_and_conversation_pages_do_not_grow_with_the_conversation(cast: Any, drive: Any) -> None:  # fmt: skip
    application = drive("approved", "accepted")
    long_conversation(application, cast, 20)
    small = [
        queries_of(cast.applicant, reverse(name, args=[application.pk]))[0]
        for name in ("applications:grant", "conversations:conversation")
    ]
    Message.objects.all().delete()
    Conversation.objects.all().delete()
    long_conversation(application, cast, 200)
    large = [
        queries_of(cast.applicant, reverse(name, args=[application.pk]))[0]
        for name in ("applications:grant", "conversations:conversation")
    ]
    assert large == small


def test_the_header_count_is_one_query(cast: Any, drive: Any, django_assert_num_queries: Any) -> None:  # fmt: skip
    application = drive("submitted")
    long_conversation(application, cast, 50)
    # The roles are read once per request (the header's other links ask them first).
    cast.applicant._microgrants_roles = frozenset()
    cast.manager._microgrants_roles = frozenset({"programme_manager"})
    with django_assert_num_queries(1):
        assert selectors.unread_count(cast.applicant) == 20
    ReadMarker.objects.create(user=cast.manager, conversation=Conversation.objects.get())
    with django_assert_num_queries(1):
        assert selectors.unread_count(cast.manager) == 50  # notes too, none of them his
