"""On PostgreSQL, a trigram index on the folded search column, so that `search_text LIKE
'%word%'` reads the index instead of every published page. Only where pg_trgm can be created
(it is a trusted extension from PostgreSQL 13: the database's owner may create it); without it
the search scans, as it does on SQLite."""

from django.db import migrations

INDEX = "showcase_search_trgm"


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
            if cursor.fetchone() is None:
                return
            try:
                cursor.execute("SAVEPOINT before_pg_trgm")
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute("RELEASE SAVEPOINT before_pg_trgm")
            except Exception:  # not allowed for this role: the search scans instead
                cursor.execute("ROLLBACK TO SAVEPOINT before_pg_trgm")
                return
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON public_projectshowcase "
            "USING gin (search_text gin_trgm_ops) WHERE status = 'published'"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("public", "0004_showcase_copies")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
