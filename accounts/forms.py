"""Forms of the account pages: sign-up, sign-in by e-mail, a new confirmation link, a new password.

Messages are short sentences for people who do not think in technical terms; field ids stay
Django's defaults (id_email, id_password1, ...) because browser tests rely on them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts import services
from workflows import senders
from workflows.outbox import TEXT_TEMPLATES

# The user name holds the address, so an address can be no longer than a user name.
EMAIL_MAX_LENGTH = 150
NAME_MAX_LENGTH = 150

_EMAIL_ERRORS = {
    "required": _("Please enter your e-mail address."),
    "invalid": _("Please enter a complete e-mail address, for example name@example.org."),
    "max_length": _("This e-mail address is too long. Please use one with at most 150 characters."),
}


def _email_field(**attrs: Any) -> forms.EmailField:
    return forms.EmailField(
        label=_("E-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        error_messages=_EMAIL_ERRORS,
        widget=forms.EmailInput(
            attrs={
                "autocomplete": "email",
                "autocapitalize": "none",
                "spellcheck": "false",
                **attrs,
            }
        ),
    )


class SignUpForm(forms.Form):
    email = _email_field(autofocus=True)
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("First name and surname, as you would sign a letter."),
        error_messages={
            "required": _("Please enter your name."),
            "max_length": _("This name is too long. Please use at most 150 characters."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        error_messages={"required": _("Please choose a password.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        help_text=_("Type the same password again, so that a typing mistake cannot lock you out."),
        error_messages={"required": _("Please type your password a second time.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean_email(self) -> str:
        return services.normalise_email(self.cleaned_data["email"])

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())

    @sensitive_variables("password1", "password2")
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2",
                ValidationError(
                    _("The two passwords are not the same. Please type the same password twice."),
                    code="password_mismatch",
                ),
            )
        if password1:
            first_name, _sep, last_name = cleaned.get("full_name", "").partition(" ")
            email = cleaned.get("email", "")
            # Unsaved, only so the validators can compare the password with the name and address.
            candidate = get_user_model()(
                username=email, email=email, first_name=first_name, last_name=last_name
            )
            try:
                password_validation.validate_password(password1, user=candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class EmailAuthenticationForm(AuthenticationForm):
    """Sign in with the e-mail address in any case, or with a user name (demo and staff)."""

    username = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        error_messages={"required": _("Please enter your e-mail address.")},
        # "username" rather than "email": password managers fill sign-in forms by that hint.
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
                "inputmode": "email",
            }
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        error_messages={"required": _("Please enter your password.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _(
            "The e-mail address or the password is not right. Please check both and try again."
        ),
        "inactive": _("This account is switched off. Please contact the fund's office."),
        "unconfirmed": _(
            "Please confirm your e-mail address first: open the link in the e-mail we sent you "
            "when you created your account."
        ),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        # The parent sizes and labels the field after the user name; it takes addresses too.
        username = self.fields["username"]
        assert isinstance(username, forms.CharField)
        username.label = _("E-mail")
        username.max_length = 254
        username.widget.attrs["maxlength"] = 254
        self.unconfirmed_email = ""

    @sensitive_variables("password")
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        username = services.login_name(username)
        self.cleaned_data["username"] = username
        # Always through authenticate(): django-axes counts the attempt and may refuse it.
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            locked = getattr(self.request, "axes_locked_out", False)
            # Only someone who knows the password learns that the account waits for them.
            pending = None if locked else services.unconfirmed_account(username, password=password)
            if pending is not None:
                self.unconfirmed_email = pending.email
                raise ValidationError(self.error_messages["unconfirmed"], code="unconfirmed")
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def get_invalid_login_error(self) -> ValidationError:
        return ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class ResendConfirmationForm(forms.Form):
    email = _email_field()

    def clean_email(self) -> str:
        return services.normalise_email(self.cleaned_data["email"])


class NewPasswordForm(PasswordResetForm):
    """Django's form for a new password, whose mail comes from the fund like every other
    (`workflows.senders`: From's display name, Reply-To, sign-off) and whose subject and text
    are rendered without HTML escaping, like the outbox's: "Citizens' Fund" stays as typed."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        sender = senders.sender_for(None)
        context = {**context, **sender.context}
        line = render_to_string(subject_template_name, context, using=TEXT_TEMPLATES)
        body = render_to_string(email_template_name, context, using=TEXT_TEMPLATES)
        message = EmailMultiAlternatives(
            " ".join(line.split()),
            body,
            senders.from_header(sender),
            [to_email],
            reply_to=list(sender.reply_to),
            headers={"Auto-Submitted": "auto-generated"},
        )
        if html_email_template_name:
            message.attach_alternative(
                render_to_string(html_email_template_name, context), "text/html"
            )
        message.send()
