"""Routes of the interim report check (under the reviews: namespace)."""

from django.urls import URLPattern, path

from reviews.views import interim_checks

urlpatterns: list[URLPattern] = [
    path("interim-check/<int:pk>/", interim_checks.interim_check, name="interim_check"),
]
