"""The grantee's interim report, under the `interim:` namespace, beside the grant
(/applications/<id>/interim-report/); its check lives in the review workspace
(`reviews:interim_check`)."""

from django.urls import path

from interim import views

app_name = "interim"

urlpatterns = [
    path("applications/<int:pk>/interim-report/", views.report, name="report"),
]
