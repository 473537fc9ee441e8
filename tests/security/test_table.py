"""The table covers every URL pattern: a pattern added without an entry fails here, and so does
an entry whose pattern is gone. And the leak detector does find what it looks for."""

from __future__ import annotations

from django.contrib import admin

from tests.security.leaks import leaks_in, secrets_for
from tests.security.patterns import walk
from tests.security.probe import send
from tests.security.table import ADMIN, ADMIN_MODELS, API, PAGES
from tests.security.world import World

ADMIN_MODEL_VIEWS = (
    "changelist",
    "add",
    "history",
    "delete",
    "change",
    "transition",
    "autocomplete",
)


def model_keys(label: str) -> set[str]:
    app_label, model_name = label.split(".")
    keys = {f"admin:{app_label}_{model_name}_{view}" for view in ADMIN_MODEL_VIEWS}
    keys.add(f"admin/{app_label}/{model_name}/<path:object_id>/")
    return keys


def test_every_url_pattern_has_an_entry_in_the_table() -> None:
    named = set(PAGES) | set(API) | set(ADMIN)
    for label in ADMIN_MODELS:
        named |= model_keys(label)
    missing = sorted({p.key for p in walk()} - named)
    assert not missing, (
        "URL patterns without an entry in tests/security/table.py (say who may GET and POST "
        f"them, from the README): {missing}"
    )


def test_every_registered_admin_model_has_an_entry() -> None:
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered - set(ADMIN_MODELS) == set(), "admin models without an entry in ADMIN_MODELS"
    assert set(ADMIN_MODELS) - registered == set(), "ADMIN_MODELS names models no longer registered"


def test_every_entry_of_the_table_still_has_its_pattern() -> None:
    keys = {p.key for p in walk()}
    stale = sorted((set(PAGES) | set(API) | set(ADMIN)) - keys)
    assert not stale, f"entries of tests/security/table.py whose URL pattern is gone: {stale}"


def test_the_leak_detector_finds_what_it_looks_for(world: World) -> None:
    """The administrator's list shows A's submitted application; for a reviewer in conflict
    with A, that page would be a leak the detector must see."""
    client = world.page_client("admin")
    answer = send(client, "GET", "/admin/applications/application/")
    assert answer.status == 200
    found = leaks_in(answer.body, secrets_for("reviewer_domain", world))
    assert "the title of a_submitted" in found
    assert leaks_in(answer.body, secrets_for("admin", world)) == []
