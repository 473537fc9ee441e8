"""The names written as one "German / French" string move into their per-language columns
(name_de, name_fr); a name in one language only becomes the German one. Reversible: going back
writes "German / French" into the single column again."""

from django.db import migrations

from grants.languages import join_bilingual, split_bilingual

TEXTS = {"Fund": ("name", "short_name"), "Programme": ("name",), "Call": ("title",)}


def split_texts(apps, schema_editor):
    for model_name, fields in TEXTS.items():
        model = apps.get_model("grants", model_name)
        changed = []
        for row in model.objects.all().iterator():
            for field in fields:
                if getattr(row, f"{field}_de"):  # already written per language
                    continue
                german, french = split_bilingual(getattr(row, field))
                setattr(row, f"{field}_de", german)
                if french and not getattr(row, f"{field}_fr"):
                    setattr(row, f"{field}_fr", french)
            changed.append(row)
        model.objects.bulk_update(
            changed, [f"{f}_{code}" for f in fields for code in ("de", "fr")], batch_size=500
        )


def join_texts(apps, schema_editor):
    for model_name, fields in TEXTS.items():
        model = apps.get_model("grants", model_name)
        changed = []
        for row in model.objects.all().iterator():
            for field in fields:
                limit = model._meta.get_field(field).max_length
                joined = join_bilingual(getattr(row, f"{field}_de"), getattr(row, f"{field}_fr"))
                text = joined or getattr(row, f"{field}_en") or getattr(row, field)
                setattr(row, field, text[:limit])
            changed.append(row)
        model.objects.bulk_update(changed, list(fields), batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("grants", "0012_per_language_texts")]

    operations = [migrations.RunPython(split_texts, join_texts)]
