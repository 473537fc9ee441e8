"""Applicant accounts: sign-up with e-mail confirmation, and the mails that go with it.

A new account is inactive until its owner opens the link in the confirmation mail. "Waiting
for confirmation" means inactive and never signed in; confirming signs the person in, so a
confirmed account always has `last_login`. An account an administrator switched off later is
therefore never mistaken for one waiting for confirmation.

Mails are rendered at once, in the language active for the request (the one the person chose
while signing up), and sent when the transaction commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from workflows import clock
from workflows.mail import send_on_commit

logger = logging.getLogger(__name__)

CONFIRMATION_VALID_FOR = timedelta(days=3)
_CONFIRMATION_SALT = "microgrants.accounts.confirm-email"


class SignUpOutcome(StrEnum):
    """What a sign-up did; the page looks the same for all three."""

    CREATED = "created"  # a new account, confirmation link sent
    PENDING = "pending"  # an account was already waiting: name and password updated, new link
    EXISTS = "exists"  # a confirmed account: the owner gets a notice instead
    LIMITED = "limited"  # the address had its mails for this hour: nothing done


class ConfirmationLinkError(Exception):
    """A confirmation link that cannot be used; `reason` is expired, invalid or used."""

    def __init__(self, reason: str, *, user: Any | None = None, next_url: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user
        self.next_url = next_url


@dataclass(frozen=True)
class Confirmation:
    user: Any
    next_url: str


# --- Reading ----------------------------------------------------------------------------------


def normalise_email(value: str) -> str:
    """The form every e-mail address is stored and compared in: stripped and lowercased."""
    return value.strip().lower()


def awaits_confirmation(user: Any) -> bool:
    """Signed up (the user name is the address), not confirmed, never signed in."""
    return (
        not user.is_active
        and user.last_login is None
        and user.get_username() == normalise_email(user.email)
    )


def account_for_email(email: str) -> Any | None:
    """The account signed up with `email`, or the one account that has it as its address."""
    user_model = get_user_model()
    email = normalise_email(email)
    user = user_model._default_manager.filter(username=email).first()
    if user is not None:
        return user
    matches = list(user_model._default_manager.filter(email__iexact=email)[:2])
    return matches[0] if len(matches) == 1 else None


def login_name(value: str) -> str:
    """The user name to authenticate with: an e-mail address (any case) or a plain user name.

    Demo and staff accounts have user names like "applicant"; they keep working as typed.
    """
    value = value.strip()
    if "@" not in value:
        return value
    user = account_for_email(value)
    return user.get_username() if user is not None else normalise_email(value)


def unconfirmed_account(username: str, *, password: str) -> Any | None:
    """The account waiting for confirmation with this user name, if the password is right."""
    user = get_user_model()._default_manager.filter(username=username).first()
    if user is None or not awaits_confirmation(user) or not user.check_password(password):
        return None
    return user


# --- Tokens -----------------------------------------------------------------------------------


def _email_fingerprint(email: str) -> str:
    # Binds a link to the address it was sent to without showing the address in the URL.
    return salted_hmac(_CONFIRMATION_SALT, normalise_email(email)).hexdigest()[:20]


def make_confirmation_token(user: Any, *, next_url: str = "") -> str:
    """A signed token for the confirmation link, valid for CONFIRMATION_VALID_FOR."""
    payload = {
        "u": user.pk,
        "e": _email_fingerprint(user.email),
        "t": int(clock.now().timestamp()),
    }
    if next_url:
        payload["n"] = next_url
    return signing.dumps(payload, salt=_CONFIRMATION_SALT, compress=True)


def read_confirmation_token(token: str) -> Confirmation:
    """The account and next address a token stands for; raises ConfirmationLinkError."""
    try:
        payload = signing.loads(token, salt=_CONFIRMATION_SALT)
        user_id, fingerprint, issued = int(payload["u"]), str(payload["e"]), int(payload["t"])
        next_url = str(payload.get("n", ""))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise ConfirmationLinkError("invalid") from error
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None or not constant_time_compare(fingerprint, _email_fingerprint(user.email)):
        raise ConfirmationLinkError("invalid")
    if not awaits_confirmation(user):
        raise ConfirmationLinkError("used", user=user)
    if clock.now().timestamp() - issued > CONFIRMATION_VALID_FOR.total_seconds():
        raise ConfirmationLinkError("expired", user=user, next_url=next_url)
    return Confirmation(user=user, next_url=next_url)


# --- Limits -----------------------------------------------------------------------------------
# Anyone may make the fund mail any address: a sign-up, a new confirmation link, a new password.
# Counted per hour in the (shared) cache: per address, so that nobody floods someone's inbox
# through the fund (over the limit no mail goes out and the page looks the same, so it tells
# nothing about the address); per client, so that one machine cannot go through many addresses
# (over the limit the form says so, and keeps what was typed).

MAIL_LIMIT_WINDOW = timedelta(hours=1)


class TooManyMails(Exception):
    """The client asked for more account mails than allowed in this hour."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Too many e-mails have been asked for from your connection in the last hour. "
                "Please try again in an hour."
            )
        )


def _count_this_hour(name: str) -> int:
    """Add one to the counter `name` of the current hour; its new value."""
    window = int(MAIL_LIMIT_WINDOW.total_seconds())
    key = f"account-mails:{name}:{int(clock.now().timestamp()) // window}"
    cache.add(key, 0, timeout=2 * window)
    try:
        return cache.incr(key)
    except ValueError:  # the counter expired between add and incr
        cache.set(key, 1, timeout=2 * window)
        return 1


