"""Funder-side admin: policy (administrators only), budgets with their ledger, grants and money.

Grants, payments, claims and ledger entries are written by services only; here they are shown,
and a grant's transitions are offered as buttons that run through its table (`grants.transitions`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from grants.api.tokens import DEFAULT_LIFETIME as DEFAULT_TOKEN_LIFETIME
from grants.api.tokens import issue_token, revoke_token
from grants.cofunding import FunderFigures, funder_figures
from grants.funders import AllocationShare, Funder, check_shares
from grants.identity import letters_waiting
from grants.models import (
    ApiToken,
    BudgetAllocation,
    Call,
    Fund,
    Grant,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentBatch,
    Programme,
    ReferenceCounter,
    RepaymentClaim,
)
from grants.money import MAX_DIGITS, ZERO, format_eur, format_percent
from grants.services import save_fund
from grants.transitions import GRANT_TRANSITIONS
from workflows import clock
from workflows.admin import (
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    RoleAdmin,
    RolePermissions,
    TransitionAdmin,
    transition_actions,
)
from workflows.roles import Role

# Budgets and their ledger: those who decide, pay and administer.
MONEY_VIEWERS = (Role.MANAGER, Role.FINANCE, Role.ADMINISTRATOR)

# --- policy: funds, programmes, calls (administrators change them) ----------------------------
# Their names are written once per language (grants/translation.py): the forms show name_de,
# name_fr, name_en in place of `name`, German required; a search looks in every language.


def in_every_language(*fields: str) -> tuple[str, ...]:
    return tuple(f"{field}_{code}" for field in fields for code, _name in settings.LANGUAGES)


@admin.register(Fund)
class FundAdmin(RoleAdmin, TranslationAdmin):  # type: ignore[misc]
    """The fund and its identity. The panel on top says what its letters still miss (they are
    not issued until nothing does) and how many wait for it; saving a complete identity issues
    them (grants.services.save_fund)."""

    delete_roles = (Role.ADMINISTRATOR,)
    list_display = ("name", "short_name", "reference_prefix", "countries", "ready_for_letters")
    search_fields = (*in_every_language("name", "short_name"), "reference_prefix")
    readonly_fields = ("letter_readiness",)
    fieldsets = (
        (_("Letters"), {"fields": ("letter_readiness",)}),
        (None, {"fields": ("name", "short_name", "reference_prefix", "countries")}),
        (
            _("Postal address"),
            {"fields": ("office", "street", "postcode", "city", "country")},
        ),
        (_("Contact"), {"fields": ("contact_name", "contact_email", "contact_phone")}),
        (_("Signature"), {"fields": ("signatory_name", "signatory_function")}),
        (
            _("Legal texts"),
            {
                "fields": (
                    "decision_form",
                    "legal_basis",
                    "appeal_clause",
                    "data_protection_notice",
                )
            },
        ),
        (_("E-mails"), {"fields": ("mail_sign_off",)}),
    )

    @admin.display(description=_("ready for letters"), boolean=True)
    def ready_for_letters(self, fund: Fund) -> bool:
        return fund.ready_for_letters

    @admin.display(description=_("Can the fund issue letters?"))
    def letter_readiness(self, fund: Fund | None) -> str:
        if fund is None or fund.pk is None:
            return str(_("Save the fund first; this panel then says what its letters miss."))
        gaps = fund.letter_gaps()
        waiting = letters_waiting(fund)
        waiting_line = (
            format_html(
                "<p>{}</p>",
                ngettext(
                    "%(count)d letter waits for this and is issued once nothing is missing.",
                    "%(count)d letters wait for this and are issued once nothing is missing.",
                    waiting,
                )
                % {"count": waiting},
            )
            if waiting
            else ""
        )
        if not gaps:
            return format_html(
                '<p class="letters-ready">{}</p>{}',
                _("Yes: every letter carries the fund's complete identity."),
                waiting_line,
            )
        return format_html(
            '<div class="letters-missing"><p><strong>{}</strong></p><ul>{}</ul>{}</div>',
            _("No letter is issued until this is filled in:"),
            format_html_join("", "<li>{}</li>", ((gap,) for gap in gaps)),
            waiting_line,
        )

    def save_model(self, request: HttpRequest, obj: Fund, form: Any, change: bool) -> None:
        resumed = save_fund(obj)
        if resumed:
            messages.success(
                request,
                ngettext(
                    "%(count)d letter that waited for the fund's identity is being issued now.",
                    "%(count)d letters that waited for the fund's identity are being issued now.",
                    resumed,
                )
                % {"count": resumed},
            )
        gaps = obj.letter_gaps()
        if gaps:
            messages.warning(
                request,
                _("The fund cannot issue letters yet. Missing: %(missing)s.")
                % {"missing": "; ".join(gaps)},
            )


class CallInline(RolePermissions, TranslationTabularInline):  # type: ignore[misc]
    model = Call
    delete_roles = (Role.ADMINISTRATOR,)
    extra = 0
    fields = ("title", "opens_on", "closes_on")


@admin.register(Programme)
class ProgrammeAdmin(RoleAdmin, TranslationAdmin):  # type: ignore[misc]
    delete_roles = (Role.ADMINISTRATOR,)
    list_display = (
        "name",
        "fund",
        "code",
        "category",
        "is_active",
        "min_amount",
        "max_amount",
        "max_share",
        "intake",
        "reviews_required",
    )
    list_filter = ("fund", "is_active", "intake")
    list_select_related = ("fund",)
    search_fields = (*in_every_language("name"), "code")
    inlines = (CallInline,)
    fieldsets = (
        (None, {"fields": ("fund", "code", "name", "category", "is_active", "languages")}),
        (
            _("Money"),
            {"fields": ("min_amount", "max_amount", "max_share", "payment_plan", "mileage_rate")},
        ),
        (
            _("Process"),
            {
                "fields": (
                    "intake",
                    "lead_time_days",
                    "reviews_required",
                    "rubric",
                    "minimum_score",
                    "offer_acceptance_days",
                    "interim_report",
                    "interim_report_on",
                    "interim_report_share",
                    "report_days_after_end",
                    "requires_cross_border_partner",
                    "allows_in_kind",
                )
            },
        ),
    )


@admin.register(Call)
class CallAdmin(RoleAdmin, TranslationAdmin):  # type: ignore[misc]
    delete_roles = (Role.ADMINISTRATOR,)
    list_display = ("title", "programme", "opens_on", "closes_on")
    list_filter = ("programme",)
    list_select_related = ("programme",)
    search_fields = in_every_language("title")
    date_hierarchy = "closes_on"


# --- budgets and their ledger -------------------------------------------------------------------


def _money_sum(kind: str) -> Coalesce:
    return Coalesce(
        Sum("entries__amount", filter=Q(entries__kind=kind)),
        ZERO,
        output_field=models.DecimalField(max_digits=MAX_DIGITS, decimal_places=2),
    )


class LedgerNote:
    """The ledger's note in the reader's language (LedgerEntry.description)."""

    @admin.display(description=_("note"))
    def note_text(self, obj: LedgerEntry) -> str:
        return obj.description()


class ClaimReason:
    """A repayment claim's reason in the reader's language (RepaymentClaim.description)."""

    @admin.display(description=_("reason"))
    def reason_text(self, obj: RepaymentClaim) -> str:
        return obj.description()


class LedgerEntryInline(LedgerNote, ReadOnlyTabularInline):
    model = LedgerEntry
    fk_name = "allocation"
    fields = ("created_at", "kind", "amount", "grant", "created_by", "note_text")
    readonly_fields = ("note_text",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("grant__application", "created_by")


# --- co-funding: the funders, and their shares of each budget -----------------------------------


@admin.register(Funder)
class FunderAdmin(RoleAdmin, TranslationAdmin):  # type: ignore[misc]
    """The organisations that finance budgets (a ministry, a foundation). A funder named for a
    budget cannot be deleted."""

    delete_roles = (Role.ADMINISTRATOR,)
    list_display = ("name", "identifier", "country")
    list_filter = ("country",)
    search_fields = (*in_every_language("name"), "identifier")


def _budget_is_booked(allocation: BudgetAllocation | None) -> bool:
    return allocation is not None and allocation.pk is not None and allocation.entries.exists()


class SharesFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """The co-funders of a budget as a whole: each funder once, the shares adding up to 100 %,
    unchanged once money is booked (`grants.funders.check_shares`). The budget's row is locked
    while the admin's transaction saves them, as `grants.services.set_cofunders` does."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        # A read-only inline's rows keep their initial values (the funder's id), whatever was
        # sent; the others hold what was typed (a funder).
        shares = []
        for form in self.forms:
            if form.cleaned_data and not form.cleaned_data.get("DELETE"):
                funder = form.cleaned_data["funder"]
                shares.append((getattr(funder, "pk", funder), form.cleaned_data["percent"]))
        allocation = self.instance
        if allocation.pk is not None:
            BudgetAllocation.objects.select_for_update().filter(pk=allocation.pk).exists()
        try:
            check_shares(allocation if allocation.pk is not None else None, shares)
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class AllocationShareInline(RolePermissions, admin.TabularInline):  # type: ignore[type-arg]
    """Who finances the budget besides (or instead of) the fund, with their shares; the first
    is the lead funder. Read-only once money is booked on the budget."""

    model = AllocationShare
    formset = SharesFormSet
    view_roles = MONEY_VIEWERS
    delete_roles = (Role.ADMINISTRATOR,)
    extra = 0
    fields = ("funder", "percent")
    verbose_name_plural = _(
        "co-funders (none: the fund alone; the first is the lead funder, who takes the cents "
        "that rounding leaves; fixed once money is booked)"
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and not _budget_is_booked(obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not _budget_is_booked(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not _budget_is_booked(obj)


def _figures_table(figures: list[FunderFigures]) -> str:
    heads = (_("funder"), _("share"), _("allocated"), _("committed"), _("paid"), _("repaid"))
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                figure.financier.name,
                format_percent(figure.financier.percent / 100),
                format_eur(figure.allocated),
                format_eur(figure.committed),
                format_eur(figure.paid),
                format_eur(figure.repaid),
            )
            for figure in figures
        ),
    )
    head = format_html_join("", "<th>{}</th>", ((str(title),) for title in heads))
    return format_html(
        '<table class="funder-figures"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        head,
        rows,
    )


@admin.register(BudgetAllocation)
class BudgetAllocationAdmin(RoleAdmin):
    """A yearly budget with its balances, summed from the ledger (one query for the whole list),
    its co-funders and each funder's part of the balances."""

    view_roles = MONEY_VIEWERS
    delete_roles = (Role.ADMINISTRATOR,)
    list_display = (
        "programme",
        "year",
        "released",
        "financed_by",
        "allocated",
        "committed",
        "paid",
        "repaid",
        "remaining",
    )
    list_filter = ("year", "released", "programme__fund", "programme")
    list_select_related = ("programme",)
    readonly_fields = ("allocated", "committed", "paid", "repaid", "remaining", "per_funder")
    fieldsets = (
        (None, {"fields": ("programme", "year", "amount", "released")}),
        (_("Balances"), {"fields": readonly_fields}),
    )
    inlines = (AllocationShareInline, LedgerEntryInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BudgetAllocation]:
        shares = AllocationShare.objects.select_related("funder").order_by("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(**{f"ledger_{kind}": _money_sum(kind) for kind in LedgerKind.values})
            .prefetch_related(Prefetch("shares", queryset=shares))
        )

    @admin.display(description=_("financed by"))
    def financed_by(self, obj: BudgetAllocation) -> str:
        shares = list(obj.shares.all())
        if not shares:
            return str(_("the fund alone"))
        return ", ".join(
            f"{share.funder.name} {format_percent(share.percent / 100)}" for share in shares
        )

    @admin.display(description=_("per funder"))
    def per_funder(self, obj: BudgetAllocation) -> str:
        if obj.pk is None:
            return "–"
        figures = funder_figures([obj], balances={obj.pk: self.balances(obj)})
        return _figures_table(figures[obj.pk])

    def balances(self, obj: BudgetAllocation) -> dict[str, Decimal]:
        """The ledger balances; from the list's annotations when present, else from the model."""
        if obj.pk is None:
            return dict.fromkeys(("allocated", "committed", "paid", "repaid", "remaining"), ZERO)
        sums: dict[str, Decimal] = {}
        for kind in LedgerKind.values:
            value = getattr(obj, f"ledger_{kind}", None)
            if value is None:
                return obj.balances()
            sums[kind] = value
        committed = sums[LedgerKind.COMMIT] - sums[LedgerKind.RELEASE]
        return {
            "allocated": obj.amount,
            "committed": committed,
            "paid": sums[LedgerKind.PAY],
            "repaid": sums[LedgerKind.REPAY],
            "remaining": obj.amount - committed,
        }

    @admin.display(description=_("allocated"))
    def allocated(self, obj: BudgetAllocation) -> Decimal:
        return self.balances(obj)["allocated"]

    @admin.display(description=_("committed"))
    def committed(self, obj: BudgetAllocation) -> Decimal:
        return self.balances(obj)["committed"]

    @admin.display(description=_("paid"))
    def paid(self, obj: BudgetAllocation) -> Decimal:
        return self.balances(obj)["paid"]

    @admin.display(description=_("repaid"))
    def repaid(self, obj: BudgetAllocation) -> Decimal:
        return self.balances(obj)["repaid"]

    @admin.display(description=_("remaining"))
    def remaining(self, obj: BudgetAllocation) -> Decimal:
        return self.balances(obj)["remaining"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(LedgerNote, ReadOnlyAdmin):
    """Bookings are made by services only; a wrong one is corrected by a new booking."""

    view_roles = MONEY_VIEWERS
    list_display = (
        "id",
        "created_at",
        "allocation",
        "kind",
        "amount",
        "grant",
        "created_by",
        "note_text",
    )
    list_filter = ("kind", "allocation__year", "allocation__programme")
    list_select_related = ("allocation__programme", "grant__application", "created_by")
    search_fields = ("=grant__id", "grant__application__reference", "note")
    date_hierarchy = "created_at"


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdmin):
    view_roles = (Role.ADMINISTRATOR,)
    list_display = ("fund", "year", "last_number")
    list_select_related = ("fund",)
    list_filter = ("year",)


# --- grants and their money -------------------------------------------------------------------


class PaymentInline(ReadOnlyTabularInline):
    model = Payment
    fields = ("sequence", "end_to_end_id", "kind", "trigger", "amount", "due_on", "status")
    readonly_fields = ("end_to_end_id",)


class RepaymentClaimInline(ClaimReason, ReadOnlyTabularInline):
    model = RepaymentClaim
    fields = ("amount", "due_on", "status", "reason_text", "received_at")
    readonly_fields = ("reason_text",)


class GrantLedgerInline(LedgerNote, ReadOnlyTabularInline):
    view_roles = MONEY_VIEWERS
    model = LedgerEntry
    fk_name = "grant"
    fields = ("created_at", "kind", "amount", "allocation", "created_by", "note_text")
    readonly_fields = ("note_text",)
    verbose_name_plural = _("ledger entries of this grant")

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("allocation__programme", "created_by")


@admin.register(Grant)
class GrantAdmin(TransitionAdmin):
    """Grants change only through their transitions: no add, change or delete here."""

    edit_roles = ()
    transitions = GRANT_TRANSITIONS
    actions = transition_actions(GRANT_TRANSITIONS, ["close"])
    list_display = (
        "id",
        "reference",
        "organisation",
        "programme",
        "status",
        "amount_awarded",
        "final_amount",
        "offer_expires_on",
        "report_due_on",
    )
    list_filter = ("status", "programme", "allocation__year")
    list_select_related = ("application__organisation", "programme")
    search_fields = (
        "application__reference",
        "application__title",
        "application__organisation__name",
    )
    readonly_fields = ("transition_buttons", "transition_history", "status")
    fieldsets = (
        (None, {"fields": ("transition_buttons", "status", "application", "programme")}),
        (
            _("Award"),
            {
                "fields": (
                    "allocation",
                    "amount_awarded",
                    "max_share",
                    "conditions",
                    "offered_at",
                    "offer_expires_on",
                    "accepted_at",
                    "accepted_name",
                    "accepted_by",
                )
            },
        ),
        (
            _("Project and report"),
            {
                "fields": (
                    "project_start",
                    "project_end",
                    "interim_report_due_on",
                    "report_due_on",
                    "report_submitted_at",
                    "report_change_message",
                    "actual_expenses",
                    "actual_eligible_expenses",
                    "actual_other_income",
                    "final_amount",
                    "report_accepted_by",
                )
            },
        ),
        (_("End"), {"fields": ("ended_reason", "closed_at")}),
        (_("History"), {"fields": ("transition_history",)}),
    )
    inlines = (PaymentInline, RepaymentClaimInline, GrantLedgerInline)

    @admin.display(description=_("reference"), ordering="application__reference")
    def reference(self, obj: Grant) -> str:
        return obj.application.reference or "–"

    @admin.display(description=_("organisation"), ordering="application__organisation__name")
    def organisation(self, obj: Grant) -> str:
        return obj.application.organisation.name


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments move through finance services and SEPA batches, never by hand."""

    list_display = (
        "end_to_end_id",
        "grant",
        "kind",
        "trigger",
        "sequence",
        "amount",
        "due_on",
        "status",
    )
    list_filter = ("status", "kind", "trigger")
    list_select_related = ("grant__application",)
    search_fields = ("=grant__id", "grant__application__reference")
    readonly_fields = ("end_to_end_id",)
    date_hierarchy = "due_on"


class BatchPaymentInline(ReadOnlyTabularInline):
    model = Payment
    fields = ("end_to_end_id", "grant", "kind", "amount", "due_on", "status", "failure_reason")
    readonly_fields = ("end_to_end_id",)
    verbose_name_plural = _("payments of this batch")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        return super().get_queryset(request).select_related("grant__application")


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnlyAdmin):
    """SEPA batches are created, exported and settled on the finance pages (`grants.finance`);
    an exported batch and its files never change, so here they are only shown."""

    list_display = (
        "message_id",
        "status",
        "execution_date",
        "count",
        "control_sum",
        "created_at",
        "created_by",
        "exported_at",
    )
    list_filter = ("status",)
    list_select_related = ("created_by",)
    search_fields = ("=message_id",)
    date_hierarchy = "created_at"
    inlines = (BatchPaymentInline,)


@admin.register(RepaymentClaim)
class RepaymentClaimAdmin(ClaimReason, ReadOnlyAdmin):
    list_display = (
        "id",
        "grant",
        "amount",
        "reason_text",
        "due_on",
        "status",
        "created_at",
        "received_at",
    )
    list_filter = ("status",)
    list_select_related = ("grant__application",)
    search_fields = ("=grant__id", "grant__application__reference")


# --- API tokens (administrators only) -----------------------------------------------------------


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "all_programmes", "programmes", "expires_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            # Accounts that may read the API with a token: funders and staff, never applicants.
            roles = [Role.FUNDER, Role.REVIEWER, Role.MANAGER, Role.FINANCE, Role.ADMINISTRATOR]
            self.fields["user"].queryset = (  # type: ignore[attr-defined]
                get_user_model()
                .objects.filter(is_active=True)
                .filter(Q(groups__name__in=[r.value for r in roles]) | Q(is_superuser=True))
                .distinct()
                .order_by("username")
            )
        if not self.instance.pk:
            self.fields["expires_at"].initial = clock.now() + DEFAULT_TOKEN_LIFETIME

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        everything, chosen = data.get("all_programmes"), data.get("programmes")
        if everything and chosen:
            raise forms.ValidationError(
                _("Choose programmes or mark the token for all programmes, not both.")
            )
        if not everything and not chosen:
            raise forms.ValidationError(
                _("Choose the programmes the token may read, or mark it for all programmes.")
            )
        expires = data.get("expires_at")
        if expires is not None and expires <= clock.now() and not self.instance.pk:
            self.add_error("expires_at", _("The expiry must lie in the future."))
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(RoleAdmin):
    """Tokens for the funder API. The secret is shown once, on the page after creating it;
    afterwards only its prefix. Tokens are revoked, not deleted: their use stays on record."""

    view_roles = (Role.ADMINISTRATOR,)
    edit_roles = (Role.ADMINISTRATOR,)
    form = ApiTokenForm
    list_display = (
        "prefix",
        "name",
        "user",
        "scope",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "created_at",
    )
    list_filter = ("all_programmes", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("user",)
    search_fields = ("prefix", "name", "user__username")
    filter_horizontal = ("programmes",)
    actions = ["revoke"]
    readonly_on_change = (
        "prefix",
        "user",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        return super().get_queryset(request).prefetch_related("programmes")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        editable = ("name", "all_programmes", "programmes", "expires_at")
        if obj is None:
            return ("user", *editable)
        return (*self.readonly_on_change, *editable)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_on_change if obj is not None else ()

    @admin.display(description=_("programmes"))
    def scope(self, token: ApiToken) -> str:
        if token.all_programmes:
            return str(_("all programmes"))
        return ", ".join(p.code for p in token.programmes.all()) or "–"

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        token, secret = issue_token(
            data["user"],
            by=request.user,
            name=data["name"],
            expires_at=data["expires_at"],
            programmes=data.get("programmes") or (),
            all_programmes=bool(data.get("all_programmes")),
        )
        # The admin goes on with `obj` (history entry, redirect): make it the saved token.
        obj.pk, obj.prefix, obj.token_hash = token.pk, token.prefix, token.token_hash
        obj._state.adding = False
        request._microgrants_token_secret = secret  # type: ignore[attr-defined]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:  # on creation issue_token has set the programmes
            super().save_related(request, form, formsets, change)

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        """The one page that shows the secret: rendered here, never stored in a message cookie
        or the session, and not cached."""
        secret = getattr(request, "_microgrants_token_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "secret": secret,
            "title": _("API token created"),
        }
        response = TemplateResponse(request, "admin/grants/apitoken/created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = sum(revoke_token(token, by=request.user) for token in queryset)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
