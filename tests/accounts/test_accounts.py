"""Accounts for volunteers: sign up, confirm the address, sign in and out, a new password.

The pages are German by default and the catalogues are completed at the end, so these stories
check behaviour (redirects, status, error codes, ids, who got which mail) rather than wording.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts import services as accounts
from demo import builders as demo
from tests.support import assert_readable
from workflows import clock

EMAIL = "marie.dupont@example.org"
PASSWORD = "Tulpen-im-Herbst-1963"
CONFIRM_LINK = re.compile(r"https?://testserver(/accounts/confirm/[^/\s\"<]+/)")
RESET_LINK = re.compile(r"https?://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)")


def sign_up_data(**changes: str) -> dict[str, str]:
    data = {
        "email": EMAIL,
        "full_name": "Marie Dupont",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(changes)
    return data


@pytest.fixture
def mailoutbox(db: Any, mailoutbox: Any) -> Any:
    # The database fixture empties the outbox by replacing it, so take the outbox after it.
    return mailoutbox


@pytest.fixture
def committed(db: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Run a request and then what it scheduled for after the commit (the mails)."""

    def run(call: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture
def volunteer(db: Any) -> Any:
    """A volunteer who signed up and confirmed the address earlier."""
    user = accounts.create_unconfirmed_user(EMAIL, full_name="Marie Dupont", password=PASSWORD)
    user.is_active = True
    user.last_login = timezone.now()
    user.save()
    return user


def confirmation_path(mail: Any) -> str:
    match = CONFIRM_LINK.search(mail.body)
    assert match, mail.body
    return match.group(1)


def error_codes(response: Any, field: str) -> set[str]:
    form = response.context["form"]
    errors = form.errors.as_data().get(field, [])
    for error in errors:
        for message in error.messages:
            assert_readable(message)
    return {error.code for error in errors}


def sign_in(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


class _Inputs(HTMLParser):
    """The forms, inputs and labels of a page, enough to check labels and autocomplete hints."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str | None]] = []
        self.inputs: list[dict[str, str | None]] = []
        self.labels: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append(values)
        elif tag in {"input", "select", "textarea"} and values.get("type") != "hidden":
            self.inputs.append({**values, "form": self.forms[-1].get("id") if self.forms else None})
        elif tag == "label" and values.get("for"):
            self.labels.add(values["for"] or "")


def page_inputs(response: Any) -> _Inputs:
    parser = _Inputs()
    parser.feed(response.content.decode())
    return parser


# --- Signing up --------------------------------------------------------------------------------


def test_a_new_volunteer_signs_up_confirms_and_lands_on_the_start_page(
    client, committed, mailoutbox
):
    assert client.get(reverse("accounts:signup")).status_code == 200

    response = committed(
        client.post, reverse("accounts:signup"), sign_up_data(email=f" {EMAIL.upper()} ")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:check_inbox")
    inbox = client.get(response["Location"])
    assert inbox.status_code == 200
    assert EMAIL in inbox.content.decode()

    user = get_user_model().objects.get()
    assert (user.username, user.email, user.get_full_name()) == (EMAIL, EMAIL, "Marie Dupont")
    assert not user.is_active

    [mail] = mailoutbox
    assert mail.to == [EMAIL]
    assert_readable(mail.subject)
    assert "\n" not in mail.subject
    [(html, mimetype)] = mail.alternatives
    assert mimetype == "text/html"
    path = confirmation_path(mail)
    assert path in html

    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:home")
    user.refresh_from_db()
    assert user.is_active and user.last_login is not None
    home = client.get(reverse("applications:home"))
    assert home.status_code == 200
    assert home.context["user"] == user
    assert 'id="logout-form"' in home.content.decode()


def test_the_sign_up_page_labels_every_field_and_hints_autocomplete(client, db):
    response = client.get(reverse("accounts:signup"))
    page = page_inputs(response)
    fields = {i["name"]: i for i in page.inputs if i["form"] == "signup-form"}
    assert set(fields) == {"email", "full_name", "password1", "password2"}
    expected = {
        "email": "email",
        "full_name": "name",
        "password1": "new-password",
        "password2": "new-password",
    }
    for name, autocomplete in expected.items():
        assert fields[name]["id"] == f"id_{name}"
        assert fields[name]["autocomplete"] == autocomplete
        assert f"id_{name}" in page.labels
    assert all(i["id"] in page.labels for i in page.inputs if i["id"])


def test_signing_up_with_a_known_address_shows_the_same_page_and_mails_the_owner_a_notice(
    client, committed, mailoutbox, volunteer
):
    fresh = committed(
        Client().post, reverse("accounts:signup"), sign_up_data(email="someone.new@example.org")
    )
    mailoutbox.clear()

    response = committed(
        client.post,
        reverse("accounts:signup"),
        sign_up_data(
            email="Marie.Dupont@Example.org",
            password1="Other-Pass-9876",
            password2="Other-Pass-9876",
        ),
    )
    assert (response.status_code, response["Location"]) == (fresh.status_code, fresh["Location"])
    inbox = client.get(response["Location"])
    assert inbox.templates[0].name == "accounts/check_inbox.html"
    assert inbox.context["kind"] == "signup"

    assert get_user_model().objects.filter(email__iexact=EMAIL).count() == 1
    volunteer.refresh_from_db()
    assert volunteer.check_password(PASSWORD)

    [mail] = mailoutbox
    assert mail.to == [EMAIL]
    assert CONFIRM_LINK.search(mail.body) is None
    assert f"http://testserver{reverse('login')}" in mail.body
    assert f"http://testserver{reverse('password_reset')}" in mail.body
    assert reverse("password_reset") in mail.alternatives[0][0]


def test_a_known_address_coming_from_an_invitation_is_led_back_to_it(
    client, committed, mailoutbox, volunteer
):
    invitation = "/invitations/k3Y-token/"
    committed(client.post, reverse("accounts:signup"), {**sign_up_data(), "next": invitation})
    [mail] = mailoutbox
    sign_in_link = re.search(r"http://testserver(/accounts/login/\S*)", mail.body).group(1)
    page = client.get(sign_in_link)
    assert f'name="next" value="{invitation}"' in page.content.decode()


def test_the_notice_to_a_demo_account_tells_its_user_name(client, committed, mailoutbox, db):
    demo.make_user("applicant")
    committed(client.post, reverse("accounts:signup"), sign_up_data(email="applicant@example.org"))
    [mail] = mailoutbox
    assert mail.to == ["applicant@example.org"]
    assert "applicant" in mail.body.replace("applicant@example.org", "")
    assert get_user_model().objects.count() == 1


def test_signing_up_again_before_confirming_sends_a_fresh_link_for_the_one_account(
    client, committed, mailoutbox, db
):
    committed(client.post, reverse("accounts:signup"), sign_up_data())
    committed(
        client.post,
        reverse("accounts:signup"),
        sign_up_data(
            full_name="Marie-Claire Dupont",
            password1="Neue-Rosen-2024",
            password2="Neue-Rosen-2024",
        ),
    )
    user = get_user_model().objects.get()
    assert user.get_full_name() == "Marie-Claire Dupont"
    assert user.check_password("Neue-Rosen-2024")
    assert len(mailoutbox) == 2
    assert client.get(confirmation_path(mailoutbox[1]))["Location"] == reverse("applications:home")


@pytest.mark.parametrize(
    ("password1", "password2", "field", "code"),
    [
        ("12345678", "12345678", "password1", "password_entirely_numeric"),
        ("kurz", "kurz", "password1", "password_too_short"),
        ("password", "password", "password1", "password_too_common"),
        (EMAIL, EMAIL, "password1", "password_too_similar"),
        (PASSWORD, PASSWORD + "x", "password2", "password_mismatch"),
    ],
)
def test_a_weak_or_mistyped_password_is_refused_and_the_typed_address_and_name_stay(
    client, committed, mailoutbox, password1, password2, field, code
):
    response = committed(
        client.post,
        reverse("accounts:signup"),
        sign_up_data(password1=password1, password2=password2),
    )
    assert response.status_code == 200
    assert code in error_codes(response, field)
    page = response.content.decode()
    assert f'value="{EMAIL}"' in page
    assert 'value="Marie Dupont"' in page
    passwords = [i for i in page_inputs(response).inputs if i.get("type") == "password"]
    assert len(passwords) == 2
    assert all("value" not in i for i in passwords)
    assert 'id="error-summary"' in page
    assert f'href="#id_{field}"' in page
    assert f'id="id_{field}_error"' in page
    assert not get_user_model().objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    "email", ["marie.dupont", "marie@", "@example.org", "marie dupont@example.org"]
)
def test_an_incomplete_email_address_is_refused_next_to_the_field(
    client, committed, mailoutbox, email
):
    response = committed(client.post, reverse("accounts:signup"), sign_up_data(email=email))
    assert response.status_code == 200
    assert "invalid" in error_codes(response, "email")
    assert 'aria-invalid="true"' in response.content.decode()
    assert not get_user_model().objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize("field", ["email", "full_name", "password1", "password2"])
def test_a_nul_byte_in_a_sign_up_field_is_a_form_error(client, committed, mailoutbox, field):
    value = {"email": "marie\x00@example.org", "full_name": "Marie\x00 Dupont"}.get(
        field, "Tulpen\x00im-Herbst-1963"
    )
    response = committed(
        client.post, reverse("accounts:signup"), {**sign_up_data(**{field: value}), "next": "/\x00"}
    )
    assert response.status_code == 200
    assert "null_characters_not_allowed" in error_codes(response, field)
    assert not get_user_model().objects.exists()
    assert mailoutbox == []


def test_a_nul_byte_on_the_sign_in_and_new_link_pages_is_a_form_error(client, volunteer):
    for data in (
        {"username": "marie\x00", "password": PASSWORD},
        {"username": EMAIL, "password": "a\x00"},
    ):
        response = client.post(reverse("login"), data)
        assert response.status_code == 200
        assert response.context["form"].errors
    response = client.post(reverse("accounts:resend_confirmation"), {"email": "a\x00@example.org"})
    assert response.status_code == 200
    assert "null_characters_not_allowed" in error_codes(response, "email")
    assert client.get(reverse("accounts:confirm", args=["abc\x00def"])).status_code == 200
    assert client.get(reverse("accounts:resend_confirmation") + "?email=%00").status_code == 200


# --- The confirmation link ---------------------------------------------------------------------


def test_a_sign_up_continues_to_a_safe_next_address_such_as_an_invitation(
    client, committed, mailoutbox, db
):
    invitation = "/invitations/k3Y-token/"
    signup = client.get(reverse("accounts:signup"), {"next": invitation})
    assert f'name="next" value="{invitation}"' in signup.content.decode()
    committed(client.post, reverse("accounts:signup"), {**sign_up_data(), "next": invitation})
    response = Client().get(confirmation_path(mailoutbox[0]))
    assert response.status_code == 302
    assert response["Location"] == invitation


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/ok\r\nX: y"]
)
def test_an_unsafe_next_address_is_ignored(client, committed, mailoutbox, db, next_url):
    committed(client.post, reverse("accounts:signup"), {**sign_up_data(), "next": next_url})
    response = client.get(confirmation_path(mailoutbox[0]))
    assert response["Location"] == reverse("applications:home")


def test_an_expired_confirmation_link_explains_itself_and_sends_a_new_one(
    client, committed, mailoutbox, db
):
    committed(client.post, reverse("accounts:signup"), sign_up_data())
    old_link = confirmation_path(mailoutbox[0])
    with clock.travel_to(clock.today() + timedelta(days=4)):
        response = client.get(old_link)
    assert response.status_code == 200
    assert response.context["reason"] == "expired"
    assert 'id="resend-form"' in response.content.decode()
    assert response.context["form"].initial["email"] == EMAIL
    assert not get_user_model().objects.get().is_active

    response = committed(client.post, reverse("accounts:resend_confirmation"), {"email": EMAIL})
    assert response["Location"] == reverse("accounts:check_inbox")
    assert len(mailoutbox) == 2
    assert client.get(confirmation_path(mailoutbox[1]))["Location"] == reverse("applications:home")
    assert get_user_model().objects.get().is_active


def test_a_new_link_after_an_expired_one_still_continues_to_the_invitation(
    client, committed, mailoutbox, db
):
    invitation = "/invitations/k3Y-token/"
    committed(client.post, reverse("accounts:signup"), {**sign_up_data(), "next": invitation})
    with clock.travel_to(clock.today() + timedelta(days=4)):
        response = client.get(confirmation_path(mailoutbox[0]))
    assert response.context["reason"] == "expired"
    assert f'name="next" value="{invitation}"' in response.content.decode()
    committed(
        client.post, reverse("accounts:resend_confirmation"), {"email": EMAIL, "next": invitation}
    )
    assert client.get(confirmation_path(mailoutbox[1]))["Location"] == invitation


def test_a_link_still_works_on_its_third_day(client, committed, mailoutbox, db):
    committed(client.post, reverse("accounts:signup"), sign_up_data())
    with clock.travel_to(clock.today() + timedelta(days=2)):
        response = client.get(confirmation_path(mailoutbox[0]))
    assert response["Location"] == reverse("applications:home")


def forge_for(token: str, user_pk: int) -> str:
    """The same signed link with another account's id put into its payload (not re-signed)."""
    import base64
    import json

    payload, _sep, signature = token.partition(":")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["u"] = user_pk
    forged = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    return f"{forged.rstrip('=')}:{signature}"


def test_a_tampered_confirmation_link_is_refused_and_offers_a_new_one(
    client, committed, mailoutbox, db
):
    committed(client.post, reverse("accounts:signup"), sign_up_data())
    token = confirmation_path(mailoutbox[0]).split("/")[-2]
    user = get_user_model().objects.get()
    other = accounts.create_unconfirmed_user("eve@example.org", full_name="Eve", password=PASSWORD)
    forged_for_other = forge_for(token, other.pk)
    assert forged_for_other != token
    for bad in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        token[5:],
        "hello",
        forged_for_other,
    ):
        response = client.get(reverse("accounts:confirm", args=[bad]))
        assert response.status_code == 200
        assert response.context["reason"] == "invalid"
        assert 'id="resend-form"' in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active


def test_a_confirmation_link_works_only_once(client, committed, mailoutbox, db):
    committed(client.post, reverse("accounts:signup"), sign_up_data())
    link = confirmation_path(mailoutbox[0])
    assert client.get(link)["Location"] == reverse("applications:home")
    # The same person clicking again just goes on; anyone else sees that the link was used.
    assert client.get(link)["Location"] == reverse("applications:home")
    response = Client().get(link)
    assert response.status_code == 200
    assert response.context["reason"] == "used"
    assert response.context["user"].is_anonymous


def test_asking_for_a_new_link_looks_the_same_whether_or_not_an_account_waits(
    client, committed, mailoutbox, volunteer
):
    accounts.create_unconfirmed_user(
        "waiting@example.org", full_name="Hans Weber", password=PASSWORD
    )
    responses = [
        committed(client.post, reverse("accounts:resend_confirmation"), {"email": email})
        for email in ("nobody@example.org", EMAIL, "Waiting@Example.org")
    ]
    assert {r["Location"] for r in responses} == {reverse("accounts:check_inbox")}
    assert [m.to for m in mailoutbox] == [["waiting@example.org"]]


# --- Limits on account mails ------------------------------------------------------------------


def test_asking_for_links_again_and_again_mails_an_address_five_times_an_hour(
    client, committed, mailoutbox, db
):
    accounts.create_unconfirmed_user(EMAIL, full_name="Marie Dupont", password=PASSWORD)
    url = reverse("accounts:resend_confirmation")
    # From several connections, as someone flooding Marie's inbox would.
    responses = [
        committed(client.post, url, {"email": EMAIL}, REMOTE_ADDR=f"192.0.2.{number}")
        for number in range(7)
    ]
    # The page looks the same every time: it tells nobody that the limit was reached.
    assert {r["Location"] for r in responses} == {reverse("accounts:check_inbox")}
    assert len(mailoutbox) == 5
    with clock.travel_to(timezone.localdate() + timedelta(days=1)):
        committed(client.post, url, {"email": EMAIL})
    assert len(mailoutbox) == 6


def test_one_connection_cannot_sign_up_more_than_twenty_addresses_an_hour(
    client, committed, mailoutbox, db
):
    signup = reverse("accounts:signup")
    for number in range(20):
        response = committed(client.post, signup, sign_up_data(email=f"v{number}@example.org"))
        assert response["Location"] == reverse("accounts:check_inbox")
    assert len(mailoutbox) == 20

    typed = sign_up_data(email="paul.martin@example.org", full_name="Paul Martin")
    response = committed(client.post, signup, typed)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    page = response.content.decode()
    assert 'id="error-summary"' in page
    assert "paul.martin@example.org" in page and "Paul Martin" in page  # nothing typed is lost
    assert not get_user_model().objects.filter(username="paul.martin@example.org").exists()
    assert len(mailoutbox) == 20

    # Another connection signs up as usual.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert committed(other.post, signup, typed)["Location"] == reverse("accounts:check_inbox")
    assert mailoutbox[-1].to == ["paul.martin@example.org"]


def test_behind_the_proxy_each_visitor_has_a_limit_of_their_own(
    client, committed, mailoutbox, db, settings
):
    # nginx in front: every request comes from its address, the visitor's is in the header.
    settings.MICROGRANTS_TRUSTED_PROXIES = 1
    settings.MICROGRANTS_ACCOUNT_MAILS_PER_CLIENT = 2
    signup = reverse("accounts:signup")
    behind_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for number in range(2):
        data = sign_up_data(email=f"first{number}@example.org")
        committed(client.post, signup, data, HTTP_X_FORWARDED_FOR="203.0.113.5", **behind_proxy)
    forged = committed(
        client.post,
        signup,
        sign_up_data(email="first2@example.org"),
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5",  # a forged entry changes nothing
        **behind_proxy,
    )
    assert forged.status_code == 200 and forged.context["form"].non_field_errors()
    neighbour = committed(
        client.post,
        signup,
        sign_up_data(email="second@example.org"),
        HTTP_X_FORWARDED_FOR="198.51.100.20",
        **behind_proxy,
    )
    assert neighbour["Location"] == reverse("accounts:check_inbox")
    assert len(mailoutbox) == 3


def test_new_passwords_count_like_every_account_mail(client, volunteer, mailoutbox, settings):
    settings.MICROGRANTS_ACCOUNT_MAILS_PER_ADDRESS = 2
    settings.MICROGRANTS_ACCOUNT_MAILS_PER_CLIENT = 3
    url = reverse("password_reset")
    for _attempt in range(3):
        response = client.post(url, {"email": EMAIL})
        assert response["Location"] == reverse("password_reset_done")
    assert [mail.to for mail in mailoutbox] == [[EMAIL], [EMAIL]]
    refused = client.post(url, {"email": "someone.else@example.org"})
    assert refused.status_code == 200
    assert refused.context["form"].non_field_errors()
    assert len(mailoutbox) == 2


def test_the_limit_message_speaks_the_visitors_language(client, committed, db, settings):
    settings.MICROGRANTS_ACCOUNT_MAILS_PER_CLIENT = 0
    for language, words in {"de": "Stunde", "fr": "heure", "en": "hour"}.items():
        response = committed(
            client.post,
            reverse("accounts:resend_confirmation"),
            {"email": EMAIL},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        [message] = response.context["form"].non_field_errors()
        assert words in message, (language, message)


# --- Signing in and out ------------------------------------------------------------------------


def test_signing_in_before_confirming_asks_to_confirm_and_offers_a_new_link(
    client, committed, mailoutbox, db
):
    committed(client.post, reverse("accounts:signup"), sign_up_data())
    mailoutbox.clear()

    response = sign_in(client, EMAIL.upper(), PASSWORD)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors().as_data()[0].code == "unconfirmed"
    page = response.content.decode()
    assert 'id="resend-from-login-form"' in page
    assert response.context["user"].is_anonymous

    response = committed(client.post, reverse("accounts:resend_confirmation"), {"email": EMAIL})
    assert [m.to for m in mailoutbox] == [[EMAIL]]


@pytest.mark.parametrize("username", [EMAIL, "nobody@example.org"])
def test_a_wrong_password_says_nothing_about_whether_an_account_exists(client, db, username):
    accounts.create_unconfirmed_user(EMAIL, full_name="Marie Dupont", password=PASSWORD)
    response = sign_in(client, username, "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors().as_data()[0].code == "invalid_login"
    assert 'id="resend-from-login-form"' not in response.content.decode()


def test_a_volunteer_signs_in_with_the_address_in_another_case(client, volunteer):
    response = sign_in(client, "  Marie.DUPONT@example.ORG ", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:home")
    assert client.get(reverse("applications:home")).context["user"] == volunteer


def test_sign_in_continues_to_the_page_that_asked_for_it(client, volunteer):
    page = client.get(reverse("login"), {"next": "/invitations/abc/"}).content.decode()
    assert f"{reverse('accounts:signup')}?next=/invitations/abc/" in page
    response = client.post(
        reverse("login"), {"username": EMAIL, "password": PASSWORD, "next": "/invitations/abc/"}
    )
    assert response["Location"] == "/invitations/abc/"


def test_demo_users_still_sign_in_with_their_user_name_or_address(client, db):
    demo.make_user("applicant")
    for username in ("applicant", "Applicant@Example.org"):
        response = sign_in(client, username, demo.DEMO_PASSWORD)
        assert response.status_code == 302, username
        client.post(reverse("logout"))


@pytest.mark.parametrize(
    ("username", "workspace"),
    [
        ("applicant", "applications:home"),
        ("reviewer", "reviews:overview"),
        ("manager", "reviews:overview"),
        ("admin", "reviews:overview"),
        ("finance", "finance:payments"),
        ("funder", "dashboards:overview"),
    ],
)
def test_each_role_lands_on_its_own_workspace_after_signing_in(client, cast, username, workspace):
    response = sign_in(client, username, demo.DEMO_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse(workspace)
    assert client.get(response["Location"]).status_code == 200
    # Signed in already, the sign-in page sends them on to the same place.
    assert client.get(reverse("login"))["Location"] == reverse(workspace)


def test_the_sign_in_page_labels_its_fields_and_hints_autocomplete(client, db):
    page = page_inputs(client.get(reverse("login")))
    fields = {i["name"]: i for i in page.inputs if i["form"] == "login-form"}
    assert fields["username"]["id"] == "id_username"
    assert fields["username"]["autocomplete"] == "username"
    assert fields["password"]["autocomplete"] == "current-password"
    assert {"id_username", "id_password"} <= page.labels


def test_a_signed_in_volunteer_is_sent_on_from_the_sign_up_and_sign_in_pages(client, volunteer):
    client.force_login(volunteer)
    for url in (reverse("accounts:signup"), reverse("login")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("applications:home")


def test_signing_out_works_only_by_post(client, volunteer):
    client.force_login(volunteer)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("applications:home")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("applications:home")).status_code == 302


def test_the_header_offers_anonymous_visitors_to_sign_in_or_create_an_account(client, db):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("accounts:signup")}"' in page
    assert f'href="{reverse("login")}"' in page
    assert 'id="logout-form"' not in page


# --- Too many wrong passwords ------------------------------------------------------------------


def test_five_wrong_passwords_pause_sign_in_for_fifteen_minutes_with_a_readable_page(
    client, volunteer
):
    for _attempt in range(4):
        response = sign_in(client, EMAIL, "wrong-password")
        assert response.status_code == 200
    response = sign_in(client, EMAIL, "wrong-password")
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert response.context["minutes"] == 15
    page = response.content.decode()
    assert 'id="lockout-message"' in page
    assert f'href="{reverse("password_reset")}"' in page

    # The right password is refused too while the pause lasts, also with the address in capitals.
    for username in (EMAIL, EMAIL.upper()):
        response = sign_in(client, username, PASSWORD)
        assert response.status_code == 429
    assert client.get(reverse("applications:home")).status_code == 302

    # Only this address from this computer is paused.
    assert sign_in(Client(), EMAIL, PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302


def test_a_paused_account_waiting_for_confirmation_does_not_say_so(client, db):
    accounts.create_unconfirmed_user(EMAIL, full_name="Marie Dupont", password=PASSWORD)
    for _attempt in range(5):
        sign_in(client, EMAIL, "wrong-password")
    response = sign_in(client, EMAIL, PASSWORD)
    assert response.status_code == 429
    assert "resend-from-login-form" not in response.content.decode()


def test_the_pause_page_speaks_the_visitors_language(client, volunteer):
    client.post(reverse("set_language"), {"language": "fr", "next": reverse("login")})
    for _attempt in range(5):
        response = sign_in(client, EMAIL, "wrong-password")
    assert response.status_code == 429
    assert '<html lang="fr">' in response.content.decode()
    assert response["Content-Language"] == "fr"


# --- A new password ----------------------------------------------------------------------------


def test_a_volunteer_chooses_a_new_password_by_email_and_the_pause_is_lifted(
    client, volunteer, mailoutbox
):
    for _attempt in range(5):
        sign_in(client, EMAIL, "wrong-password")
    assert sign_in(client, EMAIL, PASSWORD).status_code == 429

    form_page = client.get(reverse("password_reset"))
    assert 'id="password-reset-form"' in form_page.content.decode()
    response = client.post(reverse("password_reset"), {"email": EMAIL.upper()})
    assert response["Location"] == reverse("password_reset_done")
    assert client.get(response["Location"]).status_code == 200

    [mail] = mailoutbox
    assert mail.to == [EMAIL]
    assert_readable(mail.subject)
    assert mail.alternatives
    link = RESET_LINK.search(mail.body).group(1)
    response = client.get(link)
    assert response.status_code == 302  # Django hides the token behind a redirect
    set_password_url = response["Location"]
    page = client.get(set_password_url)
    assert 'id="set-password-form"' in page.content.decode()
    new_password = "Sonnenblumen-am-Rhein-77"
    response = client.post(
        set_password_url, {"new_password1": new_password, "new_password2": new_password}
    )
    assert response["Location"] == reverse("password_reset_complete")
    assert client.get(response["Location"]).status_code == 200

    assert sign_in(client, EMAIL, new_password)["Location"] == reverse("applications:home")
    # The link is spent.
    assert client.get(link).status_code == 200


def test_asking_for_a_new_password_for_an_unknown_address_looks_the_same(client, db, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


# --- Languages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "de"])
def test_pages_messages_and_mails_follow_the_chosen_language(
    client, committed, mailoutbox, db, language
):
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    page = client.get(reverse("accounts:signup"))
    assert f'<html lang="{language}">' in page.content.decode()

    response = client.post(reverse("accounts:signup"), sign_up_data(password1="1", password2="1"))
    messages = [str(m) for m in response.context["form"].errors["password1"]]
    with translation.override(language):
        expected = gettext("This password is entirely numeric.")
    with translation.override("en"):
        english = gettext("This password is entirely numeric.")
    assert expected in messages
    assert expected != english  # Django's own catalogue has it

    committed(client.post, reverse("accounts:signup"), sign_up_data())
    [mail] = mailoutbox
    assert f'<html lang="{language}">' in mail.alternatives[0][0]


# --- Who the mails come from -------------------------------------------------------------------


def sender_of(mail: Any) -> tuple[str, str, list[str]]:
    """(display name of From, its address, the Reply-To addresses) as the server receives them."""
    import email
    import email.policy

    parsed = email.message_from_bytes(mail.message().as_bytes(), policy=email.policy.default)
    [sender] = parsed["From"].addresses
    reply_to = [address.addr_spec for address in parsed["Reply-To"].addresses] if parsed["Reply-To"] else []  # fmt: skip
    return sender.display_name, sender.addr_spec, reply_to


def test_account_mails_come_from_the_fund_and_name_it_never_the_product(
    client, committed, mailoutbox, fund, volunteer
):
    """The confirmation (through the outbox) and the new password (sent by Django's form) alike:
    the fund's name in the visitor's language, replies to its contact, its sign-off; the
    subject keeps an apostrophe as typed ("Citizens' Fund"), never "&#x27;"."""
    english = demo.FUND_NAMES["name_en"]
    assert "'" in english
    committed(client.post, reverse("accounts:signup"), sign_up_data(email="new.volunteer@example.org"), HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    client.post(reverse("password_reset"), {"email": EMAIL}, HTTP_ACCEPT_LANGUAGE="en")
    confirmation, new_password = mailoutbox
    for mail in (confirmation, new_password):
        assert sender_of(mail) == (english, "noreply@localhost", [demo.FUND_IDENTITY["contact_email"]])  # fmt: skip
        assert mail.subject.endswith(f"– {english}"), mail.subject
        assert "&#x27;" not in mail.subject + mail.body
        html = mail.alternatives[0][0]
        assert "microgrants" not in (mail.subject + mail.body + html).lower()
        assert demo.FUND_IDENTITY["mail_sign_off_en"] in mail.body
        assert f"at {english}" in mail.body  # "you have created an account at ..."
    assert RESET_LINK.search(new_password.body)
