"""A funder's integration hears of the fund's events: signed, within its programmes, with what the
API shows it, retried while its receiver is down, then disabled with a word to its owner."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from grants.models import Programme
from tests.webhooks.conftest import Receiver
from webhooks import addresses, services, signing
from webhooks.models import Attempt, Delivery, DeliveryStatus, Event, Subscription
from workflows import clock
from workflows.models import OutboxMessage, TransitionLog

pytestmark = pytest.mark.django_db


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """The clock at `moment` to the microsecond (clock.travel_to keeps the time of day)."""
    token = clock._offset.set(moment - timezone.now())
    try:
        yield
    finally:
        clock._offset.reset(token)


def readme_verify(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """The README's snippet for receivers, as written there."""
    import hashlib
    import hmac

    timestamp = headers["Microgrants-Timestamp"]
    if abs(now - int(timestamp)) > 300:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    sent = headers["Microgrants-Signature"].removeprefix("v1=")
    return hmac.compare_digest(expected.hexdigest(), sent)


def test_the_signature_of_a_delivery_verifies_with_the_subscription_secret(
    drive: Any, receiver: Receiver, subscription: tuple[Subscription, str]
) -> None:
    _subscription, secret = subscription
    application = drive("submitted")
    got = receiver.next()
    sent_at = int(got.headers["Microgrants-Timestamp"])
    assert readme_verify(secret, got.headers, got.body, now=sent_at)
    assert signing.verify(
        secret,
        timestamp=got.headers["Microgrants-Timestamp"],
        body=got.body,
        header=got.headers["Microgrants-Signature"],
        now=sent_at,
    )
    assert not readme_verify("whsec_someone-else", got.headers, got.body, now=sent_at)
    assert not readme_verify(secret, got.headers, got.body + b" ", now=sent_at)
    assert not readme_verify(secret, got.headers, got.body, now=sent_at + 3600)  # a replay
    assert got.headers["Microgrants-Event"] == "application.submitted"
    assert got.json["type"] == "application.submitted"
    assert got.json["data"]["application"]["reference"] == application.reference
    assert got.headers["Microgrants-Delivery"] == str(Delivery.objects.get().uid)


def test_the_payload_is_what_the_api_gives_the_funder_and_no_more(
    drive: Any, receiver: Receiver, subscription: tuple[Subscription, str], cast: Any, client: Any
) -> None:
    application = drive("submitted")
    sent = receiver.next().json["data"]["application"]
    answer = client.get(
        f"/api/v1/applications/{application.pk}/",
        HTTP_AUTHORIZATION=f"Bearer {cast.funder_token}",
    )
    assert answer.status_code == 200
    assert sent == answer.json()
    assert "description" not in sent and "partners" not in sent  # the staff's fields


def test_every_event_reaches_the_subscriber_once_in_order(
    drive: Any, receiver: Receiver, subscription: tuple[Subscription, str]
) -> None:
    drive("approved", "closed")
    types = [got.json["type"] for got in receiver.drained()]
    assert types == [
        "application.submitted",
        "application.decided",
        "grant.accepted",
        "payment.paid",
        "grant.report_accepted",
        "payment.paid",
        "grant.closed",
    ]
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 7


def test_a_funder_hears_of_a_payment_through_its_grant_without_the_transfer(
    drive: Any, receiver: Receiver, subscription: tuple[Subscription, str], cast: Any
) -> None:
    services.subscribe(
        cast.finance,
        by=cast.admin,
        name="Buchhaltung",
        url=receiver.url,
        events=["payment.paid"],
        all_programmes=True,
    )
    drive("approved", "report_due")  # accepted, the advance paid
    paid = [got for got in receiver.drained() if got.json["type"] == "payment.paid"]
    by_owner = {
        Delivery.objects.get(uid=got.headers["Microgrants-Delivery"]).subscription.owner_id: got
        for got in paid
    }
    funder, finance = by_owner[cast.funder.pk].json, by_owner[cast.finance.pk].json
    assert set(funder["data"]) == {"grant"}
    assert set(finance["data"]) == {"grant", "payment"}
    assert finance["data"]["payment"]["status"] == "paid"


