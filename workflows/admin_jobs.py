"""The background job pages in the admin: administrators only, and never a 500.

django-rq's dashboard lets whoever opens it empty queues, delete and requeue jobs (pending
e-mails, PDFs, review tasks), and django-tasks-db lists every task's arguments and tracebacks.
Both register themselves for any staff account; here they are registered again for
administrators only. Unknown queue or job ids answer 404 and an unreachable Redis answers 503
with a sentence, instead of an error page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path
from django.utils.translation import gettext as _

from workflows.roles import Role, has_role

View = Callable[..., HttpResponse]


def is_administrator(request: HttpRequest) -> bool:
    return has_role(request.user, Role.ADMINISTRATOR)


def administrators_only(view: View) -> View:
    """403 for anybody but administrators; 404 for unknown ids; 503 while Redis is away."""
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_administrator(request):
            raise PermissionDenied
        try:
            return view(request, *args, **kwargs)
        except (IndexError, KeyError, ValueError, NoSuchJobError) as unknown:
            raise Http404 from unknown
        except RedisError:
            return HttpResponse(
                _("The job queue (Redis) cannot be reached right now. Please try again later."),
                status=503,
                content_type="text/plain; charset=utf-8",
            )

    return guarded


class AdministratorsOnly:
    """Model admin permissions for infrastructure pages: administrators see them, nobody
    changes or deletes through them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _register_rq_dashboard() -> None:
    from django_rq.admin import QueueAdmin
    from django_rq.models import Dashboard

    class JobQueueAdmin(AdministratorsOnly, QueueAdmin):  # type: ignore[misc]
        """django-rq's dashboard (queues, jobs, workers) behind the administrator check."""

        def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            # The dashboard's own actions (requeue, delete, empty) check this; administrators
            # may use them, anybody else never reaches them.
            return is_administrator(request)

        def changelist_view(
            self, request: HttpRequest, extra_context: dict[str, Any] | None = None
        ) -> HttpResponse:
            return administrators_only(super().changelist_view)(request, extra_context)

        def get_urls(self) -> list[URLPattern]:
            from django_rq.urls import get_admin_urlpatterns, get_api_urlpatterns

            def wrap(view: View) -> View:
                @wraps(view)
                def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                    request.current_app = self.admin_site.name
                    inner = self.admin_site.admin_view(administrators_only(view))
                    return inner(request, *args, **kwargs)

                return wrapper

            # The statistics as JSON take a token of their own (RQ_API_TOKEN); here they are
            # for signed-in administrators like every other page of the dashboard.
            api = [
                re_path(str(url.pattern), wrap(url.callback), name=url.name)
                for url in get_api_urlpatterns(name_prefix="django_rq_")
            ]
            pages = get_admin_urlpatterns(name_prefix="django_rq_", view_wrapper=wrap)
            # The dashboard's model has no table: of Django's own pages only the list exists
            # (the object pages would look a row up and fail).
            opts = self.model._meta
            changelist = path(
                "",
                wrap(self.changelist_view),
                name=f"{opts.app_label}_{opts.model_name}_changelist",
            )
            return [*api, *pages, changelist]

    if admin.site.is_registered(Dashboard):
        admin.site.unregister(Dashboard)
    admin.site.register(Dashboard, JobQueueAdmin)


def _register_task_results() -> None:
    from django_tasks_db.admin import DBTaskResultAdmin
    from django_tasks_db.models import DBTaskResult

    class TaskResultAdmin(AdministratorsOnly, DBTaskResultAdmin):  # type: ignore[misc]
        """Every background task with its arguments, outcome and traceback."""

    if admin.site.is_registered(DBTaskResult):
        admin.site.unregister(DBTaskResult)
    admin.site.register(DBTaskResult, TaskResultAdmin)


def register() -> None:
    """Called once the other apps' admin modules are loaded (workflows.admin)."""
    _register_rq_dashboard()
    _register_task_results()
