"""An integration that retries a write with its Idempotency-Key gets the first answer again and
the work is done once: on a lost connection, a timeout, or two requests racing each other."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from applications.models import Application, ApplicationStatus
from applications.transitions import APPLICATION_TRANSITIONS
from demo import builders as demo
from grants.models import Grant
from tests.api.conftest import issue, session_client
from tests.api.test_auth import assert_problem
from tests.conftest import on_postgresql
from workflows import clock, deadlines
from workflows.errors import TransitionConflict
from workflows.models import IdempotentRequest, TransitionLog
from workflows.roles import Role

KEY = "7f1d2c5e-3a9b-4c1e-9d0f-1234567890ab"


def approve_url(application: Application) -> str:
    return f"/api/v1/applications/{application.pk}/transitions/approve/"


def post(client: APIClient, url: str, body: Any, key: str | None = KEY) -> Any:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(url, body, format="json", **headers)


def approvals(application: Application) -> int:
    return TransitionLog.objects.for_object(application).filter(transition="approve").count()


@pytest.fixture
def reviewed(cast: demo.Cast) -> Application:
    return demo.drive(cast, "reviewed")


@pytest.fixture
def manager(cast: demo.Cast) -> APIClient:
    return session_client(cast.manager)


def test_a_retry_gets_the_same_answer_and_the_approval_happens_once(
    reviewed: Application, manager: APIClient
) -> None:
    body = {"amount": "3000.00", "note": "Sitzung vom Montag"}
    first = post(manager, approve_url(reviewed), body)
    assert first.status_code == 200, first.content
    assert "Idempotent-Replayed" not in first

    retry = post(manager, approve_url(reviewed), body)

    assert retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert retry["Content-Type"] == first["Content-Type"]
    assert approvals(reviewed) == 1
    assert Grant.objects.filter(application=reviewed).count() == 1
    record = IdempotentRequest.objects.get(key=KEY)
    assert (record.status_code, record.method, record.path) == (200, "POST", approve_url(reviewed))


def test_a_refusal_is_replayed_as_well(reviewed: Application, manager: APIClient) -> None:
    first = post(manager, approve_url(reviewed), {"amount": "99999.00"})
    assert_problem(first, 400, "amount_out_of_range")
    retry = post(manager, approve_url(reviewed), {"amount": "99999.00"})
    assert retry.status_code == 400 and retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert retry["Content-Type"] == "application/problem+json"


def test_the_same_key_for_another_request_is_refused(
    cast: demo.Cast, reviewed: Application, manager: APIClient
) -> None:
    assert post(manager, approve_url(reviewed), {"amount": "3000.00"}).status_code == 200

    other_body = post(manager, approve_url(reviewed), {"amount": "2000.00"})
    assert_problem(other_body, 422, "idempotency_key_reused")
    other = demo.drive(cast, "reviewed")
    other_path = post(manager, approve_url(other), {"amount": "3000.00"})
    assert_problem(other_path, 422, "idempotency_key_reused")

    other.refresh_from_db()
    assert other.status == ApplicationStatus.REVIEWED
    assert approvals(reviewed) == 1


def test_keys_belong_to_their_user(cast: demo.Cast, manager: APIClient) -> None:
    first, second = demo.drive(cast, "reviewed"), demo.drive(cast, "reviewed")
    other_manager = demo.make_user("manager-2", Role.MANAGER)
    assert post(manager, approve_url(first), {"amount": "100.00"}).status_code == 200
    response = post(session_client(other_manager), approve_url(second), {"amount": "100.00"})
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert approvals(second) == 1


def test_a_request_without_a_key_is_not_remembered(
    reviewed: Application, manager: APIClient
) -> None:
    assert post(manager, approve_url(reviewed), {"amount": "3000.00"}, key=None).status_code == 200
    assert not IdempotentRequest.objects.exists()


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "tab\there", "schlüssel"],
    ids=["empty", "too-long", "control-character", "not-ascii"],
)
def test_an_unusable_key_is_a_400(reviewed: Application, manager: APIClient, key: str) -> None:
    headers = {"HTTP_IDEMPOTENCY_KEY": key}
    response = manager.post(approve_url(reviewed), {"amount": "3000.00"}, format="json", **headers)
    body = assert_problem(response, 400, "invalid")
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert body["errors"][0]["code"] == "invalid_idempotency_key"
    assert approvals(reviewed) == 0
    assert not IdempotentRequest.objects.exists()


def test_the_longest_and_most_varied_keys_work(reviewed: Application, manager: APIClient) -> None:
    key = ("a ~!" + "".join(chr(c) for c in range(0x20, 0x7F)) * 3)[:255]
    assert post(manager, approve_url(reviewed), {"amount": "1.00"}, key=key).status_code == 200
    assert post(manager, approve_url(reviewed), {"amount": "1.00"}, key=key)["Idempotent-Replayed"]


def use_approve(monkeypatch: Any, service: Any) -> None:
    """The approval's service replaced (in the one transition table the API runs)."""
    spec = APPLICATION_TRANSITIONS["approve"]
    monkeypatch.setitem(
        APPLICATION_TRANSITIONS, "approve", dataclasses.replace(spec, service=service)
    )


