"""Who gets in: tokens (shown once, hashed, expiring, revocable), staff sessions, nobody else."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from demo import builders as demo
from grants.api.tokens import issue_token, revoke_token
from grants.models import ApiToken
from tests.api.conftest import issue, session_client, token_client
from tests.conftest import CACHE_DATABASES, own_redis_url, reachable_redis
from workflows import clock
from workflows.roles import Role

PROGRAMMES = "/api/v1/programmes/"


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:microgrants:problem:")
    assert body["title"] and body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


# --- tokens --------------------------------------------------------------------------------------


def test_fiona_reads_with_her_bearer_token_and_also_with_the_token_keyword(fiona):
    assert fiona.client.get(PROGRAMMES).status_code == 200
    assert token_client(fiona.secret, keyword="Token").get(PROGRAMMES).status_code == 200


def test_only_the_hash_and_a_short_prefix_of_the_token_are_stored(fiona):
    token = ApiToken.objects.get(pk=fiona.token.pk)
    assert token.token_hash == hashlib.sha256(fiona.secret.encode()).hexdigest()
    assert fiona.secret.startswith(f"mgt_{token.prefix}_")
    stored = " ".join(str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values())
    # The random part may itself contain "_": take all of it after the prefix.
    random_part = fiona.secret.removeprefix(f"mgt_{token.prefix}_")
    assert len(random_part) == 43 and random_part not in stored


def test_anonymous_gets_nothing_but_a_401_problem(anonymous):
    for url in (PROGRAMMES, "/api/v1/applications/", "/api/v1/stats/", "/api/v1/payments/"):
        body = assert_problem(anonymous.get(url), 401, "not_authenticated")
        assert body["instance"] == url
    assert anonymous.get(PROGRAMMES)["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer mgt_00000000_" + "x" * 43, "token_invalid"),
        ("Bearer not-a-token", "token_invalid"),
        ("Bearer", "token_malformed"),
        ("Bearer two words", "token_malformed"),
    ],
)
def test_a_wrong_token_is_refused_with_401(db, header, code):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_problem(client.get(PROGRAMMES), 401, code)


def test_a_token_with_a_changed_secret_is_refused(fiona):
    tampered = fiona.secret[:-1] + ("A" if fiona.secret[-1] != "A" else "B")
    assert_problem(token_client(tampered).get(PROGRAMMES), 401, "token_invalid")


def test_an_expired_token_is_refused(fiona):
    with clock.travel_to(clock.today() + timedelta(days=366)):
        body = assert_problem(fiona.client.get(PROGRAMMES), 401, "token_expired")
    assert "expired" in body["detail"]


def test_a_revoked_token_is_refused_at_once(cast, fiona):
    assert fiona.client.get(PROGRAMMES).status_code == 200
    assert revoke_token(fiona.token, by=cast.admin) is True
    assert revoke_token(fiona.token, by=cast.admin) is False
    assert_problem(fiona.client.get(PROGRAMMES), 401, "token_revoked")


def test_the_token_of_a_disabled_account_is_refused(fiona, fiona_user):
    fiona_user.is_active = False
    fiona_user.save()
    assert_problem(fiona.client.get(PROGRAMMES), 401, "user_inactive")


def test_last_use_is_recorded_but_not_written_on_every_request(fiona, django_assert_num_queries):
    assert fiona.token.last_used_at is None
    fiona.client.get(PROGRAMMES)
    fiona.token.refresh_from_db()
    first_use = fiona.token.last_used_at
    assert first_use is not None
    with django_assert_num_queries(3):  # token with the user's roles, its programmes, the page
        fiona.client.get(PROGRAMMES)
    fiona.token.refresh_from_db()
    assert fiona.token.last_used_at == first_use
    with clock.travel_to(clock.today() + timedelta(days=1)):
        fiona.client.get(PROGRAMMES)
    fiona.token.refresh_from_db()
    assert fiona.token.last_used_at > first_use


def test_a_token_must_name_programmes_or_be_for_all(cast):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        issue_token(cast.funder, by=cast.admin, name="nothing chosen")
    assert "programmes" in refused.value.message_dict
    with pytest.raises(ValidationError):
        issue_token(
            cast.funder, by=cast.admin, name="past", all_programmes=True, expires_at=clock.now()
        )


def test_a_token_left_without_programmes_reads_nothing(cast, world):
    """Were its programmes removed later, the token reads nothing rather than everything."""
    empty = issue(demo.make_user("empty", Role.FUNDER), by=cast.admin, all_programmes=True)
    ApiToken.objects.filter(pk=empty.token.pk).update(all_programmes=False)
    for url in (PROGRAMMES, "/api/v1/applications/", "/api/v1/grants/", "/api/v1/calls/"):
        assert empty.client.get(url).json()["results"] == [], url
    stats = empty.client.get("/api/v1/stats/").json()["results"]
    assert stats == [{"count": 0, "requested": "0.00", "awarded": "0.00", "paid": "0.00"}]


# --- roles ---------------------------------------------------------------------------------------


def test_an_applicant_has_no_api_neither_by_session_nor_by_token(cast):
    assert_problem(session_client(cast.applicant).get(PROGRAMMES), 403, "permission_denied")
    applicant_token = issue(cast.applicant, by=cast.admin, all_programmes=True)
    assert_problem(applicant_token.client.get(PROGRAMMES), 403, "permission_denied")


def test_a_funder_signed_in_with_a_session_is_asked_for_the_token(cast):
    """A session knows no programmes: it would lift the token's limit."""
    body = assert_problem(session_client(cast.funder).get(PROGRAMMES), 403)
    assert "token" in body["detail"]


