"""Routes of the public pages (namespace `public:`)."""

from django.urls import path

from public import figures_views, views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("pages/<slug:kind>/", views.page, name="page"),
    path("figures/", figures_views.figures_page, name="figures"),
    path("figures/<slug:breakdown>.csv", figures_views.figures_csv, name="figures_csv"),
    path("figures/open-data/360giving.json", figures_views.open_data_json, name="open_data_json"),
    path("figures/open-data/360giving.csv", figures_views.open_data_csv, name="open_data_csv"),
]
