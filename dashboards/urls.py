"""Routes of the dashboards (namespace `dashboards:`)."""

from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("<slug:slug>.csv", views.figure_csv, name="csv"),
    path("projects/", views.projects, name="projects"),
    path("tokens/", views.tokens, name="tokens"),
]
