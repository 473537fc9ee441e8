"""Every transition that starts from each record's status, tried by every role through the API
(`POST /api/v1/<records>/{id}/transitions/{name}/`) and through the admin
(`/admin/<app>/<model>/{id}/transition/{name}/`), with valid data. The README's action table
(`spec.may_transition`) decides: an allowed one succeeds (the record is in the target status and
one audit row names the caller), a refused one is refused (403 / 404 / the admin's message) and
changes nothing."""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from django.urls import reverse

from applications.models import Application
from grants.models import Grant
from tests.security import spec
from tests.security.expect import B_ROLES
from tests.security.probe import (
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    OK,
    REDIRECT,
    REFUSED,
    UNAUTHORIZED,
    Answer,
    report,
)
from tests.security.walk import Walker
from tests.security.world import API_ROLES, PAGE_ROLES, World
from workflows import clock
from workflows.engine import transition_table

APPLICATIONS = (
    "a_submitted",
    "a_changes_requested",
    "a_in_review",
    "a_reviewed",
    "a_waitlisted",
    "b_submitted",
    "b_in_review",
    "b_reviewed",
)
GRANTS = (
    "a_offered",
    "a_accepted",
    "a_report_due",
    "a_report_submitted",
    "a_closable",
    "b_offered",
    "b_accepted",
    "b_report_submitted",
)
NO_API = ("applicant_a", "applicant_b", "funder")


KNOWN = {
    "message": "Bitte Budget erläutern.",
    "reasons": "Nicht förderfähig / non éligible.",
    "reason": "Sicherheitstest",
    "score": "72.50",
    "full_name": "Erika Mustermann",
    "actual_expenses": "5000.00",
    "actual_eligible_expenses": "5000.00",
    "actual_other_income": "1000.00",
}


def valid_data(form: Any, record: Any, world: World) -> dict[str, Any]:
    """What a person would fill in on the step's form (the admin's; the API's body is made from
    the same form): every field, valid."""
    from django import forms

    data: dict[str, Any] = {}
    for name, field in form.base_fields.items():
        if name == "note":
            continue
        if name == "amount":
            data[name] = str(getattr(record, "requested_amount", "1000.00"))
        elif name in KNOWN:
            data[name] = KNOWN[name]
        elif isinstance(field, forms.MultipleChoiceField):
            data[name] = [str(value) for value, _label in choices_of(field)]
        elif isinstance(field, forms.ChoiceField):
            data[name] = next(str(value) for value, _label in choices_of(field) if value)
        elif isinstance(field, forms.BooleanField):
            data[name] = True
        elif isinstance(field, forms.DateField):
            data[name] = (world.today + timedelta(days=14)).isoformat()
        elif isinstance(field, forms.DecimalField):
            data[name] = "100.00"
        elif field.required:
            data[name] = "Sicherheitstest"
    return data


def choices_of(field: Any) -> list[tuple[Any, Any]]:
    return list(field.choices)


def api_body(view: Any, name: str, record: Any, world: World) -> dict[str, Any]:
    fields = view.transition_input(name)().fields
    data = valid_data(view.transition_specs[name].form, record, world)
    return {key: value for key, value in data.items() if key in fields}


def admin_body(model_admin: Any, name: str, record: Any, world: World) -> dict[str, Any]:
    data = valid_data(model_admin.transition_form_class(name), record, world)
    return {key: ("on" if value is True else value) for key, value in data.items()}


def day_of(record: Any, name: str) -> Any:
    """The day a time-guarded step is tried on: after the deadline it waits for."""
    if name == "revoke":
        return record.report_due_on + timedelta(days=1)
    return None


def travelling(day: Any) -> Any:
    return clock.travel_to(day) if day is not None else nullcontext()


def steps(world: World) -> list[tuple[str, Any, str]]:
    """(key, record, transition) for every transition out of each record's status."""
    found = []
    for keys, model in ((APPLICATIONS, Application), (GRANTS, Grant)):
        table = transition_table(model)
        for key in keys:
            record = world.apps[key] if model is Application else world.grant(key)
            status = record.status
            for source, name, _target in table:
                if source == status:
                    found.append((key, record, name))
    return found


