from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path

from accounts import views as account_views

_reset_mail = {
    "subject_template_name": "emails/account_password_reset.subject.txt",
    "email_template_name": "emails/account_password_reset.txt",
    "html_email_template_name": "emails/account_password_reset.html",
}


def no_object_link(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """The admin's "view on site" address (/admin/r/<type>/<id>/): no model here has a public
    page, and Django's view answers 500 for a model without a table; so it is always 404."""
    raise Http404


handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"

urlpatterns = [
    path("admin/r/<int:content_type_id>/<path:object_id>/", no_object_link),
    path("admin/", admin.site.urls),
    path("api/", include("config.api")),
    path("accounts/login/", account_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        account_views.PasswordResetView.as_view(**_reset_mail),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        account_views.SetNewPasswordView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("amendments.urls")),
    path("", include("interim.urls")),
    path("review/", include("reviews.urls")),
    path("finance/", include("grants.urls")),
    path("partners/", include("partners.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("", include("calendars.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("", include("public.urls")),
    path("", include("conversations.urls")),
    path("", include("applications.urls")),
]
