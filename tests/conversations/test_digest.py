"""Staff who chose the hourly digest get one e-mail an hour with the applicants' messages they
have not read, from the deadline scheduler's job (`run_deadlines`), instead of one per message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from applications.models import Application
from conversations import services
from conversations.models import MailSettings, Notice
from reviews import services as review_services
from reviews.models import ReviewTask, TaskKind
from workflows import clock, deadlines
from workflows.models import OutboxMessage


@pytest.fixture
def submitted(drive: Any, cast: Any) -> Application:
    application = drive("submitted")
    task = ReviewTask.objects.get(application=application, kind=TaskKind.FORMAL_CHECK)
    review_services.claim(task, by=cast.reviewer)
    services.save_mail_settings(cast.reviewer, delivery="hourly", language="de")
    return application


def digests() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(key__startswith="conversation_digest:").order_by("pk"))


def test_no_mail_per_message_but_one_digest_in_the_hour(cast: Any, submitted: Application, committed: Any) -> None:  # fmt: skip
    with committed():
        first = services.write_message(submitted, by=cast.applicant, body="Erste Frage")
        second = services.write_message(submitted, by=cast.applicant, body="Zweite Frage")
    assert not OutboxMessage.objects.filter(key__startswith="conversation_message:").exists()
    assert Notice.objects.filter(user=cast.reviewer, mailed_at__isnull=True).count() == 2

    with committed():
        result = deadlines.run_all(names=["conversation_digest"])
    assert result == {"conversation_digest": 1} and result.ok
    [digest] = digests()
    assert digest.to == [cast.reviewer.email] and digest.language == "de"
    assert digest.subject == "2 neue Nachrichten von Antragstellenden"
    assert "Erste Frage" in digest.body_text and "Zweite Frage" in digest.body_text
    assert submitted.reference in digest.body_text
    assert not Notice.objects.filter(mailed_at__isnull=True).exists()
    assert {first.pk, second.pk} == set(Notice.objects.values_list("message_id", flat=True))

    # A second run in the same hour, and a new message in that hour: nothing more now.
    with committed():
        services.write_message(submitted, by=cast.applicant, body="Dritte Frage")
        assert deadlines.run_all(names=["conversation_digest"]) == {"conversation_digest": 0}
    assert len(digests()) == 1
    # The next hour's run sends it.
    with committed():
        deadlines.run_all(clock.now() + timedelta(hours=1), names=["conversation_digest"])
    assert len(digests()) == 2 and "Dritte Frage" in digests()[1].body_text


def test_what_was_read_meanwhile_is_left_out(cast: Any, submitted: Application, client: Any) -> None:  # fmt: skip
    services.tell_the_other_side(
        services.write_message(submitted, by=cast.applicant, body="Schon gelesen").pk
    )
    client.force_login(cast.reviewer)
    client.get(reverse("applications:detail", args=[submitted.pk]))
    assert deadlines.run_all(names=["conversation_digest"]) == {"conversation_digest": 0}
    assert digests() == []
    assert not Notice.objects.filter(mailed_at__isnull=True).exists()


def test_a_reviewer_who_falls_into_conflict_is_not_sent_the_message(cast: Any, submitted: Application) -> None:  # fmt: skip
    message = services.write_message(submitted, by=cast.applicant, body="Vertraulich")
    services.tell_the_other_side(message.pk)
    review_services.declare_conflict(submitted, by=cast.reviewer, note="Verwandt")
    deadlines.run_all(names=["conversation_digest"])
    assert digests() == []


def test_the_scheduler_command_runs_the_digest_job(cast: Any, submitted: Application) -> None:
    services.tell_the_other_side(
        services.write_message(submitted, by=cast.applicant, body="Per Kommando").pk
    )
    call_command("run_deadlines", "--job", "conversation_digest", verbosity=0)
    assert len(digests()) == 1


def test_the_settings_page_is_for_staff(cast: Any, client: Any) -> None:
    client.force_login(cast.manager)
    url = reverse("conversations:settings")
    assert client.get(url).status_code == 200
    answer = client.post(url, {"delivery": "hourly", "language": "fr"})
    assert answer.status_code == 302
    assert MailSettings.objects.get(user=cast.manager).delivery == "hourly"
    assert client.post(url, {"delivery": "weekly", "language": "fr"}).status_code == 400
    client.force_login(cast.applicant)
    assert client.get(url).status_code == 403
