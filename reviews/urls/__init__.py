"""The staff's review workspace, all under the `reviews:` namespace (mounted at /review/)."""

from django.urls import include, path

from reviews.views import queues

app_name = "reviews"

urlpatterns = [
    path("", queues.overview, name="overview"),
    path("queue/<slug:kind>/", queues.queue, name="queue"),
    path("queue/<slug:kind>/claim-next/", queues.claim_next, name="claim_next"),
    path("tasks/<int:pk>/", queues.task, name="task"),
    path("tasks/<int:pk>/claim/", queues.claim, name="claim"),
    path("tasks/<int:pk>/release/", queues.release, name="release"),
    path("tasks/<int:pk>/reassign/", queues.reassign, name="reassign"),
    path("applications/<int:pk>/conflict/", queues.declare_conflict, name="declare_conflict"),
    path("search/", queues.search, name="search"),
    path("", include("reviews.urls.checks")),
    path("", include("reviews.urls.decisions")),
    path("", include("reviews.urls.ranking")),
    path("", include("reviews.urls.report_checks")),
    path("", include("reviews.urls.interim_checks")),
]
