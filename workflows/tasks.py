from django_tasks import task

from workflows import effects
from workflows.models import TransitionLog


@task()
def run_transition_effects(log_id: int) -> int:
    """Run every registered side effect of one logged transition; returns how many ran."""
    log = TransitionLog.objects.select_related("content_type").get(pk=log_id)
    label = f"{log.content_type.app_label}.{log.content_type.model}"
    handlers = effects.handlers_for(label, log.transition)
    for handler in handlers:
        handler(log)
    return len(handlers)
