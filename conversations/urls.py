"""The conversation's pages, under the `conversations:` namespace."""

from django.urls import path

from conversations import views

app_name = "conversations"

urlpatterns = [
    path("applications/<int:pk>/conversation/", views.conversation, name="conversation"),
    path("conversations/", views.inbox, name="inbox"),
    path("conversations/settings/", views.mail_settings, name="settings"),
    path("conversations/files/<int:pk>/", views.file_download, name="file"),
    path(
        "conversations/messages/<int:pk>/request-changes/",
        views.request_changes,
        name="request_changes",
    ),
]
