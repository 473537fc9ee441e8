"""Routes of the attachments pages (under the applications: namespace)."""

from django.urls import URLPattern, path

from applications.views import attachments

urlpatterns: list[URLPattern] = [
    path(
        "applications/<int:pk>/attachments/",
        attachments.attachment_upload,
        name="attachment_upload",
    ),
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", attachments.attachment_delete, name="attachment_delete"),
]