def reserve_account_mail(email: str, request: HttpRequest) -> bool:
    """Count one account mail to `email` asked for by this request's client.

    Raises TooManyMails when the client is over its limit (nothing counted for the address);
    False when the address is over its limit: then send nothing and show the usual page.
    """
    client = get_client_ip_address(request) or "unknown"
    if _count_this_hour(f"client:{client}") > settings.MICROGRANTS_ACCOUNT_MAILS_PER_CLIENT:
        raise TooManyMails
    address = _email_fingerprint(email)  # no address in clear in the cache
    return _count_this_hour(f"address:{address}") <= settings.MICROGRANTS_ACCOUNT_MAILS_PER_ADDRESS


# --- Writing ----------------------------------------------------------------------------------


def _name_parts(full_name: str) -> tuple[str, str]:
    # Given name first, as on German and French forms; get_full_name() gives the name back.
    first, _, last = " ".join(full_name.split()).partition(" ")
    return first, last


def create_unconfirmed_user(email: str, *, full_name: str, password: str) -> Any:
    """Create an inactive account whose user name is the e-mail address; writes one row."""
    email = normalise_email(email)
    first_name, last_name = _name_parts(full_name)
    return get_user_model()._default_manager.create_user(
        username=email,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_active=False,
    )


@transaction.atomic
def sign_up(
    email: str, *, full_name: str, password: str, request: HttpRequest, next_url: str = ""
) -> SignUpOutcome:
    """Create an inactive account and mail its link, or mail the known address a notice.
    Raises TooManyMails (see reserve_account_mail); over the address's limit it does nothing."""
    # The outcome never shows on the page, so nobody learns which addresses have an account.
    email = normalise_email(email)
    if not reserve_account_mail(email, request):
        return SignUpOutcome.LIMITED
    existing = account_for_email(email)
    if existing is None:
        try:
            with transaction.atomic():
                user = create_unconfirmed_user(email, full_name=full_name, password=password)
        except IntegrityError:
            # Someone signed up with the same address a moment earlier.
            existing = account_for_email(email)
            if existing is None:
                raise
        else:
            send_confirmation_email(user, request=request, next_url=next_url)
            return SignUpOutcome.CREATED

    if awaits_confirmation(existing):
        # The latest sign-up wins: whoever confirms uses the password they typed last.
        existing.first_name, existing.last_name = _name_parts(full_name)
        existing.set_password(password)
        existing.save(update_fields=["first_name", "last_name", "password"])
        send_confirmation_email(existing, request=request, next_url=next_url)
        return SignUpOutcome.PENDING

    make_password(password)  # the same hashing work as a new account, so timing tells nothing
    send_account_exists_email(existing, request=request, next_url=next_url)
    return SignUpOutcome.EXISTS


@transaction.atomic
def confirm_email(token: str) -> Confirmation:
    """Activate the account a confirmation link stands for; raises ConfirmationLinkError."""
    confirmation = read_confirmation_token(token)
    user_model = get_user_model()
    user = user_model._default_manager.select_for_update().get(pk=confirmation.user.pk)
    if not awaits_confirmation(user):  # a second click that raced the first
        raise ConfirmationLinkError("used", user=user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    return Confirmation(user=user, next_url=confirmation.next_url)


def resend_confirmation(email: str, *, request: HttpRequest, next_url: str = "") -> bool:
    """Mail a new confirmation link if an account at `email` waits for one; True if sent.
    Raises TooManyMails (see reserve_account_mail)."""
    if not reserve_account_mail(email, request):
        return False
    user = account_for_email(email)
    if user is None or not awaits_confirmation(user):
        return False
    send_confirmation_email(user, request=request, next_url=next_url)
    return True


# --- Mails ------------------------------------------------------------------------------------


def _send_mail(name: str, *, to: str, context: dict[str, Any]) -> None:
    """Render in the request's language, from the site's fund (workflows.senders); send on
    commit (see workflows.mail)."""
    send_on_commit(name, to=[to], context=context)


def send_confirmation_email(user: Any, *, request: HttpRequest, next_url: str = "") -> None:
    """Mail the confirmation link to the account's address after commit."""
    token = make_confirmation_token(user, next_url=next_url)
    _send_mail(
        "account_confirmation",
        to=user.email,
        context={
            "user": user,
            "link": request.build_absolute_uri(reverse("accounts:confirm", args=[token])),
            "valid_days": CONFIRMATION_VALID_FOR.days,
        },
    )


def send_account_exists_email(user: Any, *, request: HttpRequest, next_url: str = "") -> None:
    """Tell the owner of an account that someone tried to sign up again, after commit."""
    username = user.get_username()
    sign_in = reverse("login")
    if next_url:  # e.g. the invitation that sent them to the sign-up page
        sign_in += "?" + urlencode({"next": next_url})
    _send_mail(
        "account_exists",
        to=user.email or username,
        context={
            "user": user,
            # Staff and demo accounts sign in with a user name that is not their address.
            "username": username if username != normalise_email(user.email) else "",
            "sign_in_link": request.build_absolute_uri(sign_in),
            "reset_link": request.build_absolute_uri(reverse("password_reset")),
        },
    )
