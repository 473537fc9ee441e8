"""The applicant portal's pages, all under the `applications:` namespace."""

from django.urls import include, path

from applications.views import documents, drafts, eligibility, organisations, portal

app_name = "applications"

urlpatterns = [
    # the signed-in start page ("/" is the public home, which sends signed-in people here)
    path("start/", portal.home, name="home"),
    # organisations and their members
    path("organisations/new/", organisations.organisation_create, name="organisation_create"),
    path("organisations/switch/", organisations.switch_organisation, name="switch_organisation"),
    path("organisations/bank-check/", organisations.bank_check, name="bank_check"),
    path("organisations/<int:pk>/", organisations.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/edit/", organisations.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/bank-account/", organisations.bank_account, name="bank_account"),
    path("organisations/<int:pk>/invite/", organisations.invite, name="invite"),
    path(
        "organisations/<int:pk>/invitations/<int:invitation_pk>/withdraw/",
        organisations.revoke_invitation,
        name="revoke_invitation",
    ),
    path("invitations/<str:token>/", organisations.invitation, name="invitation"),
    # before the form: am I eligible?
    path("check/", eligibility.eligibility, name="eligibility"),
    # the application form
    path("applications/new/", drafts.draft_start, name="draft_start"),
    path("applications/<int:pk>/", portal.application_detail, name="detail"),
    path("applications/<int:pk>/withdraw/", portal.withdraw, name="withdraw"),
    path("applications/<int:pk>/grant/", portal.grant, name="grant"),
    path("applications/<int:pk>/edit/", drafts.draft_edit, name="draft_edit"),
    path("applications/<int:pk>/edit/<slug:section>/", drafts.draft_section, name="draft_section"),
    path(
        "applications/<int:pk>/autosave/<slug:section>/",
        drafts.draft_autosave,
        name="draft_autosave",
    ),
    path("applications/<int:pk>/check/", drafts.draft_review, name="draft_review"),
    path("applications/<int:pk>/submit/", drafts.draft_submit, name="draft_submit"),
    path("documents/<int:pk>/", documents.download, name="document_download"),
    path("", include("applications.urls.attachments")),
    path("", include("applications.urls.reports")),
]
