"""Bad input in a conversation gets a clear error, changes nothing, and keeps the typed text; a
message is stored before any e-mail and survives a mail server that is down."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from applications.models import Application
from conversations import services
from conversations.models import FILES_PER_MESSAGE, MESSAGE_MAX, Message, MessageFile
from workflows.errors import InvalidInput, TransitionForbidden
from workflows.models import OutboxMessage, SideEffect
from workflows.storage import StorageUnavailable

TYPED = "Mein sorgfältig getippter Text, der nicht verloren gehen darf."


def pdf(name: str = "Plan.pdf") -> SimpleUploadedFile:
    content = b"%PDF-1.4\n1 0 obj <<>> endobj\n" + b"%" * 100 + b"\ntrailer <<>>\n%%EOF\n"
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def client_of(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def submitted(drive: Any) -> Application:
    return drive("submitted")


def post(user: Any, application: Application, **data: Any) -> Any:
    return client_of(user).post(reverse("conversations:conversation", args=[application.pk]), data)


def nothing_stored() -> bool:
    return not Message.objects.exists() and not MessageFile.objects.exists()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("", "Please write your message."),
        ("   \n  ", "Please write your message."),
        ("Hallo\x00Welt", "The text contains an invalid character."),
        ("x" * (MESSAGE_MAX + 1), f"at most {MESSAGE_MAX:,}".replace(",", "")),
    ],
    ids=["empty", "blank", "nul-byte", "huge"],
)
def test_a_refused_text_is_said_and_nothing_is_stored(cast: Any, submitted: Application, body: str, says: str) -> None:  # fmt: skip
    answer = post(cast.applicant, submitted, body=body)
    assert answer.status_code == 400
    html = answer.content.decode()
    assert says in html.replace("\u202f", "").replace(",", "")
    assert nothing_stored()
    assert not SideEffect.objects.filter(event=services.MESSAGE_WRITTEN).exists()


def test_a_file_of_a_kind_not_accepted_is_named_the_text_stays(cast: Any, submitted: Application) -> None:  # fmt: skip
    program = SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 200)
    answer = post(cast.applicant, submitted, body=TYPED, attachments=[pdf(), program])
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "“setup.exe”" in html and "This kind of file is not accepted" in html
    assert TYPED in html  # the textarea holds what was typed
    assert nothing_stored()


def test_an_empty_file_and_too_many_files_are_refused(cast: Any, submitted: Application) -> None:  # fmt: skip
    empty = SimpleUploadedFile("leer.pdf", b"")
    answer = post(cast.applicant, submitted, body=TYPED, attachments=[empty])
    assert answer.status_code == 400 and "This file is empty" in answer.content.decode()
    many = [pdf(f"Plan{number}.pdf") for number in range(FILES_PER_MESSAGE + 1)]
    answer = post(cast.applicant, submitted, body=TYPED, attachments=many)
    assert answer.status_code == 400 and "at most 5 files" in answer.content.decode()
    assert nothing_stored()


def test_the_files_of_a_conversation_stay_within_the_total_limit(cast: Any, submitted: Application, settings: Any) -> None:  # fmt: skip
    settings.MICROGRANTS_ATTACHMENTS_TOTAL_MAX_BYTES = 300
    services.write_message(submitted, by=cast.applicant, body="Erster Plan", uploads=[pdf()])
    with pytest.raises(InvalidInput) as refused:
        services.write_message(submitted, by=cast.applicant, body="Zweiter", uploads=[pdf(), pdf()])
    assert refused.value.code == "files_total" and refused.value.field == "attachments"
    assert Message.objects.count() == 1 and MessageFile.objects.count() == 1


def test_a_message_to_a_foreign_application_is_not_found(cast: Any, submitted: Application, other_applicant: Any) -> None:  # fmt: skip
    answer = post(other_applicant, submitted, body="Hallo Nachbarn")
    assert answer.status_code == 404
    with pytest.raises(TransitionForbidden):
        services.write_message(submitted, by=other_applicant, body="Hallo Nachbarn")
    assert nothing_stored()


def test_an_applicant_cannot_write_an_internal_note(cast: Any, submitted: Application) -> None:
    answer = post(cast.applicant, submitted, body="Nur für den Fonds?", internal="on")
    # The form has no such field for applicants: the message is an ordinary one.
    assert answer.status_code == 302
    assert Message.objects.get().internal is False
    with pytest.raises(TransitionForbidden):
        services.write_message(submitted, by=cast.applicant, body="Notiz", internal=True)


def test_a_storage_that_fails_keeps_the_text_and_stores_nothing(cast: Any, submitted: Application, monkeypatch: Any) -> None:  # fmt: skip
    def full(*args: Any, **kwargs: Any) -> Any:
        raise StorageUnavailable()

    monkeypatch.setattr("workflows.storage.FileWrites.save", full)
    answer = post(cast.applicant, submitted, body=TYPED, attachments=[pdf()])
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "could not be stored" in html and TYPED in html
    assert nothing_stored()


def test_the_message_is_stored_before_any_mail_and_survives_a_mail_server_that_is_down(cast: Any, submitted: Application, committed: Any, settings: Any, monkeypatch: Any) -> None:  # fmt: skip
    def refuse(self: Any, *args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with committed():
        answer = post(cast.reviewer, submitted, body="Wir brauchen noch den Vereinsregisterauszug.")
    assert answer.status_code == 302
    message = Message.objects.get()
    queued = OutboxMessage.objects.get(key=f"conversation_message:{message.pk}")
    assert queued.status == "retrying" and "mail server down" in queued.last_error
    assert message.body == "Wir brauchen noch den Vereinsregisterauszug."


def test_a_failing_side_effect_never_loses_the_message(cast: Any, submitted: Application, committed: Any, monkeypatch: Any) -> None:  # fmt: skip
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("template broken")

    monkeypatch.setattr("conversations.emails.message_to_applicants", broken)
    with committed():
        message = services.write_message(submitted, by=cast.reviewer, body="Bitte melden.")
    assert Message.objects.filter(pk=message.pk).exists()
    effect = SideEffect.objects.get(event="conversations.message_written")
    assert effect.status == "pending" and "template broken" in effect.last_error