def done(record: Any, name: str, role: str, world: World, *, success: int) -> Any:
    """Inside the request's transaction: an answer of success (`success`: 200 from the API,
    302 from the admin) means the step happened, by the caller."""
    from workflows.models import TransitionLog

    target = {(s, n): t for s, n, t in transition_table(type(record))}[(record.status, name)]

    def check(answer: Answer) -> list[str]:
        if answer.status != success:
            return []  # judged by its status
        fresh = type(record).objects.get(pk=record.pk)
        rows = list(TransitionLog.objects.for_object(record).filter(pk__gt=world.last_log_pk))
        mine = [r for r in rows if r.transition == name and r.actor_id == world.users[role].pk]
        if fresh.status != target and not mine:
            return [f"{name} by {role} answered {answer.status} but did not happen"]
        return []

    return check


def expected_api(role: str, record: Any, name: str, world: World) -> frozenset[str]:
    sees = spec.sees_grant if isinstance(record, Grant) else spec.sees_application
    if role == "anonymous":
        return frozenset({UNAUTHORIZED})
    if role in NO_API:
        return frozenset({FORBIDDEN, UNAUTHORIZED})
    if role == "funder_token":  # "Funder tokens are read-only."
        return (
            frozenset({FORBIDDEN}) if sees(role, record, world) else frozenset({HIDDEN, FORBIDDEN})
        )
    if spec.may_transition(role, record, name, world):
        return frozenset({OK})
    # "403 when the rules refuse, 404 outside the caller's scope"
    return frozenset({FORBIDDEN}) if sees(role, record, world) else frozenset({HIDDEN})


def expected_admin(role: str, record: Any, name: str, world: World) -> frozenset[str]:
    sees = spec.sees_grant if isinstance(record, Grant) else spec.sees_application
    if role not in spec.STAFF_ROLES:
        return frozenset({LOGIN})
    if spec.may_transition(role, record, name, world):
        return frozenset({REDIRECT})
    # "... refused (a message in the admin)"; a record they may not see does not exist.
    return (
        frozenset({REFUSED, FORBIDDEN})
        if sees(role, record, world)
        else frozenset({HIDDEN, FORBIDDEN})
    )


def test_every_transition_through_the_api_follows_the_readme(world: World) -> None:
    from applications.api.views import ApplicationViewSet
    from grants.api.views import GrantViewSet

    started = time.perf_counter()
    walker = Walker(world, world.api_client)
    for key, record, name in steps(world):
        is_application = isinstance(record, Application)
        view = ApplicationViewSet if is_application else GrantViewSet
        route = "api:application-transition" if is_application else "api:grant-transition"
        url = reverse(route, kwargs={"pk": record.pk, "name": name})
        body = api_body(view, name, record, world)
        for role in B_ROLES if key.startswith("b_") else API_ROLES:
            expected = expected_api(role, record, name, world)
            check = done(record, name, role, world, success=200) if expected == {OK} else None
            with travelling(day_of(record, name)):
                walker.request(
                    role, "POST", url, expected, data=body, format="json", inside_check=check
                )
    print(walker.summary(started))
    assert not walker.mismatches, report(walker.mismatches)


def test_every_transition_through_the_admin_follows_the_readme(world: World) -> None:
    from django.contrib import admin

    started = time.perf_counter()
    walker = Walker(world, world.page_client, admin=True)
    for key, record, name in steps(world):
        model_admin = admin.site._registry[type(record)]
        opts = type(record)._meta
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_transition", args=[record.pk, name]
        )
        body = admin_body(model_admin, name, record, world)
        for role in B_ROLES if key.startswith("b_") else PAGE_ROLES:
            expected = expected_admin(role, record, name, world)
            check = done(record, name, role, world, success=302) if expected == {REDIRECT} else None
            with travelling(day_of(record, name)):
                walker.request(role, "POST", url, expected, data=body, inside_check=check)
    print(walker.summary(started))
    assert not walker.mismatches, report(walker.mismatches)
