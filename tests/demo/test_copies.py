"""The demo's copies of histories are what the services would have written for another applicant."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import models

from applications.models import Application
from demo import builders as demo
from demo.copies import (
    Applicant,
    Template,
    copy_histories,
    history_models,
    load_templates,
)
from demo.management.commands.seed_demo import MIX
from grants.models import Grant, Payment, ReferenceCounter
from workflows import clock
from workflows.audit import verify_chain
from workflows.models import TransitionLog

PATHS = [(str(app), str(grant) if grant else None) for app, grant, *_rest in MIX]
# Replays of the same history a few seconds apart differ in their time stamps by that much.
SAME_MOMENT = timedelta(minutes=10)


@pytest.fixture
def neighbour() -> Applicant:
    """Another German applicant: a copy keeps the template's country (and so its language)."""
    user = demo.make_user("applicant-trier")
    organisation = demo.make_organisation(
        user, name="Kulturverein Trier–Metz e.V.", country="DE", city="Trier"
    )
    return Applicant(organisation=organisation, user=user, title="Radtour Trier–Metz 2026")


def normalised(application_id: int) -> dict[str, Any]:
    """A history with its own ids, reference and EndToEndIds replaced by stable tokens."""
    template = load_templates([application_id])[application_id]
    tokens: dict[tuple[type[models.Model], Any], str] = {(Application, application_id): "<app>"}
    for model, rows in template.rows.items():
        for i, row in enumerate(rows):
            tokens[(model, row["id"])] = f"<{model.__name__} {i}>"
    texts = {template.application["reference"]: "<reference>"} if template.application["reference"] else {}  # fmt: skip
    for i, row in enumerate(template.rows.get(Payment, [])):
        texts[Payment(**row).end_to_end_id] = f"<end-to-end {i}>"

    def row_of(model: type[models.Model], row: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for model_field in model._meta.concrete_fields:
            name, value = model_field.attname, row[model_field.attname]
            if model_field.primary_key or name == "updated_at":
                continue
            if model_field.is_relation and (model_field.related_model, value) in tokens:
                value = tokens[(model_field.related_model, value)]
            out[name] = swap(value, texts)
        return out

    logs = []
    for log in template.logs:
        model = TransitionLog(content_type_id=log["content_type_id"]).content_type.model_class()
        pk = model._meta.pk.to_python(log["object_id"])
        kept = {k: v for k, v in log.items() if k not in ("id", "prev_hash", "hash")}
        kept["object_id"] = tokens[(model, pk)]
        logs.append(swap(kept, texts))
    return {
        "application": row_of(Application, template.application),
        "rows": {
            model.__name__: [row_of(model, row) for row in rows]
            for model, rows in sorted(template.rows.items(), key=lambda item: item[0].__name__)
        },
        "logs": logs,
    }


def swap(value: Any, texts: dict[str, str]) -> Any:
    if isinstance(value, str):
        return texts.get(value, value)
    if isinstance(value, dict):
        return {k: swap(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [swap(v, texts) for v in value]
    return value


def assert_same(copy: Any, twin: Any, where: str = "") -> None:
    """Equal, except that moments may differ by the seconds between the two replays."""
    if isinstance(copy, datetime) and isinstance(twin, datetime):
        assert abs(copy - twin) < SAME_MOMENT, where
    elif isinstance(copy, dict) and isinstance(twin, dict):
        assert copy.keys() == twin.keys(), where
        for key in copy:
            assert_same(copy[key], twin[key], f"{where}.{key}")
    elif isinstance(copy, list) and isinstance(twin, list):
        assert len(copy) == len(twin), where
        for i, (a, b) in enumerate(zip(copy, twin, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert copy == twin, f"{where}: copy {copy!r} != twin {twin!r}"


@pytest.mark.parametrize(("application_state", "grant_state"), PATHS)
def test_a_copy_is_what_the_services_write_for_the_other_applicant(
    cast: demo.Cast, neighbour: Applicant, application_state: str, grant_state: str | None
) -> None:
    first_day = clock.today() - timedelta(days=demo.days_needed(application_state, grant_state) + 3)
    history = {"submitted_on": first_day, "requested": Decimal("6420.00")}
    template = demo.drive(cast, application_state, grant_state, title="Chorfestival Köln–Lyon 2026", **history)  # fmt: skip

    [copy_id] = copy_histories([(load_templates([template.pk])[template.pk], neighbour)])
    twin = demo.drive(
        cast,
        application_state,
        grant_state,
        organisation=neighbour.organisation,
        applicant=neighbour.user,
        title=neighbour.title,
        **history,
    )

    copy = Application.objects.get(pk=copy_id)
    assert copy.organisation == neighbour.organisation
    assert copy.title == neighbour.title != template.title
    assert (copy.status, getattr(Grant.objects.filter(application=copy).first(), "status", None)) == (application_state, grant_state)  # fmt: skip
    assert_same(normalised(copy_id), normalised(twin.pk))
    assert verify_chain().ok


def test_copies_take_the_next_references_of_their_year_without_gaps(
    cast: demo.Cast, neighbour: Applicant
) -> None:
    day = clock.today() - timedelta(days=40)
    template = demo.drive(cast, "rejected", submitted_on=day)
    templates = load_templates([template.pk])
    copy_histories([(templates[template.pk], neighbour)] * 5)
    year = int(template.reference.split("-")[1])
    references = sorted(Application.objects.exclude(reference=None).values_list("reference", flat=True))  # fmt: skip
    assert references == [f"BF-{year}-{n:05d}" for n in range(1, 7)]
    assert ReferenceCounter.objects.get(year=year).last_number == 6
    assert verify_chain().ok


def test_a_draft_is_copied_without_a_reference_or_log(
    cast: demo.Cast, neighbour: Applicant
) -> None:
    template = demo.drive(cast, "draft")
    [copy_id] = copy_histories([(load_templates([template.pk])[template.pk], neighbour)])
    copy = Application.objects.get(pk=copy_id)
    assert (copy.status, copy.reference) == ("draft", None)
    assert copy.budget_lines.count() == template.budget_lines.count() > 0
    assert not TransitionLog.objects.for_object(copy).exists()


def test_every_model_of_a_history_is_found_and_nothing_points_at_audit_rows() -> None:
    labels = [model._meta.label for model, _links in history_models()]
    assert labels[0] == "applications.Application"
    for label in ("applications.BudgetLine", "applications.Partner", "grants.Grant", "grants.Payment", "grants.LedgerEntry", "grants.RepaymentClaim"):  # fmt: skip
        assert label in labels
    assert labels.index("grants.Payment") < labels.index("grants.LedgerEntry")
    # A row that points at an audit row would need its link rewritten: copies do not do that,
    # so such models (documents) must be left out of the copies.
    from demo.copies import NOT_COPIED

    pointing = {r.related_model._meta.label for r in TransitionLog._meta.related_objects if not r.many_to_many}  # fmt: skip
    # Delivery bookkeeping (mails, side effects) is not copied: seeding replays no effects.
    assert pointing - {"workflows.OutboxMessage", "workflows.SideEffect"} <= NOT_COPIED
    assert not set(labels) & NOT_COPIED
    assert isinstance(Template(application={"reference": "BF-2025-00001"}).reference_year, int)