def test_a_server_error_is_not_stored_and_the_retry_does_the_work(
    reviewed: Application, manager: APIClient, monkeypatch: Any
) -> None:
    original = APPLICATION_TRANSITIONS["approve"].service

    def broken(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise RuntimeError("the document service fell over")

    use_approve(monkeypatch, broken)
    manager.raise_request_exception = False
    assert post(manager, approve_url(reviewed), {"amount": "3000.00"}).status_code == 500
    assert not IdempotentRequest.objects.exists()
    assert approvals(reviewed) == 0  # rolled back with the key

    use_approve(monkeypatch, original)
    retry = post(manager, approve_url(reviewed), {"amount": "3000.00"})
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry
    assert approvals(reviewed) == 1


def test_a_concurrent_change_is_not_stored_so_the_retry_can_succeed(
    reviewed: Application, manager: APIClient, monkeypatch: Any
) -> None:
    def raced(*args: Any, **kwargs: Any) -> Any:
        raise TransitionConflict()

    original = APPLICATION_TRANSITIONS["approve"].service
    use_approve(monkeypatch, raced)
    assert_problem(post(manager, approve_url(reviewed), {"amount": "3000.00"}), 409, "conflict")
    assert not IdempotentRequest.objects.exists()
    use_approve(monkeypatch, original)
    assert post(manager, approve_url(reviewed), {"amount": "3000.00"}).status_code == 200


def test_a_key_expires_after_a_day(reviewed: Application, manager: APIClient) -> None:
    assert_problem(post(manager, approve_url(reviewed), {"amount": "0"}), 400)
    IdempotentRequest.objects.update(created_at=clock.now() - timedelta(hours=24, seconds=1))

    # another request with the old key: a new request, not a reuse
    response = post(manager, approve_url(reviewed), {"amount": "3000.00"})

    assert response.status_code == 200 and "Idempotent-Replayed" not in response
    assert IdempotentRequest.objects.get().status_code == 200


def test_the_deadline_run_prunes_expired_keys(cast: demo.Cast, manager: APIClient) -> None:
    old, fresh = demo.drive(cast, "reviewed"), demo.drive(cast, "reviewed")
    post(manager, approve_url(old), {"amount": "100.00"}, key="old")
    post(manager, approve_url(fresh), {"amount": "100.00"}, key="fresh")
    IdempotentRequest.objects.filter(key="old").update(created_at=clock.now() - timedelta(hours=25))

    result = deadlines.run_all(names=["prune_idempotency_keys"])

    assert result == {"prune_idempotency_keys": 1} and result.ok
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["fresh"]


def test_a_grant_transition_is_idempotent_too(cast: demo.Cast, manager: APIClient) -> None:
    grant = Grant.objects.get(application=demo.drive(cast, "approved", "accepted"))
    url = f"/api/v1/grants/{grant.pk}/transitions/cancel/"
    body = {"reason": "Projekt abgesagt"}
    first, retry = post(manager, url, body), post(manager, url, body)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert json.loads(retry.content) == json.loads(first.content)
    assert TransitionLog.objects.for_object(grant).filter(transition="cancel").count() == 1


# --- two requests at the same time (PostgreSQL, real threads) ------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_approve_once(cast: demo.Cast, monkeypatch: Any) -> None:
    """Both threads send the same request with the same key at the same moment: one approves,
    the other waits on the key's row until that answer is stored, then replays it."""
    import time

    from tests.test_concurrency_pg import race

    application = demo.drive(cast, "reviewed", requested=Decimal("4000.00"))
    token = issue(cast.manager, by=cast.admin, all_programmes=True)
    original = APPLICATION_TRANSITIONS["approve"].service

    def slow(*args: Any, **kwargs: Any) -> Any:
        done = original(*args, **kwargs)
        time.sleep(0.3)  # hold the key's row while the other request arrives
        return done

    use_approve(monkeypatch, slow)

    def attempt() -> tuple[int, str, bytes]:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
        response = post(client, approve_url(application), {"amount": "4000.00"})
        return response.status_code, response.get("Idempotent-Replayed", ""), response.content

    outcomes = race([attempt, attempt])

    assert not any(isinstance(o, BaseException) for o in outcomes), outcomes
    assert sorted((status, replayed) for status, replayed, _body in outcomes) == [
        (200, ""),
        (200, "true"),
    ], outcomes
    assert outcomes[0][2] == outcomes[1][2]
    assert approvals(application) == 1
    assert Grant.objects.filter(application=application).count() == 1
    assert IdempotentRequest.objects.get().status_code == 200
