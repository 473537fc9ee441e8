"""partners 0002 on a database that holds posts, messages and reports written before they had a
state machine: the status follows the old timestamps, each record that left its initial state
gets one system row, the audit chain holds, and going back restores the old columns."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from workflows import clock
from workflows.audit import BEFORE_THE_LOG, verify_chain
from workflows.models import TransitionLog

BEFORE = [("partners", "0001_initial")]


def migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate to `targets`; the models (historical apps) as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


@pytest.mark.slow  # migrates the whole chain back and forth: `make test` and CI, not `make check`
@pytest.mark.django_db(transaction=True)
def test_statuses_come_from_the_timestamps_and_the_log_explains_them() -> None:
    after = list(MigrationExecutor(connection).loader.graph.leaf_nodes())
    old = migrate(BEFORE)
    try:
        user = old.get_model("auth", "User").objects.create(username="moderatorin")
        fund = old.get_model("grants", "Fund").objects.create(
            name="Bürgerfonds", short_name="BF", reference_prefix="BF"
        )
        organisation = old.get_model("organisations", "Organisation").objects.create(
            name="Chor Köln", legal_form="association", country="DE", city="Köln"
        )
        now = clock.now()
        post_model = old.get_model("partners", "PartnerPost")

        def post(title: str, **stamps: Any) -> Any:
            return post_model.objects.create(
                fund=fund, organisation=organisation, title=title, country="FR",
                text="Wir suchen.", expires_on=date(2030, 1, 1), **stamps,
            )  # fmt: skip

        posts = {
            "open": post("offen"),
            "closed": post("geschlossen", closed_at=now),
            "hidden": post("versteckt", hidden_at=now, hidden_by=user),
            "closed and hidden": post("beides", closed_at=now, hidden_at=now, hidden_by=user),
        }
        message = old.get_model("partners", "PartnerMessage").objects.create(
            post=posts["open"], sender=user, body="Bonjour", hidden_at=now
        )
        reports = old.get_model("partners", "AbuseReport").objects
        acted = reports.create(
            post=posts["hidden"], reason="spam", resolution="hidden", resolved_at=now,
            resolved_by=user,
        )  # fmt: skip
        dismissed = reports.create(
            message=message, reason="other", resolution="dismissed", resolved_at=now,
            resolved_by=user,
        )  # fmt: skip
        waiting = reports.create(post=posts["open"], reason="fake")

        new = migrate(after)

        def status(model: str, pk: int) -> str:
            return str(new.get_model("partners", model).objects.get(pk=pk).status)

        assert {key: status("PartnerPost", p.pk) for key, p in posts.items()} == {
            "open": "open",
            "closed": "closed",
            "hidden": "hidden",
            "closed and hidden": "hidden",
        }
        assert status("PartnerMessage", message.pk) == "hidden"
        assert [status("AbuseReport", r.pk) for r in (acted, dismissed, waiting)] == [
            "acted",
            "dismissed",
            "open",
        ]
        rows = TransitionLog.objects.filter(transition=BEFORE_THE_LOG)
        assert rows.count() == 6  # three posts, the message, two reports
        assert set(rows.values_list("actor", flat=True)) == {None}
        assert verify_chain().ok

        # Back: the old columns from the status.
        old = migrate(BEFORE)
        back = old.get_model("partners", "PartnerPost").objects.get(pk=posts["hidden"].pk)
        assert back.hidden_at is not None and back.closed_at is None
        report = old.get_model("partners", "AbuseReport").objects.get(pk=dismissed.pk)
        assert (report.resolution, report.resolved_at is not None) == ("dismissed", True)
    finally:
        migrate(after)
