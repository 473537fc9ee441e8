"""Review tasks that left `open` before their status became a machine get one audit row each.

`verify_audit_log` holds every machine's current status against its last log row, and an object
without rows must still be in its initial state. Tasks claimed, done or cancelled before this
release have no rows, so each gets one system row `recorded_before_audit` (the same step as
grants.0011 for payments and repayment claims). Open tasks need none, and a new database (no
tasks) gets nothing. Going back leaves the rows: the log is append-only, and they stay true.
"""

from django.db import migrations

from workflows.audit import log_states_reached_before_the_log


def record_statuses(apps, schema_editor):
    log_states_reached_before_the_log(apps, "reviews", "ReviewTask", field="status", initial="open")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("workflows", "0006_outbox_claim"),
        ("reviews", "0004_review_task_machine"),
    ]

    operations = [migrations.RunPython(record_statuses, migrations.RunPython.noop)]
