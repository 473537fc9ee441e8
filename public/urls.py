"""Routes of the public pages (namespace `public:`)."""

from django.urls import path

from public import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("pages/<slug:kind>/", views.page, name="page"),
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
