"""The applicant portal's pages, all under the `applications:` namespace."""

from django.urls import include, path

from applications.views import portal

app_name = "applications"

urlpatterns = [
    path("", portal.home, name="home"),
    path("applications/<int:pk>/", portal.application_detail, name="detail"),
    path("", include("applications.urls.attachments")),
    path("", include("applications.urls.reports")),
]
