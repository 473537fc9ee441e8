"""Pages of requests for change: the grantee asks on the grant's page and writes the request
(period, amount, budget lines, partners, why), sends or withdraws it; programme managers decide
in their queue. Thin views over `amendments.services` and `amendments.selectors`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amendments import plan, rules, selectors, services
from amendments.forms import AmendmentForms, ApproveForm, RejectForm, WithdrawForm
from amendments.models import Amendment, AmendmentStatus
from applications import selectors as application_selectors
from grants.models import Grant
from workflows.errors import WorkflowError

PAGE_SIZE = 50


def _readable(error: WorkflowError) -> list[str]:
    """Every rule a refusal names, else its message."""
    found = [str(v.message) for v in getattr(error, "violations", [])]
    return found or [str(error.message)]


def _amendment_or_404(request: HttpRequest, pk: int) -> Amendment:
    found = selectors.amendment_for(request.user, pk)
    if found is None:
        raise Http404
    return found


# --- the grantee's side ---------------------------------------------------------------------------


@login_required
@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a change of the grant of application `pk`: its open request, or a new draft."""
    application = application_selectors.application_for(request.user, pk)
    grant = Grant.objects.filter(application=application).first() if application else None
    if grant is None:
        raise Http404
    try:
        amendment = services.start_amendment(grant, by=request.user)
    except WorkflowError as error:
        if error.http_status == 403:
            raise PermissionDenied from error
        messages.error(request, str(error.message))
        return redirect("applications:grant", pk=pk)
    return redirect("amendments:detail", pk=amendment.pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The request: the grantee edits a draft here and sends it; everyone who sees it reads
    what it changes, its status and the decision."""
    amendment = _amendment_or_404(request, pk)
    is_grantee = rules.is_grantee(amendment, request.user)
    editable = is_grantee and amendment.status == AmendmentStatus.DRAFT
    if request.method == "POST":
        if not is_grantee:
            raise PermissionDenied
        if not editable:
            messages.error(request, _("This request has been sent and can no longer be changed."))
            return redirect("amendments:detail", pk=amendment.pk)
        return _save(request, amendment)
    forms = AmendmentForms.build(amendment) if editable else None
    return _page(request, amendment, forms)


def _save(request: HttpRequest, amendment: Amendment) -> HttpResponse:
    forms = AmendmentForms.build(amendment, request.POST)
    if request.POST.get("add_row"):
        return _page(request, amendment, forms)
    if not forms.is_valid():
        return _page(request, amendment, forms, status=400)
    try:
        saved = services.save_amendment(amendment, by=request.user, **forms.service_fields())
    except ValidationError as error:
        forms.main.add_error(None, error)
        return _page(request, amendment, forms, status=400)
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect("amendments:detail", pk=amendment.pk)
    if "send" not in request.POST:
        messages.success(request, _("Your request has been saved. Send it to the fund when it is complete."))  # fmt: skip
        return redirect("amendments:detail", pk=saved.pk)
    try:
        services.submit_amendment(saved, by=request.user)
    except WorkflowError as error:
        # What was typed is saved; the page says what keeps it from being sent.
        return _page(request, saved, AmendmentForms.build(saved), status=400, problems=_readable(error))  # fmt: skip
    messages.success(request, _("Your request has been sent to the fund. You will hear from us by e-mail."))  # fmt: skip
    return redirect("applications:grant", pk=saved.grant.application_id)


def _page(
    request: HttpRequest,
    amendment: Amendment,
    forms: AmendmentForms | None,
    *,
    status: int = 200,
    problems: list[str] | None = None,
) -> HttpResponse:
    changes = plan.changes_of(amendment)
    return render(
        request,
        "amendments/detail.html",
        {
            "amendment": amendment,
            "grant": amendment.grant,
            "application": amendment.grant.application,
            "changes": changes,
            "forms": forms,
            "problems": problems or [],
            "is_grantee": rules.is_grantee(amendment, request.user),
            "can_withdraw": rules.is_grantee(amendment, request.user) and amendment.is_open,
            "can_decide": amendment.status == AmendmentStatus.SUBMITTED
            and rules.can_decide(amendment, request.user),
            "sees_working_fields": rules.is_grantee(amendment, request.user)
            or rules.sees_working_fields(request.user),
        },
        status=status,
    )


@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for confirmation, then take the request back."""
    amendment = _amendment_or_404(request, pk)
    if not rules.is_grantee(amendment, request.user):
        raise PermissionDenied
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_amendment(amendment, by=request.user, reason=form.cleaned_data["reason"])  # fmt: skip
        except WorkflowError as error:
            messages.error(request, str(error.message))
            return redirect("amendments:detail", pk=amendment.pk)
        messages.success(request, _("The request has been withdrawn; the grant stays as it was."))
        return redirect("applications:grant", pk=amendment.grant.application_id)
    return render(request, "amendments/withdraw.html", {"amendment": amendment, "form": form})


# --- the managers' side ---------------------------------------------------------------------------


def deciders_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required; only programme managers and administrators open these pages (403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not rules.may_open_queue(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@deciders_only
def queue(request: HttpRequest) -> HttpResponse:
    """Requests waiting for a decision, the project ending first on top."""
    page = Paginator(selectors.queue_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(amendment, plan.changes_of(amendment)) for amendment in page.object_list]
    return render(
        request,
        "amendments/queue.html",
        {"page": page, "rows": rows, "staff_section": "amendments"},
    )


ACTION_FORMS: dict[str, Any] = {"approve": ApproveForm, "reject": RejectForm}


@deciders_only
def decision(request: HttpRequest, pk: int) -> HttpResponse:
    """One request side by side with the plan in force; approve (with conditions) or reject
    (with reasons)."""
    amendment = _amendment_or_404(request, pk)
    if request.method != "POST":
        return _decision_page(request, amendment, {})
    action = request.POST.get("decision", "")
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        return HttpResponseBadRequest(_("This action does not exist."))
    form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _decision_page(request, amendment, {action: form}, status=400)
    try:
        if action == "approve":
            done = services.approve_amendment(amendment, by=request.user, **form.cleaned_data)
        else:
            done = services.reject_amendment(amendment, by=request.user, **form.cleaned_data)
    except WorkflowError as error:
        if error.http_status == 403:
            raise PermissionDenied(str(error.message)) from error
        for line in _readable(error):
            messages.error(request, line)
        return redirect("amendments:decision", pk=amendment.pk)
    messages.success(
        request,
        _("%(amendment)s: %(status)s.") % {"amendment": done, "status": done.get_status_display()},
    )
    return redirect("amendments:queue")


def _decision_page(
    request: HttpRequest, amendment: Amendment, bound: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    grant = amendment.grant
    return render(
        request,
        "amendments/decision.html",
        {
            "amendment": amendment,
            "grant": grant,
            "application": grant.application,
            "changes": plan.changes_of(amendment),
            "money": selectors.decision_figures(amendment),
            "can_decide": amendment.status == AmendmentStatus.SUBMITTED
            and rules.can_decide(amendment, request.user),
            "approve_form": bound.get("approve") or ApproveForm(prefix="approve"),
            "reject_form": bound.get("reject") or RejectForm(prefix="reject"),
            "staff_section": "amendments",
        },
        status=status,
    )
