"""A conversation per application: the organisation's members and the fund's staff write to each
other (with files) on the application's page and the grant's page; staff keep internal notes
the applicants never read; each side is told by e-mail in its language; the header counts what
is unread; a message can become the formal request for changes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from applications.models import Application
from conversations import selectors, services
from conversations.models import Message, MessageFile, Notice, ReadMarker
from demo import builders as demo
from reviews import services as review_services
from reviews.models import ReviewTask, TaskKind
from workflows import clock
from workflows.errors import InvalidInput
from workflows.models import OutboxMessage, TransitionLog

NOTE = "Interne Notiz: Zxnotizq die Finanzierung wirkt knapp."


@pytest.fixture
def mailoutbox(db: Any, mailoutbox: Any) -> Any:
    return mailoutbox


def pdf(name: str = "Programm.pdf") -> SimpleUploadedFile:
    content = b"%PDF-1.4\n1 0 obj <<>> endobj\n" + b"%" * 100 + b"\ntrailer <<>>\n%%EOF\n"
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def client_of(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def page(client: Client, application: Application, name: str = "applications:detail") -> str:
    answer = client.get(reverse(name, args=[application.pk]))
    assert answer.status_code == 200
    return answer.content.decode()


def write(client: Client, application: Application, **data: Any) -> Any:
    return client.post(reverse("conversations:conversation", args=[application.pk]), data)


@pytest.fixture
def submitted(drive: Any) -> Application:
    return drive("submitted")


def test_the_applicant_writes_with_a_file_and_the_reviewer_answers_on_the_application_page(cast: Any, submitted: Application, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    applicant = client_of(cast.applicant)
    with committed():
        answer = write(
            applicant, submitted, body="Wir haben das Programm angehängt.", attachments=[pdf()]
        )
    message = Message.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/applications/{submitted.pk}/#message-{message.pk}"
    assert not message.from_fund and not message.internal
    [stored] = MessageFile.objects.all()
    assert stored.original_name == "Programm.pdf" and stored.message == message

    reviewer = client_of(cast.reviewer)
    html = page(reviewer, submitted)
    assert "Wir haben das Programm angehängt." in html
    assert reverse("conversations:file", args=[stored.pk]) in html
    download = reviewer.get(reverse("conversations:file", args=[stored.pk]))
    assert download.status_code == 200 and download["Content-Security-Policy"] == "sandbox"

    with committed():
        write(reviewer, submitted, body="Danke, wir prüfen es.")
    reply = Message.objects.latest("pk")
    assert reply.from_fund
    html = page(applicant, submitted)
    assert "Danke, wir prüfen es." in html
    # Applicants read "the fund", never the name of a member of staff.
    assert cast.reviewer.get_full_name() not in html or not cast.reviewer.get_full_name()
    [to_applicant] = OutboxMessage.objects.filter(key=f"conversation_message:{reply.pk}")
    assert to_applicant.to[0] == cast.applicant.email and to_applicant.status == "sent"
    assert "Danke, wir prüfen es." in to_applicant.body_text
    assert to_applicant.language == submitted.language


def test_the_grant_page_shows_the_same_conversation_and_posts_come_back_to_it(cast: Any, drive: Any) -> None:  # fmt: skip
    approved = drive("approved", "accepted")
    applicant = client_of(cast.applicant)
    grant_page = reverse("applications:grant", args=[approved.pk])
    answer = applicant.post(
        reverse("conversations:conversation", args=[approved.pk]),
        {"body": "Das Projekt beginnt eine Woche später.", "next": grant_page},
    )
    assert answer["Location"].startswith(f"{grant_page}#message-")
    assert "Das Projekt beginnt eine Woche später." in page(
        applicant, approved, "applications:grant"
    )
    assert "Das Projekt beginnt eine Woche später." in page(client_of(cast.manager), approved)


def test_the_applicants_message_mails_the_reviewer_who_holds_the_task_in_their_language(cast: Any, submitted: Application, committed: Any) -> None:  # fmt: skip
    task = ReviewTask.objects.get(application=submitted, kind=TaskKind.FORMAL_CHECK)
    review_services.claim(task, by=cast.reviewer)
    services.save_mail_settings(cast.reviewer, delivery="immediate", language="fr")
    with committed():
        message = services.write_message(submitted, by=cast.applicant, body="Une question.")
    [mailed] = OutboxMessage.objects.filter(key__startswith=f"conversation_message:{message.pk}:")
    assert mailed.to == [cast.reviewer.email] and mailed.language == "fr"
    assert "Nouveau message" in mailed.subject and "Une question." in mailed.body_text
    assert Notice.objects.get(message=message, user=cast.reviewer).mailed_at is not None


def test_nobody_follows_yet_so_the_managers_are_told(cast: Any, submitted: Application, committed: Any) -> None:  # fmt: skip
    with committed():
        message = services.write_message(submitted, by=cast.applicant, body="Hallo?")
    told = set(Notice.objects.filter(message=message).values_list("user", flat=True))
    assert told == {cast.manager.pk}
    # From now on the manager follows the conversation: the header counts the message.
    assert selectors.unread_count(cast.manager) == 1


def test_an_internal_note_never_reaches_the_applicant(cast: Any, submitted: Application, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    with committed():
        note = services.write_message(
            submitted, by=cast.reviewer, body=NOTE, internal=True, uploads=[pdf("Notiz.pdf")]
        )
    applicant = client_of(cast.applicant)
    for name in ("applications:detail", "conversations:conversation"):
        assert "Zxnotizq" not in page(applicant, submitted, name)
    assert "Zxnotizq" not in applicant.get(reverse("conversations:inbox")).content.decode()
    assert applicant.get(reverse("conversations:file", args=[note.files.get().pk])).status_code == 404  # fmt: skip
    assert not OutboxMessage.objects.filter(body_text__contains="Zxnotizq").exists()
    assert not [sent for sent in mailoutbox if "Zxnotizq" in sent.body]
    assert not OutboxMessage.objects.filter(key__startswith=f"conversation_message:{note.pk}").exists()  # fmt: skip
    assert selectors.unread_count(cast.applicant) == 0
    # The fund's staff read it, marked as a note.
    html = page(client_of(cast.manager), submitted)
    assert "Zxnotizq" in html and "Internal note" in html


def test_the_header_counts_unread_messages_until_the_page_is_opened(cast: Any, submitted: Application) -> None:  # fmt: skip
    services.write_message(submitted, by=cast.reviewer, body="Erste Frage.")
    services.write_message(submitted, by=cast.reviewer, body="Zweite Frage.")
    applicant = client_of(cast.applicant)
    start = applicant.get(reverse("applications:home")).content.decode()
    assert re.search(r'class="badge">2<', start)
    page(applicant, submitted)
    assert selectors.unread_count(cast.applicant) == 0
    assert 'class="badge">' not in applicant.get(reverse("applications:home")).content.decode()
    # Their own messages are never unread for them.
    services.write_message(submitted, by=cast.applicant, body="Antwort.")
    assert selectors.unread_count(cast.applicant) == 0


def test_the_inbox_lists_the_conversations_with_their_unread_count(cast: Any, submitted: Application, other_applicant: Any) -> None:  # fmt: skip
    services.write_message(submitted, by=cast.reviewer, body="Eine Frage.")
    html = client_of(cast.applicant).get(reverse("conversations:inbox")).content.decode()
    assert submitted.title in html and 'class="badge">1<' in html
    other = client_of(other_applicant).get(reverse("conversations:inbox")).content.decode()
    assert submitted.title not in other


def test_a_reviewer_turns_a_message_into_the_formal_request_for_changes(cast: Any, submitted: Application, committed: Any) -> None:  # fmt: skip
    note = services.write_message(
        submitted, by=cast.reviewer, body="Bitte den Finanzierungsplan ergänzen.", internal=True
    )
    reviewer = client_of(cast.reviewer)
    assert reverse("conversations:request_changes", args=[note.pk]) in page(reviewer, submitted)
    reply_by = clock.today() + timedelta(days=14)
    with committed():
        answer = reviewer.post(
            reverse("conversations:request_changes", args=[note.pk]),
            {"message": "Bitte den Finanzierungsplan ergänzen.", "reply_by": reply_by.isoformat()},
        )
    assert answer.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "changes_requested" and submitted.reply_deadline == reply_by
    log = TransitionLog.objects.for_object(submitted).get(transition="request_changes")
    note.refresh_from_db()
    assert note.change_request == log and log.actor == cast.reviewer
    assert OutboxMessage.objects.filter(key=f"changes_requested:{log.pk}").exists()
    # Once is enough: a second request from the same message is refused, nothing changes.
    again = reviewer.post(
        reverse("conversations:request_changes", args=[note.pk]),
        {"message": "Nochmal.", "reply_by": reply_by.isoformat()},
    )
    assert again.status_code in (302, 400)
    assert TransitionLog.objects.for_object(submitted).filter(transition="request_changes").count() == 1  # fmt: skip


def test_a_manager_who_may_not_check_formally_is_not_offered_the_change_request(cast: Any, submitted: Application) -> None:  # fmt: skip
    message = services.write_message(submitted, by=cast.manager, body="Bitte ändern.")
    manager = client_of(cast.manager)
    offer = reverse("conversations:request_changes", args=[message.pk])
    assert offer not in page(manager, submitted)
    reply_by = (clock.today() + timedelta(days=9)).isoformat()
    answer = manager.post(offer, {"message": "Bitte ändern.", "reply_by": reply_by})
    assert answer.status_code == 302
    [said] = get_messages(answer.wsgi_request)
    assert "the reviewer who checks it" in str(said)
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_an_applicants_message_does_not_become_a_request_for_changes(cast: Any, submitted: Application) -> None:  # fmt: skip
    message = services.write_message(submitted, by=cast.applicant, body="Unsere Frage")
    reviewer = client_of(cast.reviewer)
    offer = reverse("conversations:request_changes", args=[message.pk])
    assert offer not in page(reviewer, submitted)
    reply_by = clock.today() + timedelta(days=9)
    with pytest.raises(InvalidInput):
        services.request_changes_from(message, by=cast.reviewer, text="x", reply_by=reply_by)
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_the_history_shows_the_messages_between_the_steps(cast: Any, submitted: Application) -> None:  # fmt: skip
    message = services.write_message(submitted, by=cast.reviewer, body="Eine Rückfrage zum Budget.")
    html = page(client_of(cast.applicant), submitted)
    history = html[html.index('id="history-title"') : html.index('id="conversation-title"')]
    assert "Application submitted" in history
    assert f'id="message-{message.pk}"' in history and "Eine Rückfrage zum Budget." in history


def test_a_draft_has_no_conversation_yet(cast: Any, draft: Any) -> None:
    applicant = client_of(cast.applicant)
    assert "Once the application is submitted" in page(applicant, draft)
    answer = write(applicant, draft, body="Hallo")
    assert answer.status_code == 404
    assert not Message.objects.exists()


def test_marker_moves_forward_only(cast: Any, submitted: Application) -> None:
    first = services.write_message(submitted, by=cast.reviewer, body="Eins")
    second = services.write_message(submitted, by=cast.reviewer, body="Zwei")
    services.mark_read(second.conversation_id, by=cast.applicant, up_to=second.pk)
    services.mark_read(first.conversation_id, by=cast.applicant, up_to=first.pk)
    assert ReadMarker.objects.get(user=cast.applicant).last_read_id == second.pk


def test_another_member_of_the_organisation_is_told_nothing_but_counts_it_unread(cast: Any, submitted: Application) -> None:  # fmt: skip
    from organisations import services as organisation_services

    colleague = demo.make_user("colleague")
    organisation_services.add_member(cast.organisation, colleague)
    services.write_message(submitted, by=cast.applicant, body="Von mir.")
    assert selectors.unread_count(colleague) == 1
    assert not [sent for sent in mail.outbox if colleague.email in sent.to]


def test_markup_typed_into_a_message_or_a_file_name_shows_as_text_on_every_page(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    accepted = drive("approved", "accepted")
    typed = "<script>alert('x')</script> Zeile eins\nZeile & zwei"
    with committed():
        answer = write(client_of(cast.applicant), accepted, body=typed, attachments=[pdf("Plan & <Co>'s.pdf")])  # fmt: skip
    assert answer.status_code == 302
    for name in ("applications:detail", "applications:grant"):
        html = page(client_of(cast.reviewer), accepted, name)
        assert "<script>alert" not in html and "<Co>" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Zeile eins<br>Zeile &amp; zwei" in html  # fmt: skip
        name = MessageFile.objects.get().original_name
        assert "&" in name and escape(name) in html