def test_an_event_of_a_programme_outside_the_subscription_is_not_sent(
    drive: Any, receiver: Receiver, cast: Any
) -> None:
    other = Programme.objects.exclude(category=1).first()
    services.subscribe(
        cast.funder,
        by=cast.admin,
        name="Nur Leuchtturmprojekte",
        url=receiver.url,
        events=["application.submitted"],
        programmes=[other],
    )
    application = drive("submitted")
    assert application.programme_id != other.pk
    assert Delivery.objects.count() == 0
    assert receiver.drained() == []


def test_an_event_the_subscription_does_not_hear_is_not_sent(
    drive: Any, receiver: Receiver, cast: Any
) -> None:
    services.subscribe(
        cast.funder,
        by=cast.admin,
        name="Nur Entscheidungen",
        url=receiver.url,
        events=["application.decided"],
        all_programmes=True,
    )
    drive("submitted")
    assert receiver.drained() == []


def test_a_receiver_that_is_down_gets_retries_then_the_subscription_is_disabled_and_its_owner_told(
    drive: Any,
    receiver: Receiver,
    subscription: tuple[Subscription, str],
    cast: Any,
    settings: Any,
    committed: Any,
) -> None:
    settings.MICROGRANTS_WEBHOOK_DISABLE_AFTER = 3
    receiver.status = 503
    drive("submitted")
    delivery = Delivery.objects.get()
    assert receiver.next()  # the first attempt
    for attempt in (2, 3):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING
        waited = delivery.next_attempt_at - delivery.log.get(number=attempt - 1).started_at
        back_off = timedelta(minutes=2 ** (attempt - 2))  # 1, then 2 minutes
        assert back_off <= waited < back_off + timedelta(seconds=30)
        with at(delivery.next_attempt_at), committed():
            assert services.sweep(clock.now()) == 1
        assert receiver.next()
    delivery.refresh_from_db()
    sub = Subscription.objects.get()
    assert not sub.active and sub.consecutive_failures == 3
    assert delivery.status == DeliveryStatus.CANCELLED and delivery.attempts == 3
    assert [a.status_code for a in Attempt.objects.order_by("number")] == [503, 503, 503]
    mail = OutboxMessage.objects.get(key__startswith="webhook-disabled:")
    assert mail.to == [cast.funder.email]
    # Disabled: nothing more is sent, not even what waits.
    drive("submitted")
    with at(clock.now() + timedelta(days=1)), committed():
        services.sweep(clock.now())
    assert receiver.drained() == []


def test_a_delivery_is_sent_once_even_when_its_task_and_the_fan_out_run_again(
    drive: Any, receiver: Receiver, subscription: tuple[Subscription, str], committed: Any
) -> None:
    drive("submitted")
    delivery = Delivery.objects.get()
    log = TransitionLog.objects.get(pk=Event.objects.get().log_id)
    with committed():
        assert services.deliver(delivery.pk) == "already_done"
        services.fan_out(
            log,
            event_type="application.submitted",
            programme_id=None,
            object_id=delivery.event.object_id,
        )
        assert services.deliver(delivery.pk) == "already_done"
    assert Delivery.objects.count() == 1 and Event.objects.count() == 1
    assert len(receiver.drained()) == 1


# --- addresses: https, public only (SSRF), checked at subscribe time and at delivery -------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_a_receiver_on_a_private_loopback_or_reserved_address_is_refused(
    cast: Any, settings: Any, url: str
) -> None:
    settings.DEBUG = False
    with pytest.raises(ValidationError) as refused:
        services.subscribe(
            cast.funder,
            by=cast.admin,
            name="x",
            url=url,
            events=["grant.closed"],
            all_programmes=True,
        )
    assert "url" in refused.value.message_dict
    assert Subscription.objects.count() == 0


