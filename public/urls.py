"""Routes of the public pages (namespace `public:`)."""

from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from public import discovery, figures_views, views
from workflows.visitor_cache import cached_for_visitors

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("pages/<slug:kind>/", views.page, name="page"),
    path("figures/", cached_for_visitors(figures_views.figures_page), name="figures"),
    path(
        "figures/<slug:breakdown>.csv",
        cached_for_visitors(figures_views.figures_csv),
        name="figures_csv",
    ),
    path("figures/open-data/360giving.json", figures_views.open_data_json, name="open_data_json"),
    path("figures/open-data/360giving.csv", figures_views.open_data_csv, name="open_data_csv"),
    path("robots.txt", discovery.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        cached_for_visitors(sitemap_views.sitemap),
        {"sitemaps": discovery.SITEMAPS},
        name="sitemap",
    ),
    path("feed.atom", cached_for_visitors(discovery.news_feed), name="feed"),
    # the showcase of funded projects
    path("projects/", views.projects, name="projects"),
    path("projects/map/", views.project_map, name="project_map"),
    path("projects/<slug:slug>/", views.project, name="project"),
    path("projects/<slug:slug>/photos/<int:photo>/", views.project_photo, name="project_photo"),
    # the grantee's side of it (linked from the grant's page in the portal)
    path("applications/<int:pk>/showcase/", views.showcase_manage, name="showcase_manage"),
    path(
        "applications/<int:pk>/showcase/photos/",
        views.showcase_photo_upload,
        name="showcase_photo_upload",
    ),
    path(
        "applications/<int:pk>/showcase/photos/<int:photo>/delete/",
        views.showcase_photo_delete,
        name="showcase_photo_delete",
    ),
    path(
        "applications/<int:pk>/showcase/preview/",
        views.showcase_preview,
        name="showcase_preview",
    ),
]
