"""Queues, claiming, releasing, reassigning, conflicts and search: thin views over the services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.models import Application
from applications.views.common import safe_next
from reviews import rules, selectors, services
from reviews.filters import TaskFilter
from reviews.models import ReviewTask, TaskKind
from workflows.errors import WorkflowError
from workflows.roles import Role, has_role

# Where each kind of task is worked on.
TASK_PAGES = {
    TaskKind.FORMAL_CHECK: "reviews:formal_check",
    TaskKind.ASSESSMENT: "reviews:assessment",
    TaskKind.REPORT_CHECK: "reviews:report_check",
    TaskKind.INTERIM_CHECK: "reviews:interim_check",
}


def staff_only(predicate: Callable[[Any], bool] = rules.sees_review_work) -> Callable[..., Any]:
    """Sign-in required; anybody the predicate refuses gets 403 (applicants, finance, funders)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _kind(kind: str) -> str:
    if kind not in TaskKind.values:
        raise Http404
    return kind


def _task(pk: int, user: Any) -> ReviewTask:
    """The task if `user` may see it (reviews.rules.tasks_visible_to), else 404."""
    task = ReviewTask.objects.visible_to(user).select_related("application__organisation", "programme", "assignee").filter(pk=pk).first()  # fmt: skip
    if task is None:
        raise Http404
    return task


@staff_only()
def overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reviews/overview.html",
        {
            "counts": selectors.queue_counts(request.user),
            "kinds": TaskKind.choices,
            "mine": selectors.my_tasks(request.user)[:100],
            "staff_section": "overview",
        },
    )


@staff_only()
def queue(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    tasks = selectors.queue(kind, request.user)
    filters = TaskFilter(request.GET or None, queryset=tasks)
    sort = request.GET.get("sort", "start")
    # Unbound (no filter chosen): everything; invalid filters: nothing, with the form's errors.
    chosen = filters.qs if not filters.is_bound or filters.is_valid() else tasks.none()
    page = selectors.page_of(chosen, sort=sort, cursor=request.GET.get("after"))
    return render(
        request,
        "reviews/queue.html",
        {
            "kind": kind,
            "kind_label": TaskKind(kind).label,
            "filters": filters,
            "page": page,
            "sort": sort,
            "count": selectors.queue_counts(request.user, (kind,))[kind],
            "manages": rules.may_manage_tasks(request.user),
            "reviewer_options": _reviewer_options() if rules.may_manage_tasks(request.user) else "",
            "staff_section": kind,
            "query_without_cursor": _query_without(request, "after"),
        },
    )


def _reviewer_options() -> str:
    """The <option>s of the reassign menus, rendered once for every row of the page."""
    people = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.REVIEWER.value)
        .order_by("last_name", "first_name", "username")
    )
    return format_html_join(
        "",
        '<option value="{}">{}</option>',
        ((p.pk, p.get_full_name() or p.get_username()) for p in people),
    )


def _query_without(request: HttpRequest, name: str) -> str:
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


@staff_only(lambda user: has_role(user, Role.REVIEWER))
@require_POST
def claim_next(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    filters = TaskFilter(request.POST, queryset=ReviewTask.objects.all())
    try:
        condition = None
        if filters.is_valid() and any(filters.form.cleaned_data.values()):
            condition = Q(pk__in=filters.qs.values("pk"))
        task = services.claim_next(request.user, kind, filters=condition)
    except WorkflowError as error:
        messages.info(request, str(error.message))
        return redirect("reviews:queue", kind=kind)
    messages.success(request, _("The task is yours now."))
    return redirect(TASK_PAGES[TaskKind(task.kind)], pk=task.pk)


@staff_only()
def task(request: HttpRequest, pk: int) -> HttpResponse:
    """A task's address: the page where its kind of work is done."""
    found = _task(pk, request.user)
    return redirect(TASK_PAGES[TaskKind(found.kind)], pk=found.pk)


@staff_only(lambda user: has_role(user, Role.REVIEWER))
@require_POST
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    found = _task(pk, request.user)
    try:
        services.claim(found, by=request.user)
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect("reviews:queue", kind=found.kind)
    return redirect(TASK_PAGES[TaskKind(found.kind)], pk=found.pk)


@staff_only()
@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    found = _task(pk, request.user)
    try:
        services.release(found, by=request.user)
    except WorkflowError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The task is back in the queue."))
    return redirect(safe_next(request, f"/review/queue/{found.kind}/"))


@staff_only(rules.may_manage_tasks)
@require_POST
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    found = _task(pk, request.user)
    target = _reviewer_or_none(request.POST.get("reviewer", ""))
    if target is None:
        messages.error(request, _("Please choose a reviewer."))
    else:
        try:
            services.reassign(found, to=target, by=request.user)
        except WorkflowError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("The task now belongs to %(name)s.")
                % {"name": target.get_full_name() or target.get_username()},
            )
    return redirect(safe_next(request, f"/review/queue/{found.kind}/"))


def _reviewer_or_none(value: str) -> Any | None:
    if not value.isdigit():
        return None
    return get_user_model().objects.filter(pk=int(value), is_active=True, groups__name=Role.REVIEWER.value).first()  # fmt: skip


@staff_only(lambda user: has_role(user, Role.REVIEWER, Role.MANAGER))
@require_POST
def declare_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    """Declared before seeing any score: the reviewer keeps out of the application from now on."""
    application = (
        Application.objects.visible_to(request.user).filter(pk=pk).exclude(status="draft").first()
    )
    if application is None:
        raise Http404
    note = request.POST.get("note", "")[:2000]
    try:
        services.declare_conflict(application, by=request.user, note=note)
    except WorkflowError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("Conflict of interest noted: %(reference)s will not be offered to you.")
            % {"reference": application.reference},
        )
    return redirect("reviews:overview")


@staff_only()
def search(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    return render(
        request,
        "reviews/search.html",
        {"results": selectors.search(text, request.user), "search_query": text[:200]},
    )
