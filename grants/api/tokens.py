"""API tokens: issued by an administrator, stored as a SHA-256 only, shown once, revocable."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Func, IntegerField, OuterRef, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from grants.models import ApiToken, Programme
from workflows import clock
from workflows.roles import Role

# mgt_<8 hex: the prefix, stored in clear for lookup and display>_<43 characters of secret>
TOKEN_PATTERN = re.compile(r"^mgt_(?P<prefix>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{43})$")
DEFAULT_LIFETIME = timedelta(days=365)
# Writing last_used_at on every request would cost a write per read; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"mgt_{prefix}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def issue_token(
    user: Any,
    *,
    by: Any,
    name: str,
    expires_at: datetime | None = None,
    programmes: Iterable[Programme] = (),
    all_programmes: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it with the secret, which is not stored anywhere.

    A token must name its programmes or be marked for all of them.
    """
    chosen = list(programmes)
    expires_at = expires_at or clock.now() + DEFAULT_LIFETIME
    errors: dict[str, Any] = {}
    if not all_programmes and not chosen:
        errors["programmes"] = _("Choose the programmes the token may read, or all programmes.")
    if expires_at <= clock.now():
        errors["expires_at"] = _("The expiry must lie in the future.")
    if user is None or not user.is_active:
        errors["user"] = _("The user account is not active.")
    if errors:
        raise ValidationError(errors)
    prefix, raw = _new_token()
    while ApiToken.objects.filter(prefix=prefix).exists():  # 1 in 4 billion per token
        prefix, raw = _new_token()
    token = ApiToken(
        user=user,
        name=name,
        prefix=prefix,
        token_hash=token_hash(raw),
        all_programmes=all_programmes,
        expires_at=expires_at,
        created_by=by,
        created_at=clock.now(),
    )
    token.full_clean(exclude=["programmes"])
    token.save()
    if not all_programmes:
        token.programmes.set(chosen)
    return token, raw


def revoke_token(token: ApiToken, *, by: Any) -> bool:
    """Refuse the token from now on; False if it was revoked already."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=clock.now(), revoked_by=by
    )
    return bool(revoked)


# SUM as a plain function, not an aggregate: one row for the user without a GROUP BY (NULL when
# the user has no group).
ROLE_BITS = Subquery(
    Group.objects.filter(user=OuterRef("user_id"))
    .order_by()
    .annotate(
        bits=Func(
            Case(
                *(When(name=role.value, then=Value(1 << i)) for i, role in enumerate(Role)),
                default=Value(0),
            ),
            function="SUM",
            output_field=IntegerField(),
        )
    )
    .values("bits"),
    output_field=IntegerField(),
)


def token_for(raw: str) -> ApiToken | None:
    """The token whose secret is `raw` (revoked and expired ones included), else None."""
    match = TOKEN_PATTERN.match(raw)
    if match is None:
        return None
    # The user's roles come along in the same query: one bit per role, summed over the user's
    # groups (group names are unique, so the sum is the OR). Every API request checks them, and
    # workflows.roles.role_names reads what is cached on the user.
    token = (
        ApiToken.objects.select_related("user")
        .annotate(role_bits=ROLE_BITS)
        .filter(prefix=match["prefix"])
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, token_hash(raw)):
        return None
    user = token.user
    bits = token.role_bits or 0  # type: ignore[attr-defined]
    names = frozenset(role.value for index, role in enumerate(Role) if bits & (1 << index))
    if user.is_superuser:
        names |= {Role.ADMINISTRATOR.value}
    user._microgrants_roles = names  # type: ignore[attr-defined]
    return token


def record_use(token: ApiToken) -> None:
    """Stamp last_used_at, at most once per LAST_USED_RESOLUTION."""
    now = clock.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def programme_ids(token: ApiToken) -> frozenset[int] | None:
    """The programmes the token may read; None for all."""
    if token.all_programmes:
        return None
    return frozenset(token.programmes.values_list("pk", flat=True))
