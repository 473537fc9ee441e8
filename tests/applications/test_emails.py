"""The e-mails to applicants: queued once by the transitions and reminders, in the
application's language, to the organisation's active members, sent after the commit."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from applications import emails, emails_effects, services
from applications.models import Application
from demo import builders as demo
from grants import services as grant_services
from grants.models import Grant
from organisations import services as organisation_services
from workflows import clock, effects
from workflows.effects import run_side_effect
from workflows.models import OutboxMessage, TransitionLog
from workflows.outbox import send_outbox_message

APPLICANT = "applicant@example.org"
FUND_NAMES = {language: demo.FUND_NAMES[f"name_{language}"] for language in ("de", "fr", "en")}
SIGN_OFFS = {language: demo.FUND_IDENTITY[f"mail_sign_off_{language}"] for language in ("de", "fr", "en")}  # fmt: skip


@pytest.fixture
def mailoutbox(db: Any, mailoutbox: Any) -> Any:
    # The database fixture empties the outbox by replacing it, so take the outbox after it.
    return mailoutbox


def log_of(obj: Any, transition: str) -> TransitionLog:
    return TransitionLog.objects.for_object(obj).get(transition=transition)


def mails(prefix: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(key__startswith=f"{prefix}:").order_by("pk"))


def formatted(day: Any, language: str) -> str:
    with translation.override(language):
        return date_format(day, "DATE_FORMAT")


def french_draft(other_organisation: Any, other_applicant: Any, cast: Any) -> Application:
    draft = demo.make_ready_draft(other_organisation, fund=cast.fund, by=other_applicant, partner_country="DE")  # fmt: skip
    Application.objects.filter(pk=draft.pk).update(language="fr")
    draft.refresh_from_db()
    return draft


# --- transitions -------------------------------------------------------------------------------


def test_a_submission_mails_the_active_members_and_the_organisation_once_in_german(cast: Any, draft: Any, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    organisation = cast.organisation
    type(organisation).objects.filter(pk=organisation.pk).update(email="info@partnerschaft.example")  # fmt: skip
    organisation_services.add_member(organisation, demo.make_user("colleague"))
    left = organisation_services.add_member(organisation, demo.make_user("former"))
    left.is_active = False
    left.save()
    with committed():
        application = services.submit_application(draft, by=cast.applicant)
    [message] = mails("application_submitted")
    assert message.key == f"application_submitted:{log_of(application, 'submit').pk}"
    assert message.to == [APPLICANT, "colleague@example.org", "info@partnerschaft.example"]
    assert message.language == "de" and message.status == "sent"
    assert message.subject == f"Antrag eingereicht: {application.reference} – {application.title}"
    assert f"{emails.SITE_URL}/applications/{application.pk}/" in message.body_text
    assert 'lang="de"' in message.body_html
    [sent] = mailoutbox
    assert sent.to == message.to and sent.subject == message.subject


def test_a_french_application_gets_its_mails_in_french(cast: Any, other_organisation: Any, other_applicant: Any, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    draft = french_draft(other_organisation, other_applicant, cast)
    reply_by = clock.today() + timedelta(days=14)
    with committed():
        application = services.submit_application(draft, by=other_applicant)
        services.request_changes(application, by=cast.reviewer, message="Merci de préciser le budget.", reply_by=reply_by)  # fmt: skip
    [submitted] = mails("application_submitted")
    [changes] = mails("changes_requested")
    assert submitted.language == changes.language == "fr"
    assert submitted.subject.startswith("Demande déposée\u00a0: ")
    assert changes.subject.startswith("Le fonds a demandé des compléments\u00a0: ")
    assert "Merci de préciser le budget." in changes.body_text
    assert formatted(reply_by, "fr") in changes.body_text and 'lang="fr"' in changes.body_html
    assert [m.to for m in mailoutbox] == [["applicant-b@example.org"]] * 2


def test_a_rolled_back_transition_queues_and_sends_nothing(cast: Any, draft: Any, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        services.submit_application(draft, by=cast.applicant)
        raise RuntimeError("something after the transition fails")
    assert not OutboxMessage.objects.exists()
    assert mailoutbox == []
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_running_the_side_effect_or_the_send_task_again_sends_once(cast: Any, draft: Any, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    with committed():
        application = services.submit_application(draft, by=cast.applicant)
    log = log_of(application, "submit")
    with committed():
        emails_effects.mail_application_submitted(log)
        for effect in log.side_effects.all():
            assert run_side_effect.call(effect.pk) == "already_done"
            assert effects.run(effect.pk, force=True) == "already_done"
        assert emails.application_submitted(application, log) is None
    [message] = mails("application_submitted")
    assert send_outbox_message.call(message.pk) == "already_sent"
    assert len(mailoutbox) == 1


def test_an_approval_tells_the_amount_and_the_acceptance_deadline(cast: Any, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    with committed():
        application = demo.drive(cast, "approved", requested=Decimal("4000.00"))
    grant = Grant.objects.get(application=application)
    [message] = mails("application_decided")
    assert message.key == f"application_decided:{log_of(application, 'approve').pk}"
    # The subject names the letter as the fund's letters name it (an agreement, in the demo).
    assert message.subject.startswith("Bewilligt (Bewilligungsschreiben und Zuwendungsvertrag): ")
    assert "4.000,00 EUR" in message.body_text
    assert formatted(grant.offer_expires_on, "de") in message.body_text
    assert f"/applications/{application.pk}/grant/" in message.body_html


@pytest.mark.parametrize(
    ("state", "subject", "text"),
    [
        ("rejected", "Abgelehnt (Ablehnungsschreiben): ", "Nicht förderfähig / non éligible."),
        ("waitlisted", "Auf der Warteliste: ", "Warteliste"),
    ],
)
def test_a_rejection_tells_the_reasons_and_a_waitlisting_the_waiting_list(cast: Any, committed: Any, state: str, subject: str, text: str) -> None:  # fmt: skip
    with committed():
        demo.drive(cast, state)
    [message] = mails("application_decided")
    assert message.subject.startswith(subject)
    assert text in message.body_text


def test_subjects_and_text_bodies_keep_apostrophes_and_ampersands_as_typed(cast: Any, committed: Any) -> None:  # fmt: skip
    with committed():
        application = demo.drive(cast, "waitlisted", title="Collectif d'artistes & Co")
    [queued] = mails("application_decided")
    assert "Collectif d'artistes & Co" in queued.subject
    assert "Collectif d'artistes & Co" in queued.body_text
    assert "Collectif d&#x27;artistes &amp; Co" in queued.body_html  # HTML stays escaped

    Application.objects.filter(pk=application.pk).update(language="fr")
    OutboxMessage.objects.all().delete()
    application.refresh_from_db()
    emails.application_decided(application, log_of(application, "waitlist"))
    [french] = mails("application_decided")
    assert french.subject.startswith("Sur liste d'attente")
    assert "&#x27;" not in french.subject + french.body_text


def test_the_grant_mails_follow_the_money_and_the_report(cast: Any, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    with committed():
        application = demo.drive(cast, "approved", "settled", requested=Decimal("4000.00"))
    grant = Grant.objects.get(application=application)
    [advance] = mails("payment_made")
    assert "3.000,00 EUR" in advance.subject and "MG-G" in advance.body_text
    [due] = mails("report_due")
    end_log = log_of(grant, "end_project")
    assert due.key == f"report_due:{end_log.pk}" and due.log_id == end_log.pk
    days_left = (grant.report_due_on - timezone.localdate(end_log.created_at)).days
    assert f"{days_left} Tagen" in due.body_text  # the application is German
    assert formatted(grant.report_due_on, "de") in due.subject
    assert f"/applications/{application.pk}/report/" in due.body_text
    [accepted] = mails("report_accepted")
    assert accepted.subject.startswith("Verwendungsnachweis anerkannt: ")
    assert "4.000,00 EUR" in accepted.body_text  # the final entitlement
    assert "1.000,00 EUR" in accepted.body_text  # the balance still to pay
    assert len(mailoutbox) == OutboxMessage.objects.filter(status="sent").count() == 5


def test_a_payment_recorded_as_paid_is_mailed_once(cast: Any, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    grant = demo.drive(cast, "approved", "accepted").grant
    payment = grant.payments.get()
    with committed():
        grant_services.record_payment_paid(payment, by=cast.finance)
        emails_effects.mail_payment_made(payment.pk)
    [message] = mails("payment_made")
    assert message.key == f"payment_made:{payment.pk}"
    assert [m.subject for m in mailoutbox] == [message.subject]


# --- reminders ---------------------------------------------------------------------------------


def test_each_reminder_goes_out_once_per_threshold(cast: Any, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    grant = demo.drive(cast, "approved", "offered").grant
    with committed():
        assert emails.offer_reminder(grant, 7) is not None
        assert emails.offer_reminder(grant, 7) is None
        assert emails.offer_reminder(grant, 2) is not None
    assert [m.key for m in mails("offer_reminder")] == [f"offer_reminder:{grant.pk}:7", f"offer_reminder:{grant.pk}:2"]  # fmt: skip
    assert "2 Tagen" in mails("offer_reminder")[1].body_text
    grant = demo.drive(cast, "approved", "report_due").grant
    with committed():
        assert emails.report_due(grant, 14) is not None
        assert emails.report_due(grant, 14) is None
        assert emails.report_due(grant, 3) is not None
        assert emails.report_overdue(grant) is not None
        assert emails.report_overdue(grant) is None
    due = grant.report_due_on
    assert [m.key for m in mails("report_due")] == [f"report_due:{grant.pk}:{due}:14", f"report_due:{grant.pk}:{due}:3"]  # fmt: skip
    assert [m.key for m in mails("report_overdue")] == [f"report_overdue:{grant.pk}:{due}"]
    assert len(mailoutbox) == 5


@pytest.mark.parametrize("language", ["de", "fr", "en"])
def test_every_message_renders_its_three_templates_in_each_language(cast: Any, committed: Any, language: str) -> None:  # fmt: skip
    application = demo.drive(cast, "approved", "settled")
    Application.objects.filter(pk=application.pk).update(language=language)
    application.refresh_from_db()
    grant = Grant.objects.get(application=application)
    logs = [*TransitionLog.objects.for_object(application), *TransitionLog.objects.for_object(grant)]  # fmt: skip
    with committed():
        for log in logs:
            label = f"{log.content_type.app_label}.{log.content_type.model}"
            for handler in effects.handlers_for(label, log.transition):
                if handler.__module__ == emails_effects.__name__:
                    handler(log)
        for payment in grant.payments.all():
            emails.payment_made(payment)
        emails.offer_reminder(grant, 2)
        emails.report_due(grant, 3)
        emails.report_overdue(grant)
        emails.changes_requested(application, log_of(application, "submit"))
    names = {m.key.split(":")[0] for m in OutboxMessage.objects.all()}
    assert names == {
        "application_submitted", "changes_requested", "application_decided", "offer_reminder",
        "payment_made", "report_due", "report_overdue", "report_accepted",
    }  # fmt: skip
    for message in OutboxMessage.objects.all():
        assert message.language == language and message.status == "sent", message.key
        for part in (message.subject, message.body_text, message.body_html):
            assert part.strip() and not re.search(r"\{[{%]|[}%]\}|&lt;|&amp;quot;", part), (message.key, part)  # fmt: skip
        assert f'<html lang="{language}">' in message.body_html
        assert application.reference in message.subject
        # From the fund, never from the product: the sign-off in the recipient's language.
        assert "microgrants" not in (message.subject + message.body_text + message.body_html).lower()  # fmt: skip
        assert message.from_name == FUND_NAMES[language], message.key
        assert message.reply_to == [demo.FUND_IDENTITY["contact_email"]]
        assert SIGN_OFFS[language] in message.body_text and escape(SIGN_OFFS[language]) in message.body_html  # fmt: skip


# --- the sender: the fund ------------------------------------------------------------------------


def headers_of(sent: Any) -> Any:
    """The message as the mail server receives it, parsed back (encoded words decoded)."""
    return email.message_from_bytes(sent.message().as_bytes(), policy=email.policy.default)


def test_every_mail_comes_from_the_fund_in_the_recipients_language_and_replies_reach_people(cast: Any, draft: Any, other_organisation: Any, other_applicant: Any, committed: Any, mailoutbox: Any, settings: Any) -> None:  # fmt: skip
    settings.DEFAULT_FROM_EMAIL = "noreply@buergerfonds.example"
    french = french_draft(other_organisation, other_applicant, cast)
    with committed():
        services.submit_application(draft, by=cast.applicant)
        services.submit_application(french, by=other_applicant)
    german_mail, french_mail = mailoutbox
    for sent, language in ((german_mail, "de"), (french_mail, "fr")):
        parsed = headers_of(sent)
        [sender] = parsed["From"].addresses
        assert (sender.display_name, sender.addr_spec) == (FUND_NAMES[language], "noreply@buergerfonds.example")  # fmt: skip
        [reply_to] = parsed["Reply-To"].addresses
        assert reply_to.addr_spec == demo.FUND_IDENTITY["contact_email"]
        text = sent.body
        assert text.index("Kind regards," if language == "en" else {"de": "Mit freundlichen Grüßen", "fr": "Cordialement,"}[language]) < text.index(SIGN_OFFS[language])  # fmt: skip
        # The fund's address and how to reach it, under the sign-off.
        assert "Beispielstraße 12" in text and demo.FUND_IDENTITY["contact_phone"] in text
        assert {"de": "Deutschland", "fr": "Allemagne"}[language] in text
        assert "microgrants" not in (sent.subject + text + sent.alternatives[0][0]).lower()


def test_a_fund_without_its_own_sign_off_signs_as_its_team_and_without_contact_sends_no_reply_to(cast: Any, draft: Any, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    type(cast.fund).objects.filter(pk=cast.fund.pk).update(mail_sign_off_de="", mail_sign_off_fr="", mail_sign_off_en="", contact_email="")  # fmt: skip
    with committed():
        services.submit_application(draft, by=cast.applicant)
    [sent] = mailoutbox
    assert f"Ihr Team des Fonds „{FUND_NAMES['de']}“" in sent.body
    assert sent.reply_to == [] and headers_of(sent)["Reply-To"] is None


def test_quotes_and_line_breaks_in_the_funds_name_stay_inside_the_from_header(cast: Any, draft: Any, committed: Any, mailoutbox: Any) -> None:  # fmt: skip
    hostile = 'Fonds "Test", Köln\r\nBcc: someone@example.org'
    type(cast.fund).objects.filter(pk=cast.fund.pk).update(name_de=hostile)
    with committed():
        services.submit_application(draft, by=cast.applicant)
    [sent] = mailoutbox
    parsed = headers_of(sent)
    [sender] = parsed["From"].addresses
    assert sender.display_name == 'Fonds "Test", Köln Bcc: someone@example.org'
    assert parsed["Bcc"] is None and sent.recipients() == [APPLICANT]
