"""Routes of the decisions pages (under the reviews: namespace)."""

from django.urls import URLPattern, path

from reviews.views import decisions

urlpatterns: list[URLPattern] = [
    path("decisions/", decisions.decision_list, name="decisions"),
    path("decisions/bulk/", decisions.decide_many, name="decide_many"),
    path("decisions/waiting-list/", decisions.reopen_waiting_list, name="reopen_waiting_list"),
    path("decisions/<int:pk>/", decisions.decision, name="decision"),
]
