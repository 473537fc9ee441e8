"""Co-funding: the organisations that finance a yearly budget, their shares, and the one rule
that turns a sum into each funder's part of it.

A budget (`BudgetAllocation`) without co-funders is financed by the fund itself, as before
co-funding existed. With co-funders, they finance it together, each with a share in percent
(two decimals); the shares add up to 100 %. The first co-funder listed is the lead funder.

Rounding (`split`): of any sum paid from a budget, each co-funder except the lead gets its
share rounded down to the cent, and the lead funder gets the rest. The parts always add up to
the sum exactly; a part is less than a cent below its exact share, the lead's at most one cent
above it per other co-funder (in co-financing agreements, the lead funder bears the rounding).

The rule is applied per grant (to its amount, to what it committed, was paid, paid back) and a
funder's figure is the sum of its parts of the grants: the letters, the ledger and the
statistics then agree to the cent, and the sum of the funders' figures is the budget's own
figure. As the non-lead parts are a computation per row, the database sums them too
(`funder_cents`), and the lead's figure is the total less the others'.

The co-funders of a budget are fixed once money is booked on it: changing them would change
figures already reported to the funders (`check_shares`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Floor, Round
from django.utils.translation import gettext_lazy as _

from grants.money import format_percent
from workflows.fields import CleanCharField

HUNDRED = Decimal(100)
# Percent with two decimals is a whole number of basis points; a whole is 10,000 of them.
WHOLE = 10_000

# An org-id (org-id.guide) as 360Giving publishes organisations: the list's code ("XI-EORI",
# "XM-DAC", "DE-CR", "FR-RNA") then the organisation's number in it, or a publisher's own
# "360G-<prefix>-<id>".
ORG_ID = r"^(?:[A-Z]{2}-[A-Z0-9]+|360G-[A-Za-z0-9]+)-\S+$"
COUNTRY_CODE = r"^[A-Za-z]{2}$"


class Funder(models.Model):  # type: ignore[django-manager-missing]  # (see grants.models.Fund)
    """An organisation that finances budgets of the fund, e.g. a ministry."""

    name = CleanCharField(_("name"), max_length=200)
    identifier = CleanCharField(
        _("identifier"),
        max_length=100,
        unique=True,
        validators=[
            RegexValidator(
                ORG_ID,
                _(
                    "Please enter the organisation's identifier as org-id.guide writes it: the "
                    "list's code, then the number in that list, e.g. XM-DAC-5-7 or "
                    "XI-EORI-FR12345678901."
                ),
            )
        ],
        help_text=_(
            "The org-id of the organisation (org-id.guide), as 360Giving publishes it, e.g. "
            "XM-DAC-5-7 or XI-EORI-FR12345678901."
        ),
    )
    country = CleanCharField(
        _("country"),
        max_length=2,
        validators=[RegexValidator(COUNTRY_CODE, _("Please enter a two-letter country code."))],
        help_text=_("ISO code, e.g. DE or FR"),
    )

    # django-modeltranslation's manager, as on grants.models.Fund (name per language).
    objects: models.Manager[Funder] = models.Manager()

    class Meta:
        verbose_name = _("funder")
        verbose_name_plural = _("funders")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.identifier = (self.identifier or "").strip()
        self.country = (self.country or "").strip().upper()


class AllocationShare(models.Model):
    """A funder's share of one yearly budget; the first share (by id) is the lead funder's."""

    allocation = models.ForeignKey(
        "grants.BudgetAllocation",
        on_delete=models.CASCADE,
        related_name="shares",
        verbose_name=_("budget allocation"),
    )
    funder = models.ForeignKey(
        Funder, on_delete=models.PROTECT, related_name="shares", verbose_name=_("funder")
    )
    percent = models.DecimalField(
        _("share in %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HUNDRED)],
    )

    class Meta:
        verbose_name = _("co-funder")
        verbose_name_plural = _("co-funders")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "funder"], name="one_share_per_funder"),
            models.CheckConstraint(
                condition=Q(percent__gt=0) & Q(percent__lte=100), name="share_in_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.funder}: {self.percent} %"


# --- the rule --------------------------------------------------------------------------------------


def basis_points(percent: Decimal) -> int:
    return int((percent * 100).to_integral_value())


def split(amount: Decimal, percents: Sequence[Decimal]) -> list[Decimal]:
    """`amount` (EUR, cents) in parts for funders with `percents` (the lead's first): each but
    the lead gets its share rounded down to the cent, the lead the rest. The parts add up to
    `amount`; a negative amount is split as its opposite."""
    if not percents:
        raise ValueError("split needs at least one share")
    if amount < 0:
        return [-part for part in split(-amount, percents)]
    total = int((amount * 100).to_integral_value())
    others = [total * basis_points(percent) // WHOLE for percent in percents[1:]]
    return [Decimal(cents).scaleb(-2) for cents in (total - sum(others), *others)]


def funder_cents(amount: Any, percent: Any) -> Floor:
    """A co-funder's part of `amount` (an expression, EUR, not negative) in whole cents, for a
    co-funder who is not the lead: the database's `split`. Integer arithmetic on rounded values,
    so that SQLite's floating point gives the same cents as PostgreSQL's numeric."""
    cents = Round(amount * Value(HUNDRED))
    points = Round(percent * Value(HUNDRED))
    return Floor(
        cents * points / Value(Decimal(WHOLE)),
        output_field=models.DecimalField(max_digits=20, decimal_places=0),
    )


# --- what an administrator may set ---------------------------------------------------------------

SHARES_LOCKED = _(
    "The co-funders of this budget cannot change any more: money is already booked on it, and "
    "the figures reported to each funder would change with them. Set the co-funders of the "
    "next budget instead."
)


def current_shares(allocation: Any) -> list[tuple[int, Decimal]]:
    """(funder id, percent) of a saved budget's co-funders, the lead's first."""
    if allocation is None or allocation.pk is None:
        return []
    return [
        (funder_id, percent)
        for funder_id, percent in AllocationShare.objects.filter(allocation=allocation)
        .order_by("pk")
        .values_list("funder_id", "percent")
    ]


def check_shares(allocation: Any, shares: Sequence[tuple[int, Decimal]]) -> None:
    """Refuse co-funders (funder id, percent; the lead's first) that do not make a whole
    budget: each funder once, shares that add up to 100 %; none at all is the fund alone. A
    budget with bookings keeps the co-funders it has."""
    shares = [(funder, Decimal(percent)) for funder, percent in shares]
    if (
        allocation is not None
        and allocation.pk is not None
        and shares != current_shares(allocation)
        and allocation.entries.exists()
    ):
        raise ValidationError(SHARES_LOCKED, code="shares_locked")
    if not shares:
        return
    funders = [funder for funder, _percent in shares]
    if len(set(funders)) != len(funders):
        raise ValidationError(
            _("Each funder can be named only once for a budget."), code="funder_twice"
        )
    if any(not 0 < percent <= HUNDRED for _funder, percent in shares):
        raise ValidationError(
            _("Each share is more than 0 % and at most 100 %."), code="share_out_of_range"
        )
    total = sum((percent for _funder, percent in shares), Decimal(0))
    if total != HUNDRED:
        raise ValidationError(
            _(
                "The shares of the co-funders must add up to 100 %% (now %(total)s). Leave out "
                "every co-funder if the fund alone finances this budget."
            ),
            code="shares_not_whole",
            params={"total": format_percent(total / HUNDRED)},
        )
