"""On PostgreSQL, refuse UPDATE and DELETE of audit rows in the database itself."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION workflows_transitionlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'workflows_transitionlog is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS transitionlog_append_only ON workflows_transitionlog;
CREATE TRIGGER transitionlog_append_only
    BEFORE UPDATE OR DELETE ON workflows_transitionlog
    FOR EACH ROW EXECUTE FUNCTION workflows_transitionlog_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS transitionlog_append_only ON workflows_transitionlog;
DROP FUNCTION IF EXISTS workflows_transitionlog_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
