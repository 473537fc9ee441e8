import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

THEMES = [
    ("civic", "civic engagement and intergenerational dialogue"),
    ("environment", "environment and sustainable development"),
    ("democracy", "democracy and human rights"),
    ("europe", "Europe"),
    ("history", "history and remembrance"),
    ("culture", "music, arts and culture"),
    ("health", "health and sport"),
    ("anti_discrimination", "anti-discrimination"),
    ("cohesion", "social cohesion, diversity and inclusion"),
    ("digital", "digital"),
]

REGIONS = [
    ("DE-BW", "Baden-Württemberg"),
    ("DE-BY", "Bavaria"),
    ("DE-BE", "Berlin"),
    ("DE-BB", "Brandenburg"),
    ("DE-HB", "Bremen"),
    ("DE-HH", "Hamburg"),
    ("DE-HE", "Hesse"),
    ("DE-MV", "Mecklenburg-Western Pomerania"),
    ("DE-NI", "Lower Saxony"),
    ("DE-NW", "North Rhine-Westphalia"),
    ("DE-RP", "Rhineland-Palatinate"),
    ("DE-SL", "Saarland"),
    ("DE-SN", "Saxony"),
    ("DE-ST", "Saxony-Anhalt"),
    ("DE-SH", "Schleswig-Holstein"),
    ("DE-TH", "Thuringia"),
    ("FR-ARA", "Auvergne-Rhône-Alpes"),
    ("FR-BFC", "Bourgogne-Franche-Comté"),
    ("FR-BRE", "Brittany"),
    ("FR-CVL", "Centre-Val de Loire"),
    ("FR-20R", "Corsica"),
    ("FR-GES", "Grand Est"),
    ("FR-HDF", "Hauts-de-France"),
    ("FR-IDF", "Île-de-France"),
    ("FR-NOR", "Normandy"),
    ("FR-NAQ", "Nouvelle-Aquitaine"),
    ("FR-OCC", "Occitania"),
    ("FR-PDL", "Pays de la Loire"),
    ("FR-PAC", "Provence-Alpes-Côte d'Azur"),
    ("FR-971", "Guadeloupe"),
    ("FR-972", "Martinique"),
    ("FR-973", "French Guiana"),
    ("FR-974", "Réunion"),
    ("FR-976", "Mayotte"),
]


def fill_theme_rows(apps, schema_editor):
    """One row per valid theme code of every existing application (regions stay blank)."""
    Application = apps.get_model("applications", "Application")
    ApplicationTheme = apps.get_model("applications", "ApplicationTheme")
    valid = {code for code, _label in THEMES}
    batch = []
    for pk, themes in Application.objects.values_list("pk", "themes").iterator(chunk_size=2000):
        codes = {c for c in themes if isinstance(c, str) and c in valid} if isinstance(themes, list) else set()
        batch += [ApplicationTheme(application_id=pk, theme=code) for code in sorted(codes)]
        if len(batch) >= 5000:
            ApplicationTheme.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    ApplicationTheme.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0006_documents"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="region",
            field=models.CharField(
                blank=True,
                choices=REGIONS,
                help_text="Land or région, for the fund's statistics",
                max_length=8,
                verbose_name="region",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="ApplicationTheme",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("theme", models.CharField(choices=THEMES, max_length=32, verbose_name="theme")),
                (
                    "application",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="theme_rows",
                        to="applications.application",
                    ),
                ),
            ],
            options={
                "verbose_name": "theme of an application",
                "verbose_name_plural": "themes of applications",
                "indexes": [models.Index(fields=["theme", "application"], name="application_theme")],
                "constraints": [
                    models.UniqueConstraint(fields=("application", "theme"), name="one_row_per_theme")
                ],
            },
        ),
        migrations.RunPython(fill_theme_rows, migrations.RunPython.noop, elidable=True),
    ]
