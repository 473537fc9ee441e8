"""Routes of the report_checks pages (under the reviews: namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
