"""Routes of the account pages (under `accounts/`, namespace `accounts:`).

Signing in, out and the password reset keep Django's global names (`login`, `logout`,
`password_reset`, ...) in config/urls.py, because settings and Django's views refer to them.
"""

from django.urls import path

from accounts import saved_filters, views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.sign_up, name="signup"),
    path("signup/inbox/", views.check_inbox, name="check_inbox"),
    path("confirm/new/", views.resend_confirmation, name="resend_confirmation"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("filters/", saved_filters.save_filter, name="save_filter"),
    path("filters/<int:pk>/delete/", saved_filters.delete_filter, name="delete_filter"),
]
