from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        import reviews.deadlines  # noqa: F401  (registers the claim expiry job)
        from applications.services import add_approval_check
        from reviews import effects  # noqa: F401  (registers the tasks' side effects)
        from reviews.decisions import check_minimum_score

        add_approval_check(check_minimum_score)
        _register_saved_filters()


def _register_saved_filters() -> None:
    """The queues, the decisions list and the search take saved filters of their fields."""
    from reviews.decisions import DecisionFilter, may_decide
    from reviews.filters import TaskFilter
    from reviews.rules import sees_review_work
    from workflows.saved_filters import register_list

    register_list(
        "reviews:queue", fields=[*TaskFilter.base_filters, "sort"], may_use=sees_review_work
    )
    register_list("reviews:decisions", fields=DecisionFilter.base_filters, may_use=may_decide)
    register_list("reviews:search", fields=["q"], may_use=sees_review_work)
