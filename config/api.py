"""The REST API: /api/v1/ (read endpoints, statistics, 360Giving), the schema and its docs.

Mounted at /api/ by config/urls.py. Any other address below /api/ answers a 404 problem.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from amendments.api import AmendmentViewSet
from applications.api.statistics import StatisticsView
from applications.api.views import ApplicationViewSet
from conversations.api.views import MessageViewSet
from grants.api.views import (
    BudgetViewSet,
    CallViewSet,
    GrantViewSet,
    OpenDataCsvView,
    OpenDataJsonView,
    PaymentViewSet,
    ProgrammeViewSet,
)
from webhooks.api import SubscriptionViewSet
from workflows.api.problems import not_found

app_name = "api"

router = SimpleRouter()
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("calls", CallViewSet, basename="call")
router.register("applications", ApplicationViewSet, basename="application")
router.register("grants", GrantViewSet, basename="grant")
router.register("payments", PaymentViewSet, basename="payment")
router.register("messages", MessageViewSet, basename="message")
router.register("budgets", BudgetViewSet, basename="budget")
router.register("amendments", AmendmentViewSet, basename="amendment")
router.register("webhooks", SubscriptionViewSet, basename="webhook-subscription")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/stats/", StatisticsView.as_view(), name="stats"),
    path("v1/open-data/360giving.json", OpenDataJsonView.as_view(), name="360giving-json"),
    path("v1/open-data/360giving.csv", OpenDataCsvView.as_view(), name="360giving-csv"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up code as a script of its own (docs/?script=),
    # and the page's template keeps its style in a static file: no inline code for the CSP.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    re_path(r"^", not_found),
]
