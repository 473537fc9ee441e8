"""Indexes for the API list's other orderings: by the amount requested or awarded, and by the
project's start, each with the id as tie-break (see workflows.api.KeysetPagination). Without
them a page sorts every visible application (200 ms at 100,000).

The amount requested is never NULL: one index serves both directions. The amount awarded and
the start may be NULL, and the list keeps NULLs after the values either way, so on PostgreSQL
each direction has its own index (`DESC NULLS LAST` cannot be read backwards as `ASC NULLS
LAST`). SQLite takes no NULLS clause in an index; it gets the plain ones. Raw SQL per vendor,
as in 0008.
"""

from django.db import migrations

POSTGRESQL = {
    "application_requested_order": "requested_amount, id",
    "application_awarded_order": "awarded_amount, id",
    "application_awarded_order_desc": "awarded_amount DESC NULLS LAST, id DESC",
    "application_start_order": "start_date, id",
    "application_start_order_desc": "start_date DESC NULLS LAST, id DESC",
}
OTHERS = {
    "application_requested_order": "requested_amount, id",
    "application_awarded_order": "awarded_amount, id",
    "application_start_order": "start_date, id",
}


def create_indexes(apps, schema_editor):
    indexes = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else OTHERS
    table = schema_editor.quote_name("applications_application")
    for name, columns in indexes.items():
        schema_editor.execute(
            f"CREATE INDEX {schema_editor.quote_name(name)} ON {table} ({columns})"
        )


def drop_indexes(apps, schema_editor):
    for name in POSTGRESQL:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0008_list_order_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
