"""Routes of the partner exchange (namespace `partners:`, under /partners/)."""

from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("", views.post_list, name="list"),
    path("new/", views.post_create, name="create"),
    path("mine/", views.my_posts, name="mine"),
    path("messages/", views.inbox, name="inbox"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("messages/<int:pk>/report/", views.message_report, name="message_report"),
    path("<int:pk>/", views.post_detail, name="detail"),
    path("<int:pk>/edit/", views.post_edit, name="edit"),
    path("<int:pk>/renew/", views.post_renew, name="renew"),
    path("<int:pk>/close/", views.post_close, name="close"),
    path("<int:pk>/contact/", views.post_contact, name="contact"),
    path("<int:pk>/report/", views.post_report, name="report"),
    path("<int:pk>/apply/", views.post_apply, name="apply"),
]
