"""One world for the whole package, built once and rolled back at its end.

Building it replays about twenty histories through the services (several seconds); every test
of the package only reads it, and every request it sends runs in a transaction that is rolled
back (`probe.send`), inside the test's own transaction (pytest-django's `db`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from demo import builders as demo
from organisations.models import Organisation
from tests.security.world import World, build_world

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="package")
def security_world(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    media = tmp_path_factory.mktemp("security-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=FAST_HASHER, LANGUAGE_CODE="en"),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr("applications.documents.render_pdf", lambda html: b"%PDF-1.7 stub\n")
        outer = transaction.atomic()
        outer.__enter__()
        try:
            cast = demo.create_cast(demo.setup_fund())
            other_applicant = demo.make_user("applicant-b")
            demo.make_organisation(
                other_applicant, name="Association Amitié Dijon–Mainz", country="FR"
            )
            other = Organisation.objects.get(memberships__user=other_applicant)
            world = build_world(cast, other_applicant, other)
            world.media_root = str(media)
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(security_world: World, db: Any, settings: Any) -> World:
    """The package's world, inside the test's transaction, with its files where it left them."""
    settings.MEDIA_ROOT = security_world.media_root
    settings.LANGUAGE_CODE = "en"
    return security_world


@pytest.fixture(autouse=True)
def quiet_refusals() -> Iterator[None]:
    """Thousands of expected 403/404/405 would each log a warning with a traceback."""
    loggers = [logging.getLogger(name) for name in ("django.request", "axes", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
