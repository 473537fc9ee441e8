"""Routes of the reports pages (under the applications: namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
