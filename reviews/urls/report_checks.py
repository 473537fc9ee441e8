"""Routes of the report_checks pages (under the reviews: namespace)."""

from django.urls import URLPattern, path

from reviews.views import report_checks

urlpatterns: list[URLPattern] = [
    path("report-check/<int:pk>/", report_checks.report_check, name="report_check"),
]
