"""Posts, messages and reports of abuse get a state machine each (a protected `status`).

Their states were timestamps: a post was closed (`closed_at`) or hidden (`hidden_at`, with
`hidden_by`), a message hidden (`hidden_at`), a report resolved (`resolution`, `resolved_at`,
`resolved_by`). The status is set from them; a post both closed and hidden is `hidden` and keeps
its `closed_at`, so showing it again leads back to `closed`. Who hid a post or handled a report is
from now on in the audit log, so `hidden_by`, `resolution` and `resolved_by` go; the records that
left their initial state before the log get one system row `recorded_before_audit` each (as
grants.0011 and reviews.0005). Going back sets the old columns from the status (and who, from the
audit rows written since); the log rows stay, as the log is append-only.
"""

import django_fsm
import workflows.fields
from django.conf import settings
from django.db import migrations, models
from django.db.models import Q

from workflows.audit import log_states_reached_before_the_log


def set_statuses(apps, schema_editor):
    post = apps.get_model("partners", "PartnerPost")
    message = apps.get_model("partners", "PartnerMessage")
    report = apps.get_model("partners", "AbuseReport")
    post.objects.filter(hidden_at__isnull=False).update(status="hidden")
    post.objects.filter(hidden_at__isnull=True, closed_at__isnull=False).update(status="closed")
    message.objects.filter(hidden_at__isnull=False).update(status="hidden")
    handled = report.objects.filter(resolved_at__isnull=False)
    handled.filter(resolution="dismissed").update(status="dismissed")
    handled.exclude(resolution="dismissed").update(status="acted")
    log_states_reached_before_the_log(apps, "partners", "PartnerPost", field="status", initial="open")  # fmt: skip
    log_states_reached_before_the_log(apps, "partners", "PartnerMessage", field="status", initial="visible")  # fmt: skip
    log_states_reached_before_the_log(apps, "partners", "AbuseReport", field="status", initial="open")  # fmt: skip
    _check_constraints_now(schema_editor)


def _check_constraints_now(schema_editor):
    """PostgreSQL refuses to alter a table whose rows this transaction changed while their
    deferred foreign-key checks wait for the commit: run the checks now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _last_actors(apps, model_name, transitions):
    """object id -> the user of the object's last row among `transitions` (None: the system)."""
    log = apps.get_model("workflows", "TransitionLog")
    content_type = apps.get_model("contenttypes", "ContentType").objects.filter(
        app_label="partners", model=model_name.lower()
    )
    rows = log.objects.filter(content_type__in=content_type, transition__in=transitions)
    return dict(rows.order_by("id").values_list("object_id", "actor_id"))


def set_timestamps(apps, schema_editor):
    """The old columns from the status; `hidden_by` and `resolved_by` from the audit rows."""
    post = apps.get_model("partners", "PartnerPost")
    message = apps.get_model("partners", "PartnerMessage")
    report = apps.get_model("partners", "AbuseReport")
    hiders = _last_actors(apps, "PartnerPost", ["hide"])
    for pk in post.objects.filter(status="hidden").values_list("pk", flat=True):
        post.objects.filter(pk=pk).update(hidden_by_id=hiders.get(str(pk)))
    post.objects.filter(~Q(status="hidden")).update(hidden_at=None, hidden_by=None)
    message.objects.filter(~Q(status="hidden")).update(hidden_at=None)
    report.objects.filter(status="dismissed").update(resolution="dismissed")
    report.objects.filter(status="acted").update(resolution="hidden")
    report.objects.filter(status="open").update(resolution="", resolved_at=None)
    handlers = _last_actors(apps, "AbuseReport", ["act", "dismiss"])
    for pk in report.objects.exclude(status="open").values_list("pk", flat=True):
        report.objects.filter(pk=pk).update(resolved_by_id=handlers.get(str(pk)))
    _check_constraints_now(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("workflows", "0006_outbox_claim"),
        ("partners", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="abusereport",
            name="status",
            field=django_fsm.FSMField(choices=[("open", "open"), ("acted", "acted on"), ("dismissed", "dismissed")], default="open", max_length=16, protected=True, verbose_name="status"),  # fmt: skip
        ),
        migrations.AddField(
            model_name="partnermessage",
            name="status",
            field=django_fsm.FSMField(choices=[("visible", "visible"), ("hidden", "hidden by the fund")], default="visible", max_length=16, protected=True, verbose_name="status"),  # fmt: skip
        ),
        migrations.AddField(
            model_name="partnerpost",
            name="hidden_reason",
            field=workflows.fields.CleanTextField(blank=True, verbose_name="reason"),
        ),
        migrations.AddField(
            model_name="partnerpost",
            name="status",
            field=django_fsm.FSMField(choices=[("open", "open"), ("closed", "closed"), ("hidden", "hidden by the fund")], default="open", max_length=16, protected=True, verbose_name="status"),  # fmt: skip
        ),
        migrations.RunPython(set_statuses, set_timestamps),
        migrations.RemoveIndex(model_name="abusereport", name="abusereport_open"),
        migrations.RemoveIndex(model_name="partnerpost", name="partnerpost_live"),
        migrations.RemoveField(model_name="abusereport", name="resolution"),
        migrations.RemoveField(model_name="abusereport", name="resolved_by"),
        migrations.RemoveField(model_name="partnerpost", name="hidden_by"),
        migrations.AddIndex(
            model_name="abusereport",
            index=models.Index(fields=["status", "created_at"], name="abusereport_open"),
        ),
        migrations.AddIndex(
            model_name="partnerpost",
            index=models.Index(fields=["status", "expires_on", "country"], name="partnerpost_live"),
        ),
    ]
