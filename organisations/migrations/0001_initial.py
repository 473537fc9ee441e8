"""Organisation, Membership and Invitation move here from `applications`, with their tables.

The tables keep their names (`db_table`), so this migration only tells Django's state about the
models (nothing runs in the database); applications' migration 0010 then drops them from its own
state and points `Application.organisation` here.
"""


import django.db.models.deletion
import organisations.banking
import workflows.clock
import workflows.fields
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # The tables as applications' migrations left them (the last change: 0008's index).
        ("applications", "0009_amount_and_start_order_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Organisation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', workflows.fields.CleanCharField(max_length=200, verbose_name='name')),
                        ('legal_form', models.CharField(choices=[('association', 'association (e.V. / association loi 1901)'), ('municipality', 'municipality or local authority'), ('foundation', 'foundation'), ('education', 'school or education centre'), ('nonprofit_company', 'non-profit company'), ('informal_group', 'informal group (at least 3 people)'), ('other', 'other non-profit organisation')], max_length=32, verbose_name='legal form')),
                        ('country', workflows.fields.CleanCharField(help_text='ISO code, e.g. DE or FR', max_length=2, verbose_name='country')),
                        ('street', workflows.fields.CleanCharField(blank=True, max_length=200, verbose_name='street and number')),
                        ('postcode', workflows.fields.CleanCharField(blank=True, max_length=16, verbose_name='postcode')),
                        ('city', workflows.fields.CleanCharField(max_length=100, verbose_name='city')),
                        ('region', models.CharField(blank=True, choices=[('DE-BW', 'Baden-Württemberg'), ('DE-BY', 'Bavaria'), ('DE-BE', 'Berlin'), ('DE-BB', 'Brandenburg'), ('DE-HB', 'Bremen'), ('DE-HH', 'Hamburg'), ('DE-HE', 'Hesse'), ('DE-MV', 'Mecklenburg-Western Pomerania'), ('DE-NI', 'Lower Saxony'), ('DE-NW', 'North Rhine-Westphalia'), ('DE-RP', 'Rhineland-Palatinate'), ('DE-SL', 'Saarland'), ('DE-SN', 'Saxony'), ('DE-ST', 'Saxony-Anhalt'), ('DE-SH', 'Schleswig-Holstein'), ('DE-TH', 'Thuringia'), ('FR-ARA', 'Auvergne-Rhône-Alpes'), ('FR-BFC', 'Bourgogne-Franche-Comté'), ('FR-BRE', 'Brittany'), ('FR-CVL', 'Centre-Val de Loire'), ('FR-20R', 'Corsica'), ('FR-GES', 'Grand Est'), ('FR-HDF', 'Hauts-de-France'), ('FR-IDF', 'Île-de-France'), ('FR-NOR', 'Normandy'), ('FR-NAQ', 'Nouvelle-Aquitaine'), ('FR-OCC', 'Occitania'), ('FR-PDL', 'Pays de la Loire'), ('FR-PAC', "Provence-Alpes-Côte d'Azur"), ('FR-971', 'Guadeloupe'), ('FR-972', 'Martinique'), ('FR-973', 'French Guiana'), ('FR-974', 'Réunion'), ('FR-976', 'Mayotte')], help_text="Land or région, for the fund's statistics", max_length=8, verbose_name='region')),
                        ('registration_id', workflows.fields.CleanCharField(blank=True, help_text='e.g. VR 12345 or RNA', max_length=64, verbose_name='registration number')),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail')),
                        ('group_members', models.JSONField(blank=True, default=list, help_text='full names of the members of an informal group', verbose_name='group members')),
                        ('bank_account_holder', workflows.fields.CleanCharField(blank=True, max_length=70, verbose_name='account holder')),
                        ('iban', workflows.fields.CleanCharField(blank=True, max_length=34, validators=[organisations.banking.validate_iban], verbose_name='IBAN')),
                        ('bic', workflows.fields.CleanCharField(blank=True, max_length=11, validators=[organisations.banking.validate_bic], verbose_name='BIC')),
                        ('created_at', models.DateTimeField(default=workflows.clock.now)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'verbose_name': 'organisation',
                        'verbose_name_plural': 'organisations',
                        'db_table': 'applications_organisation',
                        'ordering': ['name'],
                        'indexes': [models.Index(fields=['updated_at'], name='organisation_updated')],
                    },
                ),
                migrations.CreateModel(
                    name='Invitation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254, verbose_name='e-mail')),
                        ('token_hash', models.CharField(max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(default=workflows.clock.now)),
                        ('expires_at', models.DateTimeField()),
                        ('accepted_at', models.DateTimeField(blank=True, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('accepted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('invited_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='organisations.organisation')),
                    ],
                    options={
                        'verbose_name': 'invitation',
                        'verbose_name_plural': 'invitations',
                        'db_table': 'applications_invitation',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('admin', 'administrator of the organisation'), ('member', 'member')], default='member', max_length=16)),
                        ('is_active', models.BooleanField(default=True)),
                        ('joined_at', models.DateTimeField(default=workflows.clock.now)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='organisations.organisation')),
                    ],
                    options={
                        'verbose_name': 'membership',
                        'verbose_name_plural': 'memberships',
                        'db_table': 'applications_membership',
                        'constraints': [models.UniqueConstraint(fields=('organisation', 'user'), name='one_membership_per_user')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