def test_a_receiver_that_is_not_https_is_refused_in_every_language(
    cast: Any, settings: Any
) -> None:
    settings.DEBUG = False
    messages = {}
    for language in ("en", "de", "fr"):
        with translation.override(language), pytest.raises(ValidationError) as refused:
            services.subscribe(
                cast.funder,
                by=cast.admin,
                name="x",
                url="http://hooks.example.org/",
                events=["grant.closed"],
                all_programmes=True,
            )
        messages[language] = refused.value.message_dict["url"][0]
    assert "https://" in messages["en"]
    assert len(set(messages.values())) == 3  # translated


def test_development_allows_a_local_http_receiver(cast: Any, settings: Any) -> None:
    settings.DEBUG = True
    subscription, _secret = services.subscribe(
        cast.funder,
        by=cast.admin,
        name="Entwicklung",
        url="http://127.0.0.1:9/hook",
        events=["grant.closed"],
        all_programmes=True,
    )
    assert subscription.pk


def test_a_name_that_resolves_to_a_private_address_at_delivery_is_not_sent_to(
    drive: Any, cast: Any, settings: Any, monkeypatch: Any
) -> None:
    """DNS rebinding: public when subscribed, loopback when the event goes out."""
    settings.DEBUG = False
    answers = {"hooks.example.org": "93.184.216.34"}
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(addresses.socket, "getaddrinfo", fake)
    services.subscribe(
        cast.funder,
        by=cast.admin,
        name="Rebinding",
        url="https://hooks.example.org/hook",
        events=["application.submitted"],
        all_programmes=True,
    )
    answers["hooks.example.org"] = "127.0.0.1"
    connections: list[Any] = []
    monkeypatch.setattr(
        "webhooks.transport.socket.create_connection", lambda *a, **k: connections.append(a)
    )
    drive("submitted")
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "127.0.0.1" in delivery.last_error
    assert connections == []


# --- who sees subscriptions and their logs ------------------------------------------------------------


def test_a_funder_sees_their_subscriptions_and_delivery_log_and_no_one_elses(
    drive: Any,
    receiver: Receiver,
    subscription: tuple[Subscription, str],
    cast: Any,
    client: Any,
    django_assert_max_num_queries: Any,
) -> None:
    mine, _secret = subscription
    theirs, _ = services.subscribe(
        cast.manager, by=cast.admin, name="Andere", url=receiver.url, events=["grant.closed"],
        all_programmes=True,
    )  # fmt: skip
    drive("submitted")
    client.force_login(cast.funder)
    page = client.get(reverse("webhooks:list"))
    assert page.status_code == 200
    assert mine.name in page.content.decode() and "Andere" not in page.content.decode()
    with django_assert_max_num_queries(12):
        detail = client.get(reverse("webhooks:detail", args=[mine.pk]))
    assert detail.status_code == 200 and "HTTP 200" in detail.content.decode()
    assert mine.secret not in detail.content.decode()
    assert client.get(reverse("webhooks:detail", args=[theirs.pk])).status_code == 404
    client.force_login(cast.applicant)
    assert client.get(reverse("webhooks:list")).status_code == 403


def test_an_administrator_creates_a_subscription_in_the_admin_and_sees_its_secret_once(
    cast: Any, client: Any, receiver: Receiver
) -> None:
    client.force_login(cast.admin)
    add = reverse("admin:webhooks_subscription_add")
    data = {
        "owner": cast.funder.pk,
        "name": "Stiftung",
        "url": "ftp://example.org/",
        "events": ["application.submitted", "grant.closed"],
        "all_programmes": "on",
        "language": "de",
    }
    refused = client.post(add, data)
    assert refused.status_code == 200 and Subscription.objects.count() == 0
    assert "https://" in refused.content.decode()
    created = client.post(add, {**data, "url": receiver.url})
    assert created.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.secret in created.content.decode()
    assert subscription.created_by == cast.admin and subscription.owner == cast.funder
    change = client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk]))
    assert subscription.secret not in change.content.decode()


