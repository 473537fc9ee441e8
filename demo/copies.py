"""Copies of replayed histories, for demo databases larger than the services can fill in minutes.

`seed_demo` replays a sample of histories through the real services (`demo.drive`). Beyond that
sample it copies them: a copy is exactly what the services would have written had another
organisation of the same country applied on the same days for the same amount, under its own
title and its own reference (a test holds copies field by field against such twins).

Rows are copied generically: the application, every row that hangs off it by foreign key
(budget lines, partners, the grant, its payments, claims and ledger entries, and whatever is
added later), then the audit rows of all of them, chained onto the end of the log in their
original order. Nothing here decides anything: states, amounts and dates are the template's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from applications.models import Application
from grants import services as grant_services
from grants.models import Fund
from organisations.models import Organisation
from workflows.models import TransitionLog

# Rows that are not copied: a document's PDF names the template's applicant and reference, so a
# copy would be wrong; `manage.py generate_documents` makes the copies' own.
NOT_COPIED = {"applications.Document"}
# Text ids that other rows quote (a ledger entry's note names the payment's EndToEndId):
# model label -> attribute. They follow the copy's own ids.
QUOTED_IDS = {"grants.Payment": "end_to_end_id"}
# Templates read per query.
LOAD_BATCH = 500

Key = tuple[type[models.Model], Any]


@dataclass(frozen=True)
class Applicant:
    """Who a copy is for: an organisation of the template's country, one of its members, a title."""

    organisation: Organisation
    user: Any
    title: str


