"""The committee's ranking of a call: the list of calls, the ranking with its two lines, its
bilingual PDF and XLSX for the meeting, and bulk decisions from it. Thin views over
`reviews.ranking`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from grants.models import Call
from reviews import ranking, ranking_exports, rules
from reviews.views.queues import staff_only
from workflows.errors import WorkflowError
from workflows.fields import StepTextField
from workflows.roles import Role, has_role
from workflows.text import LONG_TEXT

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RankingDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("approve", gettext_lazy("Approve (at the suggested amount)")),
            ("reject", gettext_lazy("Reject")),
            ("waitlist", gettext_lazy("Put on the waiting list")),
        ],
    )
    conditions = StepTextField(
        label=gettext_lazy("Conditions (approvals)"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reasons = StepTextField(
        label=gettext_lazy("Reasons (rejections) or note (waiting list)"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reasons") or "").strip():
            self.add_error("reasons", _("Please give the reasons for the rejection."))
        return data


def _call(pk: int, user: Any) -> Call:
    call = ranking.call_for_ranking(pk, user)
    if call is None:
        raise Http404
    return call


@staff_only(rules.may_rank)
@require_GET
def rankings(request: HttpRequest) -> HttpResponse:
    calls = list(ranking.calls_to_rank(request.user))
    waiting = ranking.waiting_per_call(calls, request.user)
    for call in calls:
        call.waiting = waiting.get(call.pk, 0)  # type: ignore[attr-defined]
    return render(request, "reviews/rankings.html", {"calls": calls, "staff_section": "rankings"})


@staff_only(rules.may_rank)
@require_GET
def ranking_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _call(pk, request.user), RankingDecisionForm())


def _page(
    request: HttpRequest, call: Call, form: RankingDecisionForm, *, status: int = 200
) -> HttpResponse:
    found = ranking.ranking_of(call, request.user)
    return render(
        request,
        "reviews/ranking.html",
        {
            "ranking": found,
            "form": form,
            "may_decide": has_role(request.user, Role.MANAGER),
            "review_columns": range(found.review_columns),
            # The table's columns: the checkbox, nine of the application, one per review.
            "columns": 10 + found.review_columns,
            "staff_section": "rankings",
        },
        status=status,
    )


@staff_only(rules.may_rank)
@require_POST
def decide_from_ranking(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(pk, request.user)
    form = RankingDecisionForm(request.POST)
    if not form.is_valid():
        return _page(request, call, form, status=400)
    ticked = request.POST.getlist("application")
    pks = [int(value) for value in ticked if value.isdigit() and len(value) < 12]
    if len(pks) != len(ticked):
        messages.error(
            request, _("Nothing was decided: the ticked rows are not applications of the ranking.")
        )
        return redirect("reviews:ranking", pk=call.pk)
    data = form.cleaned_data
    try:
        outcomes = ranking.decide_from_ranking(
            call,
            pks,
            by=request.user,
            decision=data["decision"],
            conditions=data["conditions"],
            reasons=data["reasons"],
        )
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect("reviews:ranking", pk=call.pk)
    messages.success(
        request,
        ngettext(
            "%(n)s application decided: %(refs)s.",
            "%(n)s applications decided: %(refs)s.",
            len(outcomes),
        )
        % {
            "n": len(outcomes),
            "refs": ", ".join(f"{o.application.reference} ({o.status})" for o in outcomes),
        },
    )
    return redirect("reviews:ranking", pk=call.pk)


@staff_only(rules.may_rank)
@require_GET
def ranking_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(pk, request.user)
    pdf = ranking_exports.pdf(ranking.ranking_of(call, request.user))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{ranking_exports.file_name(call, "pdf")}"'
    )
    return response


@staff_only(rules.may_rank)
@require_GET
def ranking_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    call = _call(pk, request.user)
    handle = ranking_exports.xlsx(ranking.ranking_of(call, request.user))
    return FileResponse(
        handle,
        as_attachment=True,
        filename=ranking_exports.file_name(call, "xlsx"),
        content_type=XLSX_TYPE,
    )
