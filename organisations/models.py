"""Organisations (associations, municipalities, informal groups), their members and the
invitations to join them, with the bank account the fund pays to.

Below `grants` and `applications`: of the project's apps this one imports only `workflows`. The tables keep
the names they had when these models lived in `applications` (migration 0001 adopts them).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from organisations import rules
from organisations.banking import is_valid_iban, normalise_iban, validate_bic, validate_iban
from organisations.choices import LegalForm, Region
from workflows import clock
from workflows.fields import CleanCharField


def informal_group_label(city: str) -> str:
    """How the public pages name an informal group (private persons): never by its name or
    members, by its town (the showcase, the partner exchange), in the active language."""
    if not city:
        return gettext("informal group")
    return gettext("informal group in %(city)s") % {"city": city}


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def visible_to(self, user: Any) -> models.QuerySet[Organisation]:
        return rules.organisations_visible_to(self, user)


class Organisation(models.Model):
    name = CleanCharField(_("name"), max_length=200)
    legal_form = models.CharField(_("legal form"), max_length=32, choices=LegalForm)
    country = CleanCharField(_("country"), max_length=2, help_text=_("ISO code, e.g. DE or FR"))
    street = CleanCharField(_("street and number"), max_length=200, blank=True)
    postcode = CleanCharField(_("postcode"), max_length=16, blank=True)
    city = CleanCharField(_("city"), max_length=100)
    region = models.CharField(
        _("region"),
        max_length=8,
        choices=Region,
        blank=True,
        help_text=_("Land or région, for the fund's statistics"),
    )
    registration_id = CleanCharField(
        _("registration number"), max_length=64, blank=True, help_text=_("e.g. VR 12345 or RNA")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    group_members = models.JSONField(
        _("group members"),
        default=list,
        blank=True,
        help_text=_("full names of the members of an informal group"),
    )
    bank_account_holder = CleanCharField(_("account holder"), max_length=70, blank=True)
    iban = CleanCharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    bic = CleanCharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    created_at = models.DateTimeField(default=clock.now)
    # Part of what the API shows of an application: its Last-Modified follows this too.
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        db_table = "applications_organisation"  # its table from before the move, kept
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        # The API's Last-Modified of the application list reads the latest change.
        indexes = [models.Index(fields=["updated_at"], name="organisation_updated")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.iban = normalise_iban(self.iban)
        self.bic = "".join((self.bic or "").split()).upper()
        self.country = (self.country or "").upper()
        if self.region and not self.region.startswith(f"{self.country}-"):
            raise ValidationError({"region": _("This region is not in the country chosen.")})
        names = self.named_group_members()
        if self.legal_form == LegalForm.INFORMAL_GROUP and len(names) < 3:
            raise ValidationError(
                {"group_members": _("An informal group needs at least 3 named members.")}
            )

    def named_group_members(self) -> list[str]:
        if not isinstance(self.group_members, list):
            return []
        return [str(n).strip() for n in self.group_members if str(n).strip()]

    @property
    def is_informal_group(self) -> bool:
        return self.legal_form == LegalForm.INFORMAL_GROUP

    def has_member(self, user: Any) -> bool:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        cache = getattr(user, "_microgrants_orgs", None)
        if cache is None:
            cache = set(
                Membership.objects.filter(user=user, is_active=True).values_list(
                    "organisation_id", flat=True
                )
            )
            user._microgrants_orgs = cache
        return self.pk in cache

    def has_valid_bank_account(self) -> bool:
        return bool(self.bank_account_holder.strip()) and is_valid_iban(self.iban)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def visible_to(self, user: Any) -> models.QuerySet[Membership]:
        return rules.memberships_visible_to(self, user)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("administrator of the organisation")
        MEMBER = "member", _("member")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=clock.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        db_table = "applications_membership"  # its table from before the move, kept
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def visible_to(self, user: Any) -> models.QuerySet[Invitation]:
        return rules.invitations_visible_to(self, user)


class Invitation(models.Model):
    """An invitation by e-mail to join an organisation; the link carries a secret token.

    Only the token's SHA-256 is stored, so a leaked database does not let anyone join.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"))
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        db_table = "applications_invitation"  # its table from before the move, kept
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} -> {self.organisation}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None and self.revoked_at is None and self.expires_at > clock.now()
        )
