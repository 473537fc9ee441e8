"""Routes of the public pages (namespace `public:`)."""

from django.urls import path

from public import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("pages/<slug:kind>/", views.page, name="page"),
]
