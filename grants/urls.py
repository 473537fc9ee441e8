"""The finance workspace, all under the `finance:` namespace (mounted at /finance/)."""

from django.urls import path

from grants.views import finance, reports

app_name = "finance"

urlpatterns = [
    path("", finance.payments, name="payments"),
    path("approve/", finance.approve, name="approve"),
    path("batches/", finance.batch_list, name="batches"),
    path("batches/new/", finance.create_batch, name="create_batch"),
    path("batches/<int:pk>/", finance.batch, name="batch"),
    path("batches/<int:pk>/export/", finance.export, name="export"),
    path("batches/<int:pk>/paid/", finance.mark_paid, name="mark_paid"),
    path("batches/<int:pk>/files/<slug:kind>/", finance.download, name="download"),
    path("payments/<int:pk>/failed/", finance.payment_failed, name="payment_failed"),
    path("repayments/", finance.repayments, name="repayments"),
    path("repayments/<int:pk>/received/", finance.repayment_received, name="repayment_received"),
    path("exports/", reports.export_page, name="exports"),
    path("exports/approvals.csv", reports.approvals_csv, name="approvals_csv"),
    path("exports/approvals.xlsx", reports.approvals_xlsx, name="approvals_xlsx"),
    path("ledger/", reports.ledger, name="ledger"),
    path("ledger/<int:pk>.csv", reports.ledger_csv, name="ledger_csv"),
]
