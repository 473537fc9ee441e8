"""The move of Organisation, Membership and Invitation from `applications` to `organisations`
(organisations 0001, applications 0010) on a database that holds them: the rows stay, the
applications still point at their organisations, and the content types follow the models (so
do the admin log and the permissions that hang on them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from applications.models import Application
from organisations.models import Invitation, Membership, Organisation
from workflows import clock

BEFORE = [("applications", "0009_amount_and_start_order_indexes"), ("organisations", None)]
MOVED = ("organisation", "membership", "invitation")


def migrate(targets: list[tuple[str, str | None]]) -> Any:
    """Migrate to `targets`; the models (historical apps) as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    reached = [(app, name) for app, name in executor.loader.applied_migrations]
    return executor.loader.project_state(reached).apps


def leaves() -> list[tuple[str, str | None]]:
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.slow  # migrates the whole chain back and forth: `make test` and CI, not `make check`
@pytest.mark.django_db(transaction=True)
def test_moving_the_models_keeps_rows_links_and_content_types() -> None:
    after = leaves()
    old = migrate(BEFORE)
    try:
        user = old.get_model("auth", "User").objects.create(username="kassenwart")
        organisation = old.get_model("applications", "Organisation").objects.create(
            name="Städtepartnerschaft Köln–Lyon e.V.", legal_form="association", country="DE",
            city="Köln", iban="DE89370400440532013000",
        )  # fmt: skip
        old.get_model("applications", "Membership").objects.create(
            organisation=organisation, user=user, role="admin"
        )
        old.get_model("applications", "Invitation").objects.create(
            organisation=organisation, email="neu@example.org", token_hash="0" * 64,
            expires_at=clock.now() + timedelta(days=14),
        )  # fmt: skip
        fund = old.get_model("grants", "Fund").objects.create(
            name="Bürgerfonds", short_name="BF", reference_prefix="BF"
        )
        old.get_model("applications", "Application").objects.create(
            fund=fund, organisation=organisation, title="Jugendbegegnung"
        )
        # The content types as an existing database holds them: under the old label, with a
        # permission and an admin log entry each.
        content_types = old.get_model("contenttypes", "ContentType").objects
        content_types.filter(model__in=MOVED).delete()
        old_ids = {}
        for model in MOVED:
            content_type = content_types.create(app_label="applications", model=model)
            old_ids[model] = content_type.pk
            old.get_model("auth", "Permission").objects.create(
                content_type=content_type, codename=f"view_{model}", name=f"Can view {model}"
            )
            old.get_model("admin", "LogEntry").objects.create(
                user=user, content_type=content_type, object_id=str(organisation.pk),
                object_repr=model, action_flag=2,
            )  # fmt: skip

        migrate(after)
        ContentType.objects.clear_cache()

        moved = Organisation.objects.get(pk=organisation.pk)
        assert moved.iban == "DE89370400440532013000"
        assert moved.memberships.get().user_id == user.pk
        assert Invitation.objects.get().organisation_id == moved.pk
        assert Membership.objects.get().role == "admin"
        assert Application.objects.get().organisation == moved
        for model in MOVED:
            content_type = ContentType.objects.get(app_label="organisations", model=model)
            assert content_type.pk == old_ids[model]
            assert Permission.objects.get(content_type=content_type).codename == f"view_{model}"
            assert LogEntry.objects.get(content_type=content_type).object_repr == model
        assert not ContentType.objects.filter(app_label="applications", model__in=MOVED).exists()
    finally:
        migrate(after)
        ContentType.objects.clear_cache()
