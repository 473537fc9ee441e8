"""Organisation, Membership and Invitation now live in `organisations` (its migration 0001 adopts
their tables as they are): drop them from this app's state, point `Application.organisation` at
the new model, and move their content types so that admin log entries and permissions follow.

Nothing changes in the database but the content types' `app_label`: the tables, their rows and
the foreign keys stay where they are.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED_MODELS = ("organisation", "membership", "invitation")


def _move_content_types(apps, schema_editor, source, target):
    content_types = apps.get_model("contenttypes", "ContentType")._default_manager.db_manager(
        schema_editor.connection.alias
    )
    for model in MOVED_MODELS:
        old = content_types.filter(app_label=source, model=model).first()
        if old is None:
            continue  # a new database: the content types are made after migrate
        # One made for the new label in the meantime carries nothing of the old one's history.
        content_types.filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, "applications", "organisations")


def backwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, "organisations", "applications")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0009_amount_and_start_order_indexes"),
        ("organisations", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="membership", name="organisation"),
                migrations.RemoveField(model_name="membership", name="user"),
                migrations.AlterField(
                    model_name="application",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="applications",
                        to="organisations.organisation",
                    ),
                ),
                migrations.DeleteModel(name="Invitation"),
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="Organisation"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
