"""Indexes for the API's application list and its Last-Modified.

The list reads `submitted_at DESC NULLS LAST, id DESC` (see workflows.api.KeysetPagination: a
nullable key keeps its NULLs after the values). PostgreSQL's DESC puts NULLs first, so its
index says NULLS LAST; SQLite accepts no NULLS clause in an index and sorts NULLs last in DESC
anyway. Django's Index cannot say this for both, hence raw SQL per vendor (not in Meta.indexes,
so the model state knows nothing of them; the autodetector never touches them).
"""

from django.db import migrations, models

ORDER_INDEXES = {
    "application_list_order": "submitted_at {desc}, id DESC",
    "application_status_list_order": "status, submitted_at {desc}, id DESC",
}


def create_order_indexes(apps, schema_editor):
    desc = "DESC NULLS LAST" if schema_editor.connection.vendor == "postgresql" else "DESC"
    table = schema_editor.quote_name("applications_application")
    for name, columns in ORDER_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX {schema_editor.quote_name(name)} ON {table} ({columns.format(desc=desc)})"
        )


def drop_order_indexes(apps, schema_editor):
    for name in ORDER_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0007_region_themes"),
    ]

    operations = [
        migrations.RunPython(create_order_indexes, drop_order_indexes),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["updated_at"], name="application_updated"),
        ),
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(fields=["updated_at"], name="organisation_updated"),
        ),
    ]
