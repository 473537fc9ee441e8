"""Races on PostgreSQL with real threads: messages written at the same moment each land once in
one conversation; the files of a conversation never pass its total limit; the side effect of a
message run twice at once tells each recipient once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Application
from conversations import services
from conversations.models import Conversation, Message, MessageFile, Notice, ReadMarker
from reviews import services as review_services
from reviews.models import ReviewTask, TaskKind
from tests.conftest import on_postgresql
from tests.test_concurrency_pg import race, user
from workflows.errors import InvalidInput
from workflows.models import OutboxMessage

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 8


def pdf(number: int) -> SimpleUploadedFile:
    content = b"%PDF-1.4\n1 0 obj <<>> endobj\n" + b"%" * 200 + b"\ntrailer <<>>\n%%EOF\n"
    return SimpleUploadedFile(f"Plan-{number}.pdf", content, content_type="application/pdf")


@pytest.fixture
def submitted(drive: Any) -> Application:
    return drive("submitted")


def test_first_messages_written_at_once_share_one_conversation(cast: Any, submitted: Application) -> None:  # fmt: skip
    authors = [cast.applicant.pk, cast.reviewer.pk] * (THREADS // 2)

    def write(number: int, author: int) -> Any:
        application = Application.objects.get(pk=submitted.pk)
        return services.write_message(application, by=user(author), body=f"Nachricht {number}")

    outcomes = race([lambda n=n, a=a: write(n, a) for n, a in enumerate(authors)])
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == THREADS
    assert {m.conversation_id for m in Message.objects.all()} == {Conversation.objects.get().pk}
    # One marker per author (and per manager told of the applicant's messages), each at the
    # author's latest message or beyond.
    for author in (cast.applicant, cast.reviewer):
        [marker] = ReadMarker.objects.filter(user=author)
        latest = Message.objects.filter(author=author).latest("pk").pk
        assert marker.last_read_id >= latest


def test_the_files_of_a_conversation_never_pass_the_total_limit(cast: Any, submitted: Application, settings: Any) -> None:  # fmt: skip
    size = pdf(0).size
    settings.MICROGRANTS_ATTACHMENTS_TOTAL_MAX_BYTES = size * 3

    def write(number: int) -> Any:
        application = Application.objects.get(pk=submitted.pk)
        return services.write_message(
            application, by=user(cast.applicant.pk), body=f"Datei {number}", uploads=[pdf(number)]
        )

    outcomes = race([lambda n=n: write(n) for n in range(THREADS)])
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == THREADS - 3
    assert all(isinstance(o, InvalidInput) and o.code == "files_total" for o in refused), refused
    assert MessageFile.objects.count() == 3 and Message.objects.count() == 3


def test_the_side_effect_run_twice_at_once_tells_each_recipient_once(cast: Any, submitted: Application) -> None:  # fmt: skip
    task = ReviewTask.objects.get(application=submitted, kind=TaskKind.FORMAL_CHECK)
    review_services.claim(task, by=cast.reviewer)
    message = services.write_message(submitted, by=cast.applicant, body="Eine Frage")
    outcomes = race([lambda: services.tell_the_other_side(message.pk) for _ in range(4)])
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert Notice.objects.filter(message=message).count() == 1
    assert OutboxMessage.objects.filter(key__startswith=f"conversation_message:{message.pk}:").count() == 1  # fmt: skip
