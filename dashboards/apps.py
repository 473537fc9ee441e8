from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """The programme at a glance: figures and charts for managers, administrators and funders."""

    name = "dashboards"
    verbose_name = "Dashboards"