@pytest.mark.parametrize("role", ["reviewer", "manager", "finance", "admin"])
def test_staff_read_in_their_session(cast, role):
    assert session_client(getattr(cast, role)).get(PROGRAMMES).status_code == 200


def test_a_session_needs_the_csrf_token_for_unsafe_methods(cast):
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cast.manager)
    body = assert_problem(client.post(PROGRAMMES, {}), 403)
    assert "CSRF" in body["detail"]


# --- throttling ----------------------------------------------------------------------------------


def test_each_token_has_its_own_rate_limit(settings, cast, fiona, all_programmes_funder):
    settings.MICROGRANTS_API_RATE = "2/minute"
    assert fiona.client.get(PROGRAMMES).status_code == 200
    assert fiona.client.get(PROGRAMMES).status_code == 200
    throttled = fiona.client.get(PROGRAMMES)
    assert_problem(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    assert all_programmes_funder.client.get(PROGRAMMES).status_code == 200


SHARED_CACHES = {
    "redis": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": own_redis_url(CACHE_DATABASES),  # emptied by the test
    },
    "database": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "microgrants_cache",
    },
}


@pytest.fixture(params=list(SHARED_CACHES))
def shared_cache(request: Any, settings: Any, db: Any) -> Any:
    """The default cache as production runs it with several workers (CACHE_URL)."""
    config = SHARED_CACHES[request.param]
    redis = reachable_redis(config["LOCATION"]) if request.param == "redis" else None
    settings.CACHES = {"default": dict(config)}
    if request.param == "database":
        call_command("createcachetable", verbosity=0)
    yield request.param
    if redis is not None:
        redis.flushdb()


def test_workers_share_the_rate_limit_through_the_shared_cache(settings, fiona, shared_cache):
    # Each web worker has a cache client of its own. A new client (another worker, or this one
    # after a restart) still sees the requests counted before: the limit holds across workers.
    settings.MICROGRANTS_API_RATE = "3/minute"
    assert fiona.client.get(PROGRAMMES).status_code == 200
    assert fiona.client.get(PROGRAMMES).status_code == 200
    settings.CACHES = {"default": dict(SHARED_CACHES[shared_cache])}  # a fresh client
    assert caches["default"].get(f"throttle_api_token-{fiona.token.pk}") is not None
    assert fiona.client.get(PROGRAMMES).status_code == 200
    settings.CACHES = {"default": dict(SHARED_CACHES[shared_cache])}
    assert_problem(fiona.client.get(PROGRAMMES), 429, "throttled")


# --- the admin creates, shows once, revokes --------------------------------------------------------


def admin_url(view: str, *args: Any) -> str:
    return reverse(f"admin:grants_apitoken_{view}", args=args)


def test_administrator_creates_a_token_and_sees_its_secret_once(client, cast, programme_a):
    client.force_login(cast.admin)
    expires = (clock.now() + timedelta(days=90)).replace(microsecond=0)
    response = client.post(
        admin_url("add"),
        {
            "user": cast.funder.pk,
            "name": "Ministerium Statistik",
            "programmes": [programme_a.pk],
            "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 200, response.context and response.context.get("errors")
    token = ApiToken.objects.get(name="Ministerium Statistik")
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert token.created_by == cast.admin
    assert list(token.programmes.all()) == [programme_a]
    assert token_client(secret).get(PROGRAMMES).status_code == 200

    change_page = client.get(admin_url("change", token.pk)).content.decode()
    listing = client.get(admin_url("changelist")).content.decode()
    assert token.prefix in listing and token.prefix in change_page
    assert secret not in change_page and secret not in listing


def test_a_token_without_programmes_cannot_be_created_in_the_admin(client, cast):
    client.force_login(cast.admin)
    response = client.post(
        admin_url("add"),
        {"user": cast.funder.pk, "name": "too wide", "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not ApiToken.objects.filter(name="too wide").exists()


def test_administrator_revokes_tokens_with_the_list_action(client, cast, fiona):
    client.force_login(cast.admin)
    response = client.post(
        admin_url("changelist"), {"action": "revoke", "_selected_action": [fiona.token.pk]}
    )
    assert response.status_code == 302
    fiona.token.refresh_from_db()
    assert fiona.token.revoked_at is not None
    assert fiona.token.revoked_by == cast.admin
    assert fiona.client.get(PROGRAMMES).status_code == 401


def test_only_administrators_see_the_tokens(client, cast, fiona):
    client.force_login(cast.manager)
    assert client.get(admin_url("changelist")).status_code == 403
