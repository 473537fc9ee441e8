"""Pages of requests for change, under the `amendments:` namespace: the grantee's beside the
grant (/applications/<id>/amendments/new/, /amendments/<id>/), the managers' in the review
workspace (/review/amendments/)."""

from django.urls import path

from amendments import views

app_name = "amendments"

urlpatterns = [
    path("applications/<int:pk>/amendments/new/", views.start, name="start"),
    path("amendments/<int:pk>/", views.detail, name="detail"),
    path("amendments/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("review/amendments/", views.queue, name="queue"),
    path("review/amendments/<int:pk>/", views.decision, name="decision"),
]