def test_the_webhooks_appear_in_the_openapi_schema_as_callbacks(client: Any, db: Any) -> None:
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/webhooks/{id}/"]["get"]
    assert set(operation["callbacks"]) == {
        "application.submitted", "application.decided", "grant.accepted", "payment.paid",
        "grant.report_accepted", "grant.closed",
    }  # fmt: skip
    posted = operation["callbacks"]["payment.paid"]["{$response.body#/url}"]["post"]
    for header in ("Microgrants-Signature", "Microgrants-Timestamp", "Microgrants-Delivery"):
        assert header in posted["description"]
    body = posted["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/WebhookPaymentEvent")


def test_a_funder_reads_their_subscriptions_in_the_api_without_the_secret(
    cast: Any, client: Any, subscription: tuple[Subscription, str]
) -> None:
    mine, secret = subscription
    services.subscribe(
        cast.manager, by=cast.admin, name="Andere", url=mine.url, events=["grant.closed"],
        all_programmes=True,
    )  # fmt: skip
    answer = client.get("/api/v1/webhooks/", HTTP_AUTHORIZATION=f"Bearer {cast.funder_token}")
    assert answer.status_code == 200
    assert [row["name"] for row in answer.json()["results"]] == [mine.name]
    assert secret not in answer.content.decode()


def test_the_fan_out_to_five_subscribers_costs_a_fixed_number_of_queries(
    drive: Any, cast: Any, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.DEBUG = True  # local addresses allowed; nothing listens there
    application = drive("submitted")
    for number in range(5):
        services.subscribe(
            cast.funder, by=cast.admin, name=f"Empfänger {number}", url="http://127.0.0.1:9/",
            events=["application.submitted"], all_programmes=True,
        )  # fmt: skip
    log = TransitionLog.objects.for_object(application).get(transition="submit")
    Event.objects.filter(log=log).delete()
    # The event, the subscriptions, one body (they read alike), the deliveries: not per subscriber.
    with django_assert_max_num_queries(15):
        written = services.fan_out(
            log, event_type="application.submitted",
            programme_id=application.programme_id, object_id=application.pk,
        )  # fmt: skip
    assert written == 5


def test_a_delivery_waiting_when_its_subscription_loses_the_programme_is_not_sent(
    drive: Any, receiver: Receiver, subscription: tuple[Subscription, str], cast: Any,
    committed: Any,
) -> None:  # fmt: skip
    sub, _secret = subscription
    receiver.status = 503
    application = drive("submitted")
    assert receiver.next()
    other = Programme.objects.exclude(pk=application.programme_id).first()
    services.change_subscription(
        sub, by=cast.admin, url=sub.url, events=sub.events, programmes=[other]
    )
    receiver.status = 200
    delivery = Delivery.objects.get()
    with at(delivery.next_attempt_at), committed():
        services.sweep(clock.now())
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CANCELLED
    assert receiver.drained() == []


def test_a_delivery_costs_a_fixed_number_of_queries(
    drive: Any, receiver: Receiver, subscription: tuple[Subscription, str],
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    sub, _secret = subscription
    Subscription.objects.filter(pk=sub.pk).update(active=False)
    application = drive("submitted")
    Subscription.objects.filter(pk=sub.pk).update(active=True)
    log = TransitionLog.objects.for_object(application).get(transition="submit")
    event = Event.objects.get(log=log)
    delivery = Delivery.objects.create(event=event, subscription=sub, body="{}")
    # the claim, the row, the owner and their roles; then the attempt and the outcome in a
    # transaction (here a savepoint: two of the nine)
    with django_assert_max_num_queries(9):
        assert services.deliver(delivery.pk) == "delivered"
    assert len(receiver.drained()) == 1
