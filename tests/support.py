"""Helpers the stories share: proving that a refusal changed nothing, and that it says why."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models

from applications.models import Application, BudgetLine, Partner
from applications.transitions import run_application_transition
from demo import builders as demo
from grants.models import Grant, LedgerEntry, Payment, ReferenceCounter, RepaymentClaim
from organisations.models import Organisation
from workflows.models import TransitionLog


def generated_examples(full: int) -> int:
    """How many generated examples a property test runs: all of them in `make test` and CI, a
    third in `make check` (MICROGRANTS_QUICK_EXAMPLES=1), which is the quick loop while working."""
    if os.environ.get("MICROGRANTS_QUICK_EXAMPLES") == "1":
        return max(3, full // 3)
    return full


def field_values(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def world() -> dict[str, Any]:
    """Every row a refused call could have touched."""
    return {
        "organisations": list(Organisation.objects.order_by("pk").values()),
        "applications": list(Application.objects.order_by("pk").values()),
        "budget_lines": list(BudgetLine.objects.order_by("pk").values()),
        "partners": list(Partner.objects.order_by("pk").values()),
        "grants": list(Grant.objects.order_by("pk").values()),
        "log": list(TransitionLog.objects.order_by("pk").values_list("pk", flat=True)),
        "ledger": list(LedgerEntry.objects.order_by("pk").values_list("pk", "kind", "amount")),
        "payments": list(Payment.objects.order_by("pk").values()),
        "claims": list(RepaymentClaim.objects.order_by("pk").values()),
        "references": list(ReferenceCounter.objects.order_by("pk").values()),
    }


@contextmanager
def unchanged(obj: models.Model) -> Iterator[None]:
    """Assert that the block changed neither `obj` (reloaded) nor any other row."""
    obj.refresh_from_db()
    own, everything = field_values(obj), world()
    log_rows = TransitionLog.objects.for_object(obj).count()
    try:
        yield
    finally:
        obj.refresh_from_db()
        assert field_values(obj) == own
        assert TransitionLog.objects.for_object(obj).count() == log_rows
        assert world() == everything


def assert_readable(message: object) -> None:
    text = str(message)
    assert text.strip(), "empty message"
    assert " " in text.strip(), f"not a sentence: {text!r}"
    assert "%(" not in text and "{" not in text, f"unformatted placeholder: {text!r}"
    assert "\x00" not in text


def everyone(cast: demo.Cast, other_applicant: Any) -> dict[str, Any]:
    """One actor per role, plus an outsider, anonymous and the system."""
    return {
        "applicant": cast.applicant,
        "other_applicant": other_applicant,
        "reviewer": cast.reviewer,
        "manager": cast.manager,
        "finance": cast.finance,
        "funder": cast.funder,
        "admin": cast.admin,
        "anonymous": AnonymousUser(),
        "system": None,
    }


class Declaring(demo.StepHooks):
    """The applicants tick the required declarations and the `extra` ones (e.g. the consents
    to publication) before they submit."""

    def __init__(self, *extra: str) -> None:
        self.extra = list(extra)

    def run(self, obj: Any, step: str, by: Any, data: dict[str, Any]) -> Any | None:
        from applications import services
        from applications.models import REQUIRED_DECLARATIONS

        if step != "submit":
            return None
        draft = services.save_draft(obj, by=by, declarations=[*REQUIRED_DECLARATIONS, *self.extra])
        return run_application_transition(draft, "submit", by=by, **data)


def admin_form_data(obj: models.Model, *, by: Any, **changes: Any) -> dict[str, Any]:
    """The POST of `obj`'s admin change page as a browser sends it (what the form shows, for
    `by`), with `changes`: a story changes one field and keeps the rest."""
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = by
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    form = admin.site._registry[type(obj)].get_form(request, fresh)(instance=fresh)
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = field.prepare_value(form[name].value())
        data[name] = "" if value is None else value
    data.update(changes)
    return data