@dataclass
class Template:
    """One replayed history, as rows of values (attname -> value), read once."""

    application: dict[str, Any]
    rows: dict[type[models.Model], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    logs: list[dict[str, Any]] = field(default_factory=list)
    organisation_name: str = ""
    username: str = ""

    @property
    def reference_year(self) -> int | None:
        reference = self.application["reference"]
        return int(reference.rsplit("-", 2)[1]) if reference else None


def history_models() -> list[tuple[type[models.Model], list[models.ForeignKey]]]:
    """Application and every model hanging off it, parents before children, with their links.

    A link is a foreign key from the model to another model of the history.
    """
    links: dict[type[models.Model], list[models.ForeignKey]] = {Application: []}
    found = [Application]
    for parent in found:
        for relation in parent._meta.related_objects:
            child = relation.related_model
            if relation.many_to_many or child is TransitionLog or child._meta.label in NOT_COPIED:
                continue
            if child is parent:
                raise NotImplementedError(f"{child._meta.label} points at itself; copy it by hand")
            if child not in links:
                links[child] = []
                found.append(child)
            links[child].append(relation.field)
    # Parents first; among the ready ones, models whose text ids others quote.
    ordered: list[type[models.Model]] = []
    waiting = list(found)
    while waiting:
        ready = [m for m in waiting if all(fk.related_model in ordered for fk in links[m])]
        ready.sort(key=lambda m: m._meta.label not in QUOTED_IDS)
        ordered.append(ready[0])
        waiting.remove(ready[0])
    return [(model, links[model]) for model in ordered]


def load_templates(application_ids: Iterable[int]) -> dict[int, Template]:
    """Read the histories of these applications: their rows and their audit rows."""
    ids = list(application_ids)
    templates: dict[int, Template] = {}
    for start in range(0, len(ids), LOAD_BATCH):
        templates.update(_load_batch(ids[start : start + LOAD_BATCH]))
    return templates


def _load_batch(ids: list[int]) -> dict[int, Template]:
    owner: dict[Key, int] = {}
    templates: dict[int, Template] = {}
    for model, links in history_models():
        if model is Application:
            rows = model._base_manager.filter(pk__in=ids).order_by("pk").values()
        else:
            condition = models.Q()
            for fk in links:
                parents = [pk for (m, pk) in owner if m is fk.related_model]
                condition |= models.Q(**{f"{fk.attname}__in": parents})
            rows = model._base_manager.filter(condition).order_by("pk").values()
        for row in rows:
            pk = row[model._meta.pk.attname]
            if model is Application:
                templates[pk] = Template(application=row)
                owner[(model, pk)] = pk
                continue
            application_id = next(
                owner[(fk.related_model, row[fk.attname])]
                for fk in links
                if (fk.related_model, row[fk.attname]) in owner
            )
            owner[(model, pk)] = application_id
            templates[application_id].rows[model].append(row)
    _load_logs(templates, owner)
    _load_names(templates)
    return templates


def _load_logs(templates: dict[int, Template], owner: dict[Key, int]) -> None:
    by_model: dict[type[models.Model], list[str]] = defaultdict(list)
    for model, pk in owner:
        by_model[model].append(str(pk))
    for model, object_ids in by_model.items():
        content_type = ContentType.objects.get_for_model(model)
        logs = TransitionLog.objects.filter(content_type=content_type, object_id__in=object_ids)
        for row in logs.order_by("id").values():
            pk = model._meta.pk.to_python(row["object_id"])
            templates[owner[(model, pk)]].logs.append(dict(row))
    for template in templates.values():
        template.logs.sort(key=lambda row: row["id"])


def _load_names(templates: dict[int, Template]) -> None:
    organisation_ids = {t.application["organisation_id"] for t in templates.values()}
    names = dict(Organisation.objects.filter(pk__in=organisation_ids).values_list("pk", "name"))
    user_ids = {t.application["created_by_id"] for t in templates.values()}
    user_model = get_user_model()
    usernames = dict(
        user_model._base_manager.filter(pk__in=user_ids).values_list(
            "pk", user_model.USERNAME_FIELD
        )
    )
    for template in templates.values():
        template.organisation_name = names[template.application["organisation_id"]]
        template.username = usernames.get(template.application["created_by_id"], "")


@dataclass
class _Copy:
    template: Template
    applicant: Applicant
    ids: dict[Key, Any] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


@transaction.atomic
def copy_histories(jobs: list[tuple[Template, Applicant]]) -> list[int]:
    """Write one copy per (template, applicant); returns the new applications' ids, in order.

    Each copy gets the next reference of its template's year, so references stay gapless.
    """
    copies = [_Copy(template, applicant) for template, applicant in jobs]
    _assign_references(copies)
    user_model = get_user_model()
    for model, _links in history_models():
        quoted = QUOTED_IDS.get(model._meta.label)
        made: list[tuple[_Copy, Any, dict[str, Any]]] = []
        for copy in copies:
            if model is Application:
                template_rows = [copy.template.application]
            else:
                template_rows = copy.template.rows.get(model, [])
            for row in template_rows:
                values = dict(row)
                old_pk = values.pop(model._meta.pk.attname)
                _relink(model, values, copy, user_model)
                if quoted:
                    copy.texts[getattr(model(**row), quoted)] = getattr(model(**values), quoted)
                made.append((copy, old_pk, values))
        instances = [
            model(**{name: _replaced(value, copy.texts) for name, value in values.items()})
            for copy, _old_pk, values in made
        ]
        model._base_manager.bulk_create(instances)
        for (copy, old_pk, _values), instance in zip(made, instances, strict=True):
            copy.ids[(model, old_pk)] = instance.pk
    TransitionLog.append_rows(list(_log_rows(copies, user_model)))
    return [copy.ids[(Application, copy.template.application["id"])] for copy in copies]


def _assign_references(copies: list[_Copy]) -> None:
    """Reserve the references all at once per fund and year, and note what a copy renames."""
    wanted = Counter(
        (c.template.application["fund_id"], c.template.reference_year)
        for c in copies
        if c.template.reference_year
    )
    funds = Fund.objects.in_bulk({fund_id for fund_id, _year in wanted})
    handed_out: dict[tuple[int, int | None], Iterator[str]] = {
        (fund_id, year): iter(grant_services.reserve_references(funds[fund_id], year, count))
        for (fund_id, year), count in sorted(wanted.items())
        if year is not None
    }
    for copy in copies:
        template = copy.template
        if template.reference_year:
            key = (template.application["fund_id"], template.reference_year)
            copy.texts[template.application["reference"]] = next(handed_out[key])
        copy.texts[template.application["title"]] = copy.applicant.title
        copy.texts[template.organisation_name] = copy.applicant.organisation.name
        copy.texts[template.username] = copy.applicant.user.get_username()


def _relink(model: type[models.Model], values: dict[str, Any], copy: _Copy, user: Any) -> None:
    """Point foreign keys at the copy's own rows, organisation and applicant."""
    template = copy.template.application
    for fk in model._meta.concrete_fields:
        if not fk.is_relation or values.get(fk.attname) is None:
            continue
        target, value = fk.related_model, values[fk.attname]
        assert target is not None and not isinstance(target, str)
        if (target, value) in copy.ids:
            values[fk.attname] = copy.ids[(target, value)]
        elif target is Organisation and value == template["organisation_id"]:
            values[fk.attname] = copy.applicant.organisation.pk
        elif target is user and value == template["created_by_id"]:
            values[fk.attname] = copy.applicant.user.pk


def _replaced(value: Any, texts: dict[str, str]) -> Any:
    """The value with every string that equals a template text swapped for the copy's."""
    if isinstance(value, str):
        return texts.get(value, value)
    if isinstance(value, dict):
        return {key: _replaced(item, texts) for key, item in value.items()}
    if isinstance(value, list):
        return [_replaced(item, texts) for item in value]
    return value


def _log_rows(copies: list[_Copy], user: Any) -> Iterator[TransitionLog]:
    for copy in copies:
        for row in copy.template.logs:
            content_type = ContentType.objects.get_for_id(row["content_type_id"])
            model = content_type.model_class()
            assert model is not None
            old_pk = model._meta.pk.to_python(row["object_id"])
            actor_id = row["actor_id"]
            if actor_id is not None and actor_id == copy.template.application["created_by_id"]:
                actor_id = copy.applicant.user.pk
            yield TransitionLog(
                content_type=content_type,
                object_id=str(copy.ids[(model, old_pk)]),
                transition=row["transition"],
                source=row["source"],
                target=row["target"],
                actor_id=actor_id,
                actor_label=_replaced(row["actor_label"], copy.texts),
                note=_replaced(row["note"], copy.texts),
                payload=_replaced(row["payload"], copy.texts),
                created_at=row["created_at"],
            )
