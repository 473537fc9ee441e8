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
