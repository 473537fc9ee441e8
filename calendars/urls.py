"""Routes of the calendar feed (namespace `calendars:`)."""

from django.urls import path

from calendars import views

app_name = "calendars"

urlpatterns = [
    path("calendar/", views.page, name="page"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
]
