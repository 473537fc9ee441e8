"""Routes of the checks pages (under the reviews: namespace)."""

from django.urls import URLPattern, path

from reviews.views import checks

urlpatterns: list[URLPattern] = [
    path("formal-check/<int:pk>/", checks.formal_check, name="formal_check"),
    path("assessment/<int:pk>/", checks.assessment, name="assessment"),
]
