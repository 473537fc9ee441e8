"""Finance pages: payments due (approve, put into a batch), SEPA batches (export, download, paid,
one payment failed) and the open repayment claims.

Finance officers and administrators only: everyone else signed in gets 403, anonymous visitors
the sign-in page. Thin views over `grants.finance`; refusals become messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from grants import finance
from grants.models import BatchStatus, Payment, PaymentBatch, PaymentStatus, RepaymentClaim
from grants.money import ZERO
from grants.views.access import finance_only
from workflows import clock
from workflows.errors import WorkflowError
from workflows.http import BulkOutcomes, keep_bulk_outcomes, take_bulk_outcomes

# Rows of the payments page; narrower filters show the rest.
PAGE_LIMIT = 500
BATCHES_PER_PAGE = 50


class ExecutionDateForm(forms.Form):
    """The day the bank is asked to execute the transfers (creating and exporting a batch)."""

    execution_date = forms.DateField(
        label=gettext_lazy("Requested execution date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": gettext_lazy("Please choose the execution date.")},
    )


class FailureForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason given by the bank"),
        max_length=500,
        error_messages={"required": gettext_lazy("Please give the reason the bank gave.")},
    )


def _ids(values: list[str]) -> list[int]:
    return sorted({int(value) for value in values if value.isdigit() and len(value) < 12})


def _first_error(form: forms.Form) -> str:
    return next(str(error) for errors in form.errors.values() for error in errors)


def _payments_url(request: HttpRequest) -> str:
    query = request.GET.urlencode()
    return reverse("finance:payments") + (f"?{query}" if query else "")


# --- payments due -----------------------------------------------------------------------------


# The outcomes of the latest bulk approval, kept in the session for the page the approval
# redirects to (so that reloading that page sends nothing again).
APPROVAL_OUTCOMES = "finance_approval_outcomes"


def _payments_context(request: HttpRequest, *, outcomes: BulkOutcomes | None = None) -> dict[str, Any]:  # fmt: skip
    filters = finance.PaymentFilter(
        request.GET or None, queryset=finance.payments_due(request.user)
    )
    found = filters.qs if not filters.is_bound or filters.is_valid() else Payment.objects.none()
    found_rows = list(found[: PAGE_LIMIT + 1])
    rows = found_rows[:PAGE_LIMIT]
    # Approved payments waiting in a draft batch are shown, but belong to that batch.
    batchable = [
        p
        for p in rows
        if p.status == PaymentStatus.APPROVED
        and (p.batch is None or p.batch.status != BatchStatus.DRAFT)
    ]
    return {
        "filters": filters,
        "rows": rows,
        "truncated": len(found_rows) > PAGE_LIMIT,
        "batchable": batchable,
        "batchable_sum": sum((p.amount for p in batchable), ZERO),
        "batch_form": ExecutionDateForm(initial={"execution_date": clock.today()}),
        "outcomes": outcomes.rows if outcomes else None,
        "approved_count": outcomes.ok if outcomes else 0,
        "refused_count": outcomes.refused if outcomes else 0,
        "query": request.GET.urlencode(),
        "finance_section": "payments",
    }


@finance_only
@require_safe
def payments(request: HttpRequest) -> HttpResponse:
    outcomes = take_bulk_outcomes(request, APPROVAL_OUTCOMES)
    return render(
        request, "grants/finance/payments.html", _payments_context(request, outcomes=outcomes)
    )


@finance_only
@require_POST
def approve(request: HttpRequest) -> HttpResponse:
    """Approve the ticked payments, each checked on its own; the page lists every refusal."""
    pks = _ids(request.POST.getlist("payment"))
    if not pks:
        messages.error(request, _("Please tick the payments to approve."))
        return redirect(_payments_url(request))
    if len(pks) > finance.BULK_LIMIT:
        messages.error(
            request,
            _("Please approve at most %(n)s payments at once.") % {"n": finance.BULK_LIMIT},
        )
        return redirect(_payments_url(request))
    chosen = Payment.objects.visible_to(request.user).filter(pk__in=pks).order_by("due_on", "pk")
    outcomes = finance.approve_payments(chosen, by=request.user)
    rows = [
        {
            "payment": outcome.payment.pk,
            "end_to_end_id": outcome.payment.end_to_end_id,
            "ok": outcome.ok,
            "message": outcome.message,
        }
        for outcome in outcomes
    ]
    keep_bulk_outcomes(request, APPROVAL_OUTCOMES, rows)
    return redirect(_payments_url(request))


@finance_only
@require_POST
def create_batch(request: HttpRequest) -> HttpResponse:
    """A draft batch from the approved payments the page showed."""
    form = ExecutionDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect(_payments_url(request))
    chosen = Payment.objects.visible_to(request.user).filter(
        pk__in=_ids(request.POST.getlist("payment"))
    )
    try:
        batch = finance.create_batch(
            chosen, by=request.user, execution_date=form.cleaned_data["execution_date"]
        )
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect(_payments_url(request))
    messages.success(
        request,
        ngettext(
            "Batch %(batch)s is ready with %(n)s payment; check it, then export it.",
            "Batch %(batch)s is ready with %(n)s payments; check it, then export it.",
            batch.count,
        )
        % {"batch": batch.message_id, "n": batch.count},
    )
    return redirect("finance:batch", pk=batch.pk)


# --- batches ------------------------------------------------------------------------------------


@finance_only
@require_safe
def batch_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(finance.batches(request.user), BATCHES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "grants/finance/batches.html", {"page": page, "finance_section": "batches"}
    )


@finance_only
@require_safe
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(finance.batches(request.user), pk=pk)
    lines = [(payment, finance.sepa_line(payment)) for payment in finance.batch_payments(found)]
    return render(
        request,
        "grants/finance/batch.html",
        {
            "batch": found,
            "lines": lines,
            "total": sum((payment.amount for payment, _line in lines), ZERO),
            "export_form": ExecutionDateForm(
                initial={"execution_date": max(found.execution_date, clock.today())}
            ),
            "failure_form": FailureForm(),
            "downloads": list(finance.FILE_KINDS),
            "finance_section": "batches",
        },
    )


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> None:
    try:
        action()
    except WorkflowError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, success)


@finance_only
@require_POST
def export(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(PaymentBatch.objects.visible_to(request.user), pk=pk)
    form = ExecutionDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("finance:batch", pk=found.pk)
    _run(
        request,
        lambda: finance.export_batch(
            found, by=request.user, execution_date=form.cleaned_data["execution_date"]
        ),
        _("The batch is exported: download the SEPA file and hand it to the bank."),
    )
    return redirect("finance:batch", pk=found.pk)


@finance_only
@require_POST
def mark_paid(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(PaymentBatch.objects.visible_to(request.user), pk=pk)
    _run(
        request,
        lambda: finance.mark_batch_paid(found, by=request.user),
        _("The batch is recorded as paid; the grantees get their payment advice."),
    )
    return redirect("finance:batch", pk=found.pk)


@finance_only
@require_POST
def payment_failed(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.visible_to(request.user).select_related("batch"), pk=pk
    )
    back = (
        reverse("finance:batch", args=[payment.batch_id])
        if payment.batch_id
        else reverse("finance:payments")
    )
    form = FailureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect(back)
    _run(
        request,
        lambda: finance.mark_payment_failed(
            payment, by=request.user, reason=form.cleaned_data["reason"]
        ),
        _("%(payment)s is marked as failed and back among the payments due.")
        % {"payment": payment.end_to_end_id},
    )
    return redirect(back)


@finance_only
@require_safe
def download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The file exactly as stored at export (its SHA-256 is checked before it is served)."""
    found = get_object_or_404(PaymentBatch.objects.visible_to(request.user), pk=pk)
    try:
        name, content, content_type = finance.batch_file(found, kind)
    except finance.BatchFileError as error:
        if error.code == "no_file":
            raise Http404 from error
        return HttpResponse(str(error.message), status=409, content_type="text/plain")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- repayments ---------------------------------------------------------------------------------


@finance_only
@require_safe
def repayments(request: HttpRequest) -> HttpResponse:
    claims = list(finance.open_repayment_claims(request.user)[:PAGE_LIMIT])
    return render(
        request,
        "grants/finance/repayments.html",
        {"claims": claims, "today": clock.today(), "finance_section": "repayments"},
    )


@finance_only
@require_POST
def repayment_received(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(
        RepaymentClaim.objects.visible_to(request.user).select_related("grant__application"), pk=pk
    )
    _run(
        request,
        lambda: finance.record_repayment_received(claim, by=request.user),
        _("The repayment of %(reference)s is recorded and booked.")
        % {"reference": claim.grant.application.reference},
    )
    return redirect("finance:repayments")
