"""Review tasks that left `open` before their status became a machine get one audit row each.

`verify_audit_log` holds every machine's current status against its last log row, and an object
without rows must still be in its initial state. Tasks claimed, done or cancelled before this
release have no rows, so each gets one, appended to the end of the chain: by the system, from ""
to its status, transition `record_status`. Open tasks need none, and a new database (no tasks)
gets nothing. Going back leaves the rows: the log is append-only, and they stay true.
"""

from django.db import migrations
from django.utils import timezone

NOTE = "Status before review tasks kept an audit log (migration reviews.0005)."


def record_statuses(apps, schema_editor):
    tasks = apps.get_model("reviews", "ReviewTask").objects.exclude(status="open")
    found = list(tasks.order_by("pk").values_list("pk", "status"))
    if not found:
        return
    # The chain's own hashing and lock: the verifier checks every row with exactly these.
    from workflows.models import GENESIS_HASH, TransitionLog, lock_chain

    log = apps.get_model("workflows", "TransitionLog")
    content_type, _created = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="reviews", model="reviewtask"
    )
    lock_chain()
    previous = log.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    now = timezone.now()
    rows = []
    for pk, status in found:
        row = log(
            content_type=content_type,
            object_id=str(pk),
            transition="record_status",
            source="",
            target=status,
            actor=None,
            actor_label="system",
            note=NOTE,
            payload={},
            created_at=now,
            prev_hash=previous,
        )
        row.hash = previous = TransitionLog.content_digest(row)
        rows.append(row)
    log.objects.bulk_create(rows, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("workflows", "0006_outbox_claim"),
        ("reviews", "0004_review_task_machine"),
    ]

    operations = [migrations.RunPython(record_statuses, migrations.RunPython.noop)]
