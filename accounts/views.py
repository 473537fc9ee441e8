"""Thin views of the account pages: sign-up, confirmation, a new link, the lockout page."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from axes.utils import reset as reset_sign_in_failures
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import (
    EmailAuthenticationForm,
    NewPasswordForm,
    ResendConfirmationForm,
    SignUpForm,
)
from accounts.landing import workspace_url

# What the "check your inbox" page shows: the address typed, and whether it was a sign-up.
INBOX_SESSION_KEY = "accounts_inbox"
_NEXT_MAX_LENGTH = 2000


def safe_next_url(request: HttpRequest, value: object) -> str:
    """`value` if it is a local address to continue to after signing in, else ""."""
    if not isinstance(value, str) or not value or len(value) > _NEXT_MAX_LENGTH:
        return ""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return ""
    allowed = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if allowed else ""


def _next_from(request: HttpRequest) -> str:
    return safe_next_url(request, request.POST.get("next") or request.GET.get("next"))


def _landing(request: HttpRequest, next_url: str) -> HttpResponseRedirect:
    return redirect(safe_next_url(request, next_url) or workspace_url(request.user))


def _show_inbox(
    request: HttpRequest, email: str, *, kind: str, next_url: str
) -> HttpResponseRedirect:
    request.session[INBOX_SESSION_KEY] = {"email": email, "kind": kind, "next": next_url}
    return redirect("accounts:check_inbox")


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    next_url = _next_from(request)
    if request.user.is_authenticated:
        return _landing(request, next_url)
    form = SignUpForm(request.POST) if request.method == "POST" else SignUpForm()
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.sign_up(
                data["email"],
                full_name=data["full_name"],
                password=data["password1"],
                request=request,
                next_url=next_url,
            )
        except services.TooManyMails as refusal:
            form.add_error(None, str(refusal))
        else:
            return _show_inbox(request, data["email"], kind="signup", next_url=next_url)
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


@never_cache
def check_inbox(request: HttpRequest) -> HttpResponse:
    sent = request.session.get(INBOX_SESSION_KEY) or {}
    email = sent.get("email", "")
    return render(
        request,
        "accounts/check_inbox.html",
        {
            "email": email,
            "kind": sent.get("kind", "signup"),
            "next": safe_next_url(request, sent.get("next")),
            "form": ResendConfirmationForm(initial={"email": email}),
            "valid_days": services.CONFIRMATION_VALID_FOR.days,
        },
    )


@never_cache
@require_http_methods(["GET"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        confirmation = services.confirm_email(token)
    except services.ConfirmationLinkError as error:
        if error.reason == "used" and request.user.pk == getattr(error.user, "pk", None):
            return _landing(request, "")
        pending = error.user if error.reason == "expired" else None
        form = ResendConfirmationForm(initial={"email": pending.email if pending else ""})
        return render(
            request,
            "accounts/confirmation_failed.html",
            {
                "reason": error.reason,
                "form": form,
                "next": safe_next_url(request, error.next_url),
                "valid_days": services.CONFIRMATION_VALID_FOR.days,
            },
        )
    login(request, confirmation.user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(
        request, _("Thank you: your e-mail address is confirmed and you are signed in.")
    )
    return _landing(request, confirmation.next_url)


@never_cache
@require_http_methods(["GET", "POST"])
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    next_url = _next_from(request)
    if request.method == "POST":
        form = ResendConfirmationForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            try:
                services.resend_confirmation(email, request=request, next_url=next_url)
            except services.TooManyMails as refusal:
                form.add_error(None, str(refusal))
            else:
                return _show_inbox(request, email, kind="resend", next_url=next_url)
    else:
        initial = request.GET.get("email", "")
        form = ResendConfirmationForm(initial={"email": initial if "\x00" not in initial else ""})
    return render(request, "accounts/resend.html", {"form": form, "next": next_url})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page, with the limits of every account mail (services.reserve_account_mail)
    and the fund as the mail's sender (forms.NewPasswordForm)."""

    form_class = NewPasswordForm

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            allowed = services.reserve_account_mail(form.cleaned_data["email"], self.request)
        except services.TooManyMails as refusal:
            form.add_error(None, str(refusal))
            return self.form_invalid(form)
        if not allowed:  # the same page as when a mail went out
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class SignInView(auth_views.LoginView):
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        """Without a `next`: the signed-in user's own workspace (accounts.landing)."""
        return workspace_url(self.request.user)


class SetNewPasswordView(auth_views.PasswordResetConfirmView):
    """Django's page for a new password; it also lifts a sign-in block for that account."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever can read the mailbox may sign in again at once with the new password.
        reset_sign_in_failures(username=form.user.get_username())
        return response


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): a readable page, status 429."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else 0
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
