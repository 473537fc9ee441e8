"""Routes of the reports pages (under the applications: namespace)."""

from django.urls import URLPattern, path

from applications.views import reports

urlpatterns: list[URLPattern] = [
    path("applications/<int:pk>/report/", reports.report, name="report"),
    path("applications/<int:pk>/report/totals/", reports.report_totals, name="report_totals"),
    path("applications/<int:pk>/report/submit/", reports.report_submit, name="report_submit"),
]
