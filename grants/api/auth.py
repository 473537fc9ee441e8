"""Who is calling the API: token or staff session, which programmes they may read, how often."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from grants import rules
from grants.api import tokens
from grants.models import ApiToken
from workflows import clock

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` (or `Token <token>`). Other schemes are left to the
    next authenticator; a token that is wrong, revoked or expired is refused with 401."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Bearer <token>”."), code="token_malformed"
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raw = ""
        token = tokens.token_for(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("This token is not valid."), code="token_invalid"
            )
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("This token was revoked."), code="token_revoked"
            )
        if token.expires_at <= clock.now():
            raise exceptions.AuthenticationFailed(
                _("This token has expired."), code="token_expired"
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                _("The account of this token is disabled."), code="user_inactive"
            )
        tokens.record_use(token)
        # The token's programmes limit whatever the request reaches (grants.rules.programme_limit).
        setattr(token.user, rules.TOKEN_ATTRIBUTE, token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return 'Bearer realm="microgrants API"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "grants.api.auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token from an administrator: `Authorization: Bearer mgt_…` "
                "(`Token mgt_…` works too). It reads only the programmes it names."
            ),
        }


def token_of(request: Request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


def programme_scope(request: Request) -> frozenset[int] | None:
    """The programme ids the caller may read (a token's choice), or None for all (staff
    session, all-programmes token); the rule set's `programme_limit`, read once per request."""
    return rules.programme_limit(request.user)


class HasApiAccess(BasePermission):
    """Funders and staff with a token; staff with a session. Anonymous callers get 401."""

    message = _("This account has no access to the API.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        if token_of(request) is not None:
            return rules.may_use_api_token(user)
        if rules.may_use_api_session(user):
            return True
        if rules.may_use_api_token(user):
            self.message = _("Please use your API token; a session does not open the API.")
        return False


class MayReadPayments(BasePermission):
    message = _("Only finance officers and administrators read payments.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return rules.may_read_payments(request.user)


class MayReadBudgets(BasePermission):
    message = _("Only programme managers, finance officers and administrators read budgets.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return rules.sees_ledger(request.user)


class TokenRateThrottle(SimpleRateThrottle):
    """Requests per token (or per staff user in a session), at MICROGRANTS_API_RATE."""

    scope = "api"

    def get_rate(self) -> str | None:
        rate: str | None = getattr(settings, "MICROGRANTS_API_RATE", "600/minute")
        return rate

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = token_of(request)
        if token is not None:
            ident = f"token-{token.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
