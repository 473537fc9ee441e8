"""On SQLite, a full-text index of the folded search column (FTS5 with the trigram tokenizer,
SQLite 3.34 or later), so that a search word of three letters or more reads the index instead
of every published page (the way pg_trgm serves PostgreSQL, migration 0005). It is an
external-content table: it stores the trigrams only, and triggers keep it in step with every
insert, delete and change of `search_text`, whatever writes the row (services, bulk updates,
the admin)."""

from django.db import migrations

TABLE = "public_showcase_search"
SHOWCASES = "public_projectshowcase"

CREATE = [
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(search_text, content='{SHOWCASES}', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON {SHOWCASES} BEGIN "
    f"INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON {SHOWCASES} BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF search_text ON {SHOWCASES} BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
]
DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {TABLE}_update",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in CREATE:
            cursor.execute(statement)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in DROP:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("public", "0005_showcase_search_trigrams")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
