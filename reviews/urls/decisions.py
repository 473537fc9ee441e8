"""Routes of the decisions pages (under the reviews: namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
